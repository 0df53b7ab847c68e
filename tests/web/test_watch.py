"""`hall watch`: a subprocess against a running hub prints the hall's events as they happen."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hall.cli.watch import Formatter, _print_message
from hall.hub.runtime import Running
from tests.integration.contract_client import ContractClient

from .conftest import API_TOKEN, PASSWORD


async def start_watch(hub: Running, *args: str, **env: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hall.cli.main",
        "watch",
        "--url",
        hub.http_url,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
    )


async def read_until(stream: asyncio.StreamReader, wanted: str, lines: list[str]) -> None:
    while not any(wanted in line for line in lines):
        raw = await stream.readline()
        if not raw:
            raise AssertionError(f"the watch ended before {wanted!r}: {lines}")
        lines.append(raw.decode().rstrip("\n"))


async def stop(process: asyncio.subprocess.Process) -> int:
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
    return await asyncio.wait_for(process.wait(), 10)


async def test_hall_watch_prints_the_events_while_tickets_are_taken(
    web_hub: Running, mqtt: ContractClient
) -> None:
    process = await start_watch(web_hub, "--token", API_TOKEN)
    assert process.stdout is not None and process.stderr is not None
    try:
        status: list[str] = []
        await asyncio.wait_for(read_until(process.stderr, "已连接", status), 15)
        await mqtt.ok("pad-1", "window.open", {"staff": "S001"})
        for _ in range(3):
            await mqtt.ok("kiosk-1", "ticket.take", {"service": "A"})
        await mqtt.ok("kiosk-2", "ticket.take", {"service": "B", "priority": "green"})
        await mqtt.ok("pad-1", "call.next")
        await mqtt.ok("pad-4", "window.open", {"staff": "S004"})  # named in the hall file
        await mqtt.ok("pad-1", "window.pause", {"reason": "午休"})
        lines: list[str] = []
        await asyncio.wait_for(read_until(process.stdout, "暂停 1号窗口", lines), 15)
    finally:
        code = await stop(process)
    text = "\n".join(lines)
    assert "签到 1号窗口 工号 S001" in text
    for no in ("A001", "A002", "A003"):
        assert f"取号 {no} 社保医保 (前面" in text
    assert "取号 B001 不动产登记 绿色通道" in text
    assert "叫号 B001 → 1号窗口" in text  # the green channel first
    assert "暂停 1号窗口: 午休" in text
    assert "签到 综合窗口 工号 S004" in text  # the name the hub sent, not one made here
    assert all(line[:8].count(":") == 2 for line in lines)  # each line starts with its time
    assert code == 0


async def test_hall_watch_signs_in_as_a_user(web_hub: Running, mqtt: ContractClient) -> None:
    process = await start_watch(web_hub, "--user", "admin", HALL_PASSWORD=PASSWORD)
    assert process.stdout is not None and process.stderr is not None
    try:
        await asyncio.wait_for(read_until(process.stderr, "已连接", []), 15)
        await mqtt.ok("kiosk-1", "ticket.take", {"service": "C"})
        lines: list[str] = []
        await asyncio.wait_for(read_until(process.stdout, "取号 C001 企业开办", lines), 15)
    finally:
        await stop(process)


async def test_hall_watch_says_why_when_it_is_refused(web_hub: Running) -> None:
    for args in (
        ("--token", "not-a-known-token-000"),
        ("--user", "admin", "--password", "x"),
        ("--user", "guest", "--password", PASSWORD),  # a viewer: the watch is for managers
    ):
        process = await start_watch(web_hub, *args)
        _out, err = await asyncio.wait_for(process.communicate(), 15)
        assert process.returncode == 2, args
        assert b"hall watch:" in err and b"refused" in err, err


def test_the_watch_names_windows_as_the_hub_sent_them() -> None:
    formatter = Formatter(clock=lambda at: "09:30:00")
    out = io.StringIO()
    event = {"type": "ticket.called", "at": 1.0, "window": "4", "ticket": {"no": "C001"}}
    _print_message(formatter, json.dumps({"type": "event", "event": event}), out)
    names = {"type": "windows", "windows": {"4": "东厅综合窗口"}}
    _print_message(formatter, json.dumps(names, ensure_ascii=False), out)
    _print_message(formatter, json.dumps({"type": "event", "event": event}), out)
    assert out.getvalue().splitlines() == [
        "09:30:00 叫号 C001 → 窗口 4",
        "09:30:00 叫号 C001 → 东厅综合窗口",
    ]


async def test_hall_watch_tells_the_halls_time_not_the_computers(
    web_hub: Running, mqtt: ContractClient
) -> None:
    """The watch on a computer in New York, the hall in Shanghai: each line has the hall's
    time (12 or 13 hours from the computer's), as the dashboard does."""
    zone = web_hub.hub.config.hall.timezone
    assert zone == "Asia/Shanghai"
    process = await start_watch(web_hub, "--token", API_TOKEN, TZ="America/New_York")
    assert process.stdout is not None and process.stderr is not None
    try:
        status: list[str] = []
        await asyncio.wait_for(read_until(process.stderr, f"时间为大厅时区 {zone}", status), 15)
        assert status[0].startswith("已连接")
        taken = (await mqtt.ok("kiosk-1", "ticket.take", {"service": "C"}))["ticket"]
        lines: list[str] = []
        await asyncio.wait_for(read_until(process.stdout, f"取号 {taken['no']} ", lines), 15)
    finally:
        await stop(process)
    (line,) = [line for line in lines if f"取号 {taken['no']} " in line]
    # The event's time is written when the ticket is stored: the second of its issue (which the
    # hub writes with the hall's offset) or, on a busy machine, the next one.
    issued = datetime.fromisoformat(taken["issued_at"])
    assert issued.utcoffset() == timedelta(hours=8)
    hall_seconds = {(issued + timedelta(seconds=s)).strftime("%H:%M:%S") for s in (0, 1)}
    assert line[:8] in hall_seconds, (line, hall_seconds)
    new_york = issued.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M:%S")
    assert line[:8] != new_york


@pytest.fixture
def computer_in_new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's local zone is New York's for the test."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("computer_in_new_york")
def test_the_watch_clock_follows_the_zone_the_hub_sent() -> None:
    at = datetime(2026, 11, 27, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    event = json.dumps({"type": "event", "event": {"type": "device.status", "at": at}})
    formatter, out, err = Formatter(), io.StringIO(), io.StringIO()
    _print_message(formatter, event, out, err)  # no zone from the hub yet: the computer's
    _print_message(formatter, json.dumps({"type": "hall", "timezone": "Mars/Base"}), out, err)
    _print_message(formatter, event, out, err)
    _print_message(formatter, json.dumps({"type": "hall", "timezone": "Asia/Shanghai"}), out, err)
    _print_message(formatter, event, out, err)
    assert [line[:8] for line in out.getvalue().splitlines()] == [
        "20:30:00",  # New York, the day before
        "20:30:00",  # an unknown zone is not taken
        "09:30:00",  # the hall's
    ]
    assert err.getvalue().splitlines() == [
        "大厅时区 Mars/Base 未知: 时间按本机时区显示",
        "时间为大厅时区 Asia/Shanghai",
    ]
