"""Helpers shared by the tests: free ports, hall files, waiting until something holds (with a
deadline), waiting for a server to listen, running a part in the background, and what a test
does when a tool it needs is missing."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import socket
import sys
import time
import tomllib
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn

import pytest

from hall.contract.ports import free_port as free_port  # the product's, for the tests
from hall.domain.config import DEVICE_KINDS

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_HALL = REPO_ROOT / "config" / "demo-hall.toml"
POLL_INTERVAL_S = 0.02
STOP_WAIT_S = 30.0  # a part asked to stop that is still running after this is stuck
WAIT_S = 15.0  # generous: a loaded machine is slow, and a passing test never waits this long


async def eventually(
    check: Callable[[], object],
    what: str = "the condition",
    timeout: float = WAIT_S,
    *,
    news: asyncio.Event | None = None,
    tasks: Iterable[asyncio.Task[Any]] = (),
) -> None:
    """Wait until `check()` holds (awaited when it returns an awaitable, e.g. a Redis query).

    With `news` (an event the watched object sets on every change) it waits for that instead
    of polling. Raises TimeoutError naming `what` after `timeout` seconds; when one of `tasks`
    ends first, raises what ended it (or AssertionError if it ended quietly).
    """
    watched = list(tasks)

    async def loop() -> None:
        while True:
            if news is not None:
                news.clear()
            holds = check()
            if inspect.isawaitable(holds):
                holds = await holds
            if holds:
                return
            for task in watched:
                if task.done():
                    task.result()
                    raise AssertionError(f"a watched task ended while waiting for: {what}")
            if news is None:
                await asyncio.sleep(POLL_INTERVAL_S)
            else:
                await news.wait()

    deadline = asyncio.timeout(timeout)
    try:
        async with deadline:
            await loop()
    except TimeoutError:
        if deadline.expired():
            raise TimeoutError(f"not within {timeout:g} s: {what}") from None
        raise


class ManualClock:
    """A clock that moves only when a test sets `now`: pass it where `time.monotonic` goes."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def missing(reason: str) -> NoReturn:
    """Something a test needs is not installed: skipped on a developer's machine, failed under
    CI (CI=true), where ``scripts/test`` installs everything."""
    if under_ci():
        pytest.fail(f"{reason}; CI must have it")
    pytest.skip(reason)


@contextlib.asynccontextmanager
async def background(
    run: Coroutine[Any, Any, object],
    ready: asyncio.Event | None = None,
    *,
    timeout: float = 10.0,
    quiet: tuple[type[Exception], ...] = (),
) -> AsyncIterator[asyncio.Task[object]]:
    """Run `run` as a task for the body of the `async with` (entered once `ready` is set, when
    given), then cancel it and wait for its end; an exception of `quiet` it ends with is
    swallowed too."""
    task = asyncio.create_task(run)
    try:
        if ready is not None:
            await asyncio.wait_for(ready.wait(), timeout)
        yield task
    finally:
        task.cancel()
        await asyncio.wait({task}, timeout=STOP_WAIT_S)
        if not task.done():
            _print_task_stacks()
            raise AssertionError(f"{run!r} did not stop within {STOP_WAIT_S} s")
        with contextlib.suppress(asyncio.CancelledError, *quiet):
            task.result()


def _print_task_stacks() -> None:
    """Where every task of the loop waits: what a part that does not stop is stuck on."""
    for pending in asyncio.all_tasks():
        print(f"--- {pending.get_name()}: {pending.get_coro()!r}", file=sys.stderr)
        pending.print_stack(file=sys.stderr)


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> bool:
    """Poll until something accepts TCP connections on host:port; False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        # A JSON string is a valid TOML basic string (same escapes).
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"cannot write {value!r} ({type(value).__name__}) as TOML")


def _toml_key(key: str) -> str:
    if key and all(c.isalnum() or c in "-_" for c in key) and key.isascii():
        return key
    return json.dumps(key, ensure_ascii=False)


def _is_table_array(value: Any) -> bool:
    return (
        isinstance(value, list | tuple)
        and bool(value)
        and all(isinstance(v, Mapping) for v in value)
    )


def dumps_toml(doc: Mapping[str, Any]) -> str:
    """Write a hall document (tables of scalars and arrays of tables) as TOML."""
    lines: list[str] = []
    for key, value in doc.items():
        if not isinstance(value, Mapping) and not _is_table_array(value):
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in doc.items():
        if isinstance(value, Mapping):
            lines.append("")
            lines.append(f"[{_toml_key(key)}]")
            lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        elif _is_table_array(value):
            for item in value:
                lines.append("")
                lines.append(f"[[{_toml_key(key)}]]")
                lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in item.items())
    return "\n".join(lines).lstrip("\n") + "\n"


# Tests drive devices far faster than people press buttons: their halls lift every device's
# request limit, except where a test sets `rate_limits` itself to see the limit at work.
UNLIMITED_RATES = {kind: {"per_s": 10_000.0, "burst": 100_000} for kind in DEVICE_KINDS}


def hall_document(
    hall_id: str,
    mqtt_url: str,
    redis_url: str,
    *,
    http_port: int | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """The demo hall's document with this hall id, broker URL and store URL.

    ``overrides`` are applied per top-level key: a dict is merged into that table (a value of
    ``None`` removes the key), a list replaces the array (``services``, ``windows``,
    ``devices``), ``None`` removes the whole table, anything else replaces the value.
    """
    with DEMO_HALL.open("rb") as f:
        doc: dict[str, Any] = tomllib.load(f)
    doc["hall"]["id"] = hall_id
    doc["broker"] = {"url": mqtt_url}
    doc["store"] = {"url": redis_url}
    port = http_port if http_port is not None else free_port()
    doc["http"] = {"listen": f"127.0.0.1:{port}"}
    doc["rate_limits"] = dict(UNLIMITED_RATES)
    for key, value in overrides.items():
        if value is None:
            doc.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(doc.get(key), Mapping):
            table = dict(doc[key])
            for k, v in value.items():
                if v is None:
                    table.pop(k, None)
                else:
                    table[k] = v
            doc[key] = table
        else:
            doc[key] = value
    if "windows" in overrides and "devices" not in overrides:
        # The demo's devices bound to a window the override left out go with it.
        kept = {w["id"] for w in doc["windows"]}
        doc["devices"] = [d for d in doc["devices"] if d.get("window", next(iter(kept))) in kept]
    return doc


def write_hall_config(
    tmp_path: Path,
    hall_id: str,
    mqtt_url: str,
    redis_url: str,
    **overrides: Any,
) -> Path:
    """Write ``<tmp_path>/hall-<hall_id>.toml``: the demo hall on the given broker and store.

    The HTTP server listens on a free loopback port (pass ``http_port=`` to choose it). See
    :func:`hall_document` for ``overrides``; e.g. ``queue={"recall_cap": 1}`` or
    ``portal={"url": "http://127.0.0.1:9/", "secret": "whsec_..."}``.
    """
    doc = hall_document(hall_id, mqtt_url, redis_url, **overrides)
    path = Path(tmp_path) / f"hall-{hall_id}.toml"
    path.write_text(dumps_toml(doc), encoding="utf-8")
    return path


@contextlib.asynccontextmanager
async def hall_run(
    config: Path, log: Path, stop_timeout_s: float = 15.0
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`hall run --config <config>` as its own process; killed at the end if still running."""
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hall.cli.main",
            "run",
            "--config",
            str(config),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await asyncio.wait_for(process.wait(), stop_timeout_s)
