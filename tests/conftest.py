"""Fixtures for every test: the shared broker and Redis, per-test hall ids and hall files, a
running hub and an outside client of it, private servers, and espeak-ng where a test needs it.

``scripts/test`` starts a private Mosquitto and Redis and exports their URLs in
HALL_TEST_MQTT_URL and HALL_TEST_REDIS_URL; without them the tests use the standard local ports.
Each test gets its own hall id, so tests never see each other's keys or topics. A folder or
module changes the hall its tests run by overriding ``hall_config_path`` (with ``hall_file``).
"""

from __future__ import annotations

import functools
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar
from urllib.parse import urlsplit

import pytest
import redis.asyncio as aredis

from hall.hub.runtime import Running
from tests.integration.contract_client import ContractClient
from tests.integration.halls import outside_client, running_hub
from tests.support import free_port, missing, wait_for_port, write_hall_config

DEFAULT_MQTT_URL = "mqtt://127.0.0.1:1883"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0


def require_binary(name: str, env_var: str) -> str:
    """The absolute path of a server binary, from ``env_var`` or PATH (and the sbin folders).

    Missing: the test is skipped on a developer's machine, and fails under CI (CI=true), where
    ``scripts/test`` installs it.
    """
    configured = os.environ.get(env_var)
    if configured:
        if os.access(configured, os.X_OK):
            return configured
        missing(f"{env_var}={configured} is not an executable file")
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"])
    found = shutil.which(name, path=search)
    if found:
        return found
    missing(f"{name} is not installed (run scripts/test, or apt-get install {name})")


class ServerProcess:
    """A private server on a free loopback port; its data folder outlives stop() and start()."""

    def __init__(self, name: str, argv: list[str], port: int, data_dir: Path) -> None:
        self.name = name
        self.argv = argv
        self.host = "127.0.0.1"
        self.port = port
        self.data_dir = data_dir
        self.log_path = data_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"

    def start(self) -> None:
        if self.running:
            return
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                cwd=self.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if not self.wait_ready() or not self.running:
            self.kill()
            raise RuntimeError(
                f"{self.name} did not start on {self.host}:{self.port} within "
                f"{START_TIMEOUT_S:.0f} s: {shlex.join(self.argv)}\n{self.log_tail()}"
            )

    def wait_ready(self) -> bool:
        return wait_for_port(self.host, self.port, START_TIMEOUT_S)

    def stop(self) -> None:
        """Stop gracefully (SIGTERM: Redis flushes its append-only file); the data stays."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """Stop abruptly (SIGKILL), as a power cut would; the data folder stays."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()


class PrivateRedis(ServerProcess):
    def wait_ready(self) -> bool:
        # Redis accepts connections while it still loads its data (-LOADING): wait for PING.
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self.running:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    reply = conn.recv(64)
                if reply.startswith((b"+PONG", b"-NOAUTH")):
                    return True
            except OSError:
                pass
            time.sleep(0.02)
        return False

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"


class PrivateMosquitto(ServerProcess):
    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"


