"""The ticket page on a phone (Chromium at 390×844) follows its ticket live and alerts the
citizen — vibration, a chime, the page title — when few are left ahead and when called."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.async_api import expect

from tests.integration.halls import online_client
from tests.support import eventually

from .conftest import PHONE, HallFactory, chromium, open_page, shot

# What the page asks the phone to do (headless Chromium has no vibration motor to ask).
RECORD_VIBRATIONS = """
window.__vibrations = [];
navigator.vibrate = (pattern) => { window.__vibrations.push(pattern); return true; };
"""


async def alerts(phone: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await phone.evaluate("window.hallTicket.alerts")
    return found


async def test_the_phone_alerts_when_nearly_up_and_when_called(
    context: Any, hall: HallFactory, hall_id: str, artifacts: Path
) -> None:
    hub = await hall(screen={"phone_alert_ahead": 2})
    base = hub.http_url
    async with online_client(hub, hall_id) as c:
        for _ in range(4):
            await c.ok("kiosk-1", "ticket.take", {"service": "A"})
        requested: list[str] = []
        phone = await open_page(context, PHONE)
        await phone.add_init_script(RECORD_VIBRATIONS)
        phone.on("request", lambda request: requested.append(request.url))
        sockets: list[str] = []
        phone.on("websocket", lambda socket: sockets.append(socket.url))
        await phone.goto(f"{base}/t/A004")
        await expect(phone.locator("#t-ahead")).to_have_text("3 人")
        await expect(phone.locator("#t-alert")).to_be_hidden()
        turn_on = phone.get_by_role("button", name="开启提醒（振动和提示音）")
        await shot(phone, artifacts, "ticket-phone-waiting")
        await turn_on.click()
        await expect(turn_on).to_be_hidden()
        assert await phone.evaluate("window.HallChime.ready()")  # the touch let it sound

        for pad, staff in (("pad-1", "S001"), ("pad-2", "S002"), ("pad-4", "S004")):
            await c.ok(pad, "window.open", {"staff": staff})
        await c.ok("pad-1", "call.next")  # A001: two left ahead of A004
        near = phone.locator("#t-alert")
        await expect(near).to_have_text("快到您了：前面还有 2 人，请回到等候区")
        await expect(phone).to_have_title("【快到您了：前面还有 2 人，请回到等候区】A004 · 等候中")
        await eventually(lambda: phone.evaluate("window.hallTicket.alerts[0].sounded"), "chime")
        await shot(phone, artifacts, "ticket-phone-near")
        await c.ok("pad-2", "call.next")  # A002: one left, no second reminder
        await expect(phone.locator("#t-ahead")).to_have_text("1 人")
        await c.ok("pad-4", "call.next")  # A003
        await expect(phone.locator("#t-ahead")).to_have_text("0 人")
        assert [a["kind"] for a in await alerts(phone)] == ["near"]

        await c.ok("pad-1", "call.no_show")
        await c.ok("pad-1", "call.next")  # A004 at window 1
        await expect(phone.locator("#t-state")).to_have_text("请到1号窗口")
        await expect(near).to_have_text("请到1号窗口")
        await expect(phone).to_have_title("【请到1号窗口】A004 · 请到1号窗口")
        await shot(phone, artifacts, "ticket-phone-called")
        await c.ok("pad-1", "call.recall")  # called again: alerted again
        await eventually(
            lambda: phone.evaluate("window.hallTicket.alerts.length === 3"), "the recall's alert"
        )
        kinds = [a["kind"] for a in await alerts(phone)]
        assert kinds == ["near", "called", "called"]
        vibrations = await phone.evaluate("window.__vibrations")
        # The touch on the button, then one pattern per alert.
        assert vibrations == [
            50,
            [200, 100, 200],
            [500, 150, 500, 150, 500],
            [500, 150, 500, 150, 500],
        ]
        await eventually(
            lambda: phone.evaluate("window.hallTicket.alerts.every((a) => a.sounded)"), "chimes"
        )

        await c.ok("pad-1", "ticket.start")
        await expect(phone.locator("#t-state")).to_have_text("办理中")
        await expect(near).to_be_hidden()
        await expect(phone).to_have_title("A004 · 办理中")
    assert not [url for url in requested if "/api/" in url]  # live over its socket, no polling
    assert sockets == [f"{base.replace('http', 'ws')}/ws/ticket/A004"]


async def test_a_phone_that_was_not_touched_still_shows_and_titles_the_call(
    context: Any, hall: HallFactory, hall_id: str, artifacts: Path
) -> None:
    hub = await hall()
    async with online_client(hub, hall_id) as c:
        await c.ok("kiosk-2", "ticket.take", {"service": "C"})
        phone = await open_page(context, PHONE, f"{hub.http_url}/t/C001")
        # Alone in the queue: nearly up at once (the default is 3 ahead).
        await expect(phone.locator("#t-alert")).to_contain_text("前面还有 0 人")
        await c.ok("pad-4", "window.open", {"staff": "S004"})
        await c.ok("pad-4", "call.next")
        await expect(phone).to_have_title("【请到综合窗口】C001 · 请到综合窗口")
        await expect(phone.locator("#t-alert")).to_have_text("请到综合窗口")
        # Without a touch the phone may not sound: the page says how to turn alerts on.
        await expect(phone.get_by_role("button", name="开启提醒（振动和提示音）")).to_be_visible()
        assert [a["sounded"] for a in await alerts(phone)] == [False, False]
        await phone.get_by_role("button", name="English").click()
        await expect(
            phone.get_by_role("button", name="Turn on alerts (vibration and sound)")
        ).to_be_visible()
        await shot(phone, artifacts, "ticket-phone-called-untouched")


async def test_the_phone_shows_the_update_time_in_the_halls_clock(
    tmp_path: Path, hall: HallFactory, hall_id: str, artifacts: Path
) -> None:
    """A phone set to UTC (a visitor's, a roaming one) shows 更新于 in the hall's time
    (Asia/Shanghai, eight hours ahead), which the ticket socket's `page` message carries."""
    hub = await hall()
    async with online_client(hub, hall_id) as c:
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})
    hall_zone = ZoneInfo("Asia/Shanghai")
    async with chromium(tmp_path, timezone_id="UTC") as utc_context:
        phone = await open_page(utc_context, PHONE)
        before = dt.datetime.now(hall_zone)
        await phone.goto(f"{hub.http_url}/t/A001")
        await expect(phone.locator("#updated")).to_contain_text("更新于")
        after = dt.datetime.now(hall_zone)
        shown = re.search(r"\d\d:\d\d:\d\d", await phone.locator("#updated").inner_text())
        await shot(phone, artifacts, "ticket-updated-utc-phone")
    assert shown is not None
    # Any second from just before the page opened to just after it showed the time.
    seconds = int((after - before).total_seconds()) + 3
    hall_times = {
        (before + dt.timedelta(seconds=s)).strftime("%H:%M:%S") for s in range(-1, seconds)
    }
    assert shown.group(0) in hall_times, (shown.group(0), sorted(hall_times))
