"""The hub as its own process for the scale benchmarks, and what they read of it: resident
memory (/proc), Redis's `used_memory`, and a gauge of the hub's `/metrics`."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import redis.asyncio as aredis

from .infra import ROOT, Servers
from .targets import START_TIMEOUT_S, Env, stop_process, wait_online

STARTUP_S = 120.0  # a hub loading a large hall on a busy machine


def rss_kib(pid: int) -> int:
    """Resident memory of a process in KiB (0 when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def redis_used_memory(url: str) -> int:
    """Redis's `used_memory` (bytes): what its data and buffers take, as Redis counts it."""
    client = aredis.Redis.from_url(url)
    try:
        info = await client.info("memory")
        return int(info["used_memory"])
    finally:
        await client.aclose()


async def metric(http: aiohttp.ClientSession, port: int, name: str) -> float | None:
    """The value of an unlabelled gauge or counter of the hub's /metrics (None: not there)."""
    async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
        text = await response.text()
    found = re.search(rf"^{re.escape(name)} ([0-9.eE+-]+)$", text, re.M)
    return float(found[1]) if found else None


@asynccontextmanager
async def hub_process(
    servers: Servers,
    config: Path,
    hall_ids: Sequence[str],
    *,
    login: tuple[str, str] | None = None,
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m hall.cli.main run --config <config>` (a file, or a folder of hall files),
    once every hall of it says online on the broker; SIGTERM at the end."""
    log_path = servers.workdir / f"hub-{config.stem}.log"
    argv = [sys.executable, "-m", "hall.cli.main", "--log-level", "WARNING"]
    argv += ["run", "--config", str(config)]
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(*argv, cwd=ROOT, stdout=log, stderr=log)
    exited = asyncio.ensure_future(proc.wait())
    try:
        env = Env(servers, patience_s=0)
        for hall_id in hall_ids:
            try:
                await asyncio.wait_for(
                    wait_online(env, hall_id, exited, login=login), STARTUP_S + START_TIMEOUT_S
                )
            except (RuntimeError, TimeoutError) as exc:
                tail = log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the hub did not start: {exc}\n{tail}") from exc
        yield proc
    finally:
        await stop_process(proc, exited)
