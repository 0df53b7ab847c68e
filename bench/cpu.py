"""CPU time of the processes in a run, from /proc: who was busy, and was anything else."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping
from pathlib import Path

TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")
OTHER = "other processes"
# Time the host gave this virtual machine's CPUs to others while something here was ready to
# run ("steal" in /proc/stat): on a shared host it delays every process at random moments, so
# it disturbs latency the way other processes do, without showing as anyone's CPU time.
STOLEN = "stolen by the host"


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads) so far; 0 when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK_S  # utime, stime


def machine_times_s() -> tuple[float, float]:
    """CPU seconds since boot that all CPUs spent running something (not idle, I/O wait or
    stolen), and that the host took from them (see STOLEN): one read of /proc/stat."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return 0.0, 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[1:9])
    return (user + nice + system + irq + softirq) * TICK_S, steal * TICK_S


def machine_busy_s() -> float:
    """CPU seconds all CPUs spent running something since boot (see `machine_times_s`)."""
    return machine_times_s()[0]


async def wait_until_quiet(limit: float = 0.2, patience_s: float = 30.0) -> float:
    """Wait (at most `patience_s`) until the machine's CPUs are busy less than `limit` cores
    over one second (this run's servers idle count in); return the last busy figure."""
    deadline = time.monotonic() + patience_s
    while True:
        before = machine_busy_s()
        await asyncio.sleep(1.0)
        busy = machine_busy_s() - before
        if busy < limit or time.monotonic() >= deadline:
            return busy
        print(f"  (waiting for a quieter machine: {busy * 100:.0f}% of a core busy)", flush=True)


class CpuMeter:
    """CPU used by named processes between start() and stop(), in cores (1.0 = one CPU busy)."""

    def __init__(self, pids: Mapping[str, int]) -> None:
        self.pids = dict(pids)
        self._start: dict[str, float] = {}
        self._busy = 0.0
        self._stolen = 0.0
        self._wall = 0.0
        self.wall_s = 0.0  # how long the last measurement lasted

    def start(self) -> None:
        self._start = {name: process_cpu_s(pid) for name, pid in self.pids.items()}
        self._busy, self._stolen = machine_times_s()
        self._wall = time.monotonic()

    def stop(self) -> dict[str, float]:
        wall = self.wall_s = time.monotonic() - self._wall
        if wall <= 0:
            return {}
        used = {
            name: (process_cpu_s(pid) - self._start[name]) / wall for name, pid in self.pids.items()
        }
        busy, stolen = machine_times_s()
        used[OTHER] = max(0.0, (busy - self._busy) / wall - sum(used.values()))
        used[STOLEN] = max(0.0, (stolen - self._stolen) / wall)
        return used


def disturbance(cores: Mapping[str, float]) -> float:
    """Cores' worth of time others had during a measurement: other processes and the host."""
    return cores.get(OTHER, 0.0) + cores.get(STOLEN, 0.0)


def describe(cores: Mapping[str, float]) -> str:
    if not cores:
        return ""
    parts = ", ".join(f"{name} {value * 100:.0f}%" for name, value in cores.items())
    return f"CPU while measuring (100% = one core of {os.cpu_count()}): {parts}."