def _split_args(args: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for arg in args:
        out.extend(shlex.split(arg))
    return out


@pytest.fixture(scope="session")
def mqtt_url() -> str:
    return os.environ.get("HALL_TEST_MQTT_URL") or DEFAULT_MQTT_URL


@pytest.fixture(scope="session")
def mqtt_host_port(mqtt_url: str) -> tuple[str, int]:
    parts = urlsplit(mqtt_url)
    return parts.hostname or "127.0.0.1", parts.port or 1883


@pytest.fixture(scope="session")
def redis_url() -> str:
    return os.environ.get("HALL_TEST_REDIS_URL") or DEFAULT_REDIS_URL


@pytest.fixture
def hall_id() -> str:
    """A hall id of this test alone: "t-" and 10 lowercase hex digits."""
    return "t-" + secrets.token_hex(5)


@pytest.fixture
async def redis_client(redis_url: str, hall_id: str) -> AsyncIterator[aredis.Redis]:
    """A client of the shared Redis; every ``{hall:<hall_id>}*`` key is deleted afterwards."""
    client = aredis.Redis.from_url(redis_url, decode_responses=False)
    try:
        yield client
    finally:
        try:
            keys = [key async for key in client.scan_iter(match=f"{{hall:{hall_id}}}*", count=500)]
            for start in range(0, len(keys), 500):
                await client.delete(*keys[start : start + 500])
        finally:
            await client.aclose()


ServerT = TypeVar("ServerT", bound=ServerProcess)


class ServerFactory:
    """Starts servers of one kind for one test, each in its own data folder under tmp_path; a
    ``with`` block kills them all at its end."""

    kind = "server"

    def __init__(self, binary: str, tmp_path: Path) -> None:
        self.binary = binary
        self.tmp_path = tmp_path
        self.servers: list[ServerProcess] = []

    def data_dir(self, port: int) -> Path:
        folder = self.tmp_path / f"{self.kind}-{len(self.servers)}-{port}"
        folder.mkdir(parents=True)
        return folder

    def started(self, server: ServerT) -> ServerT:
        self.servers.append(server)
        server.start()
        return server

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for server in self.servers:
            server.kill()


class PrivateRedisFactory(ServerFactory):
    """``private_redis("--appendonly yes --requirepass x")`` -> a started :class:`PrivateRedis`."""

    kind = "redis"

    def __call__(self, *extra_args: str) -> PrivateRedis:
        port = free_port()
        data_dir = self.data_dir(port)
        argv = [
            self.binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "no",
            "--dir",
            str(data_dir),
            "--save",
            "",
            "--appendonly",
            "no",
            *_split_args(extra_args),  # later arguments win
        ]
        return self.started(PrivateRedis("redis", argv, port, data_dir))


class PrivateMosquittoFactory(ServerFactory):
    """``private_mosquitto("password_file ...\\nacl_file ...")`` -> a started PrivateMosquitto.

    The generated file has the listener, ``set_tcp_nodelay true`` and the persistence folder;
    ``allow_anonymous true`` is added unless the extra text sets ``allow_anonymous`` itself.
    Give absolute paths in the extra text (e.g. files written under ``tmp_path``).
    """

    kind = "mosquitto"

    def __call__(self, extra_config: str = "") -> PrivateMosquitto:
        port = free_port()
        data_dir = self.data_dir(port)
        lines = [
            f"listener {port} 127.0.0.1",
            "set_tcp_nodelay true",
            f"persistence_location {data_dir}/",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "log_type notice",
        ]
        if os.geteuid() == 0:
            # As root, Mosquitto would switch to the "mosquitto" user, who cannot read the
            # test's private temp folder.
            lines.append("user root")
        if not any(
            line.strip().startswith("allow_anonymous") for line in extra_config.splitlines()
        ):
            lines.append("allow_anonymous true")
        lines.append(extra_config)
        conf = data_dir / "mosquitto.conf"
        conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
        argv = [self.binary, "-c", str(conf)]
        return self.started(PrivateMosquitto("mosquitto", argv, port, data_dir))


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedisFactory]:
    """Factory for redis-servers of this test alone; all are killed at teardown."""
    binary = require_binary("redis-server", "HALL_TEST_REDIS_BIN")
    with PrivateRedisFactory(binary, tmp_path) as factory:
        yield factory


@pytest.fixture
def private_mosquitto(tmp_path: Path) -> Iterator[PrivateMosquittoFactory]:
    """Factory for Mosquitto brokers of this test alone; all are killed at teardown."""
    binary = require_binary("mosquitto", "HALL_TEST_MOSQUITTO_BIN")
    with PrivateMosquittoFactory(binary, tmp_path) as factory:
        yield factory


@pytest.fixture
def hall_file(tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str) -> Callable[..., Path]:
    """``hall_file(**overrides)``: the demo hall with this test's hall id on the shared broker
    and Redis, changed by ``overrides`` (see :func:`tests.support.hall_document`), written."""
    return functools.partial(write_hall_config, tmp_path, hall_id, mqtt_url, redis_url)


@pytest.fixture
def hall_config_path(hall_file: Callable[..., Path]) -> Path:
    """The hall this test's hub runs: the demo hall, unless a folder or module says otherwise."""
    return hall_file()


@pytest.fixture
async def hub(hall_config_path: Path) -> AsyncIterator[Running]:
    """A hub on ``hall_config_path``, with its pages, API and live sockets, ready."""
    async with running_hub(hall_config_path) as running:
        yield running


@pytest.fixture
async def client(hub: Running, hall_id: str) -> AsyncIterator[ContractClient]:
    """An outside client (it knows only the device contract) connected to the hub's broker."""
    async with outside_client(hub, hall_id) as outside:
        yield outside


@pytest.fixture
def espeak() -> None:
    """The test speaks with espeak-ng."""
    if shutil.which("espeak-ng") is None:
        missing("espeak-ng is not installed (apt-get install espeak-ng)")
