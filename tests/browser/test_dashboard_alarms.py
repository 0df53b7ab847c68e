"""The dashboard's alarms in Chromium on a 1366×768 laptop whose clock is in New York while the
hall is in Shanghai: alarms grouped by kind, most severe first, each with the time its cause
happened in the hall's zone (as every time of the page); filters kept across a reload;
a whole kind acknowledged at once; the dashboard and the reports page fit the laptop."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.async_api import expect

from tests.integration.halls import online_client

from .conftest import TABLET, HallFactory, chromium, login, open_page, shot

LAPTOP = {"width": 1366, "height": 768}
HALL_ZONE = "Asia/Shanghai"
BROWSER_ZONE = "America/New_York"
SUPERVISION = {
    "waiting_yellow": 1,
    "waiting_orange": 5,
    "waiting_red": 300,
    "wait_target_s": 1,  # every waiting ticket is over the target at the next review
    "pause_limit_s": 1,
    "device_offline_s": 7 * 86400,  # the hall's devices are not connected in these tests
}


BUSY_HALF_HOURS = [
    {
        "start": f"{h:02d}:{m:02d}",
        "end": f"{h + (m + 30) // 60:02d}:{(m + 30) % 60:02d}",
        "arrivals_per_hour": {code: 30.0 for code in "ABCDEFG"},
        "windows": {code: 2 for code in "ABCDEFG"},
        "total": 14,
        "more_than_open": 12,
    }
    for h in range(13, 18)
    for m in (0, 30)
]


async def busy_staffing(route: Any) -> None:
    advice = {
        "target": {"share": 0.8, "wait_s": 900},
        "open_now": {"windows": 2, "services": {"A": 1, "B": 1}},
        "half_hours": BUSY_HALF_HOURS,
    }
    await route.fulfill(json=advice)


def clock_text(rfc3339: str) -> str:
    """HH:MM:SS of an RFC 3339 time, in the offset it was written with (the hall's)."""
    return datetime.fromisoformat(rfc3339).strftime("%H:%M:%S")


async def fits(page: Any) -> None:
    """No horizontal scrolling: the page is no wider than the window."""
    widths = await page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths


async def box(page: Any, selector: str) -> dict[str, float]:
    found = await page.locator(selector).bounding_box()
    assert found is not None, selector
    return dict(found)


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


async def test_alarms_grouped_filtered_in_the_halls_zone_on_a_laptop(
    tmp_path: Path, hall: HallFactory, hall_id: str, artifacts: Path
) -> None:
    running = await hall(supervision=SUPERVISION)
    base = running.http_url
    async with online_client(running, hall_id) as c:
        await c.ok("pad-2", "window.open", {"staff": "S002"})
        rated = (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]
        await c.ok("pad-2", "call.next")
        await c.ok("pad-2", "ticket.start")
        await c.ok("pad-2", "ticket.finish")
        rating = await c.ok("pad-2", "eval.submit", {"ticket": rated["no"], "level": 1})
        waiting = [(await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]]
        waiting.append((await c.ok("kiosk-2", "ticket.take", {"service": "A"}))["ticket"])
        await c.ok("pad-1", "window.open", {"staff": "S001"})
        await c.ok("pad-1", "window.pause", {"reason": "午休"})

    async with chromium(tmp_path, BROWSER_ZONE) as context:
        page = await open_page(context, LAPTOP)
        assert await page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == (
            BROWSER_ZONE
        )
        await login(page, base)
        alarms = page.locator("#alarms")
        groups = alarms.locator("li.alarm-group")
        await expect(groups).to_have_count(4)  # rating, paused, wait, waiting
        # The hall's zone, named once in the header.
        await expect(page.locator("#hall-zone")).to_have_text(f"时区 {HALL_ZONE}")

        # Most severe first: the bad rating (red), then the oldest causes.
        await expect(groups.first).to_have_attribute("data-kind", "rating")
        rating_alarm = alarms.locator(f'li[data-alarm="rating:{rated["no"]}"]')
        rated_at = clock_text(rating["evaluation"]["at"])
        await expect(rating_alarm.locator("time.cause")).to_have_text(f"发生于 {rated_at}")
        # Each alarm's sentence is built by the page from the alarm's details, in Chinese as
        # the hub words it; the pause reason is the clerk's own text.
        paused_alarm = alarms.locator('li[data-alarm="paused:1"] .msg')
        await expect(paused_alarm).to_have_text(re.compile(r"^1号窗口 暂停 \d+ 分钟\(午休\)$"))
        await expect(rating_alarm.locator(".msg")).to_have_text(
            f"{rated['no']} 差评「非常不满意」(2号窗口 工号 S002)"
        )
        wait_group = alarms.locator('li.alarm-group[data-kind="wait"]')
        await expect(wait_group.locator(".group-count")).to_have_text("2 条 · 未确认 2")
        first_wait = wait_group.locator("li.alarm").first
        await expect(first_wait).to_have_attribute("data-alarm", f"wait:{waiting[0]['no']}")
        issued = clock_text(waiting[0]["issued_at"])
        await expect(first_wait.locator("time.cause")).to_have_text(f"发生于 {issued}")
        # The clock shows the hall's hour (12 or 13 hours from New York's).
        now, clock = await page.evaluate(
            "[window.hallDashboard.snapshot().hall.now, window.Hall.$('clock').textContent]"
        )
        assert now.endswith("+08:00")
        hour = int(clock_text(now)[:2])
        assert int(clock[:2]) in (hour, (hour + 1) % 24), (now, clock)

        # The laptop: no sideways scrolling; queues, windows and alarms in view, apart.
        await fits(page)
        panels = [
            await box(page, "#queues"),
            await box(page, "#windows"),
            await box(page, ".alarms-panel"),
        ]
        for panel in panels:
            assert panel["x"] >= 0 and panel["x"] + panel["width"] <= LAPTOP["width"], panel
            assert panel["y"] < LAPTOP["height"], panel
        assert not any(overlap(a, b) for i, a in enumerate(panels) for b in panels[i + 1 :])
        for selector in ("#queues", "#windows", ".alarms-panel h2", "#alarm-filters"):
            await expect(page.locator(selector)).to_be_in_viewport()
        await shot(page, artifacts, "dashboard-1366-alarms")

        # Only waits: kept in the address and across a reload.
        await page.get_by_label("类别").select_option("wait")
        await expect(groups).to_have_count(1)
        await expect(page).to_have_url(re.compile("#alarms=kind:wait$"))
        await page.reload()
        await expect(page.get_by_label("类别")).to_have_value("wait")
        await expect(groups).to_have_count(1)
        await expect(groups.first).to_have_attribute("data-kind", "wait")
        # Red only, on top: nothing left to show.
        await page.get_by_label("级别").select_option("red")
        await expect(alarms.locator("li.empty")).to_have_text("没有符合筛选条件的告警")
        await page.get_by_role("button", name="清除筛选").click()
        await expect(groups).to_have_count(4)

        # A kind folds away and opens again.
        toggle = wait_group.get_by_role("button", name="展开或收起「等候超时」")
        await toggle.click()
        await expect(toggle).to_have_attribute("aria-expanded", "false")
        await expect(wait_group.locator("li.alarm").first).to_be_hidden()
        await toggle.click()
        await expect(wait_group.locator("li.alarm").first).to_be_visible()

        # Every waiting-too-long alarm acknowledged at once, with who did it.
        await wait_group.get_by_role("button", name="确认全部未确认的「等候超时」告警").click()
        await expect(wait_group.locator(".group-count")).to_have_text("2 条 · 未确认 0")
        await expect(first_wait.locator(".meta")).to_contain_text("admin 于")
        await expect(page.locator('#log li[data-type="alarm.acked"]')).to_have_count(2)
        await page.get_by_label("确认", exact=True).select_option("open")
        await expect(wait_group).to_have_count(0)
        await shot(page, artifacts, "dashboard-1366-alarms-open")

        # The event log is in the hall's zone too.
        async with online_client(running, hall_id) as c:
            later = (await c.ok("kiosk-1", "ticket.take", {"service": "C"}))["ticket"]
        taken = page.locator('#log li[data-type="ticket.taken"]').first
        # The log shows the event's time, written when the ticket was stored: the same second
        # as the ticket's issue time, or the next one on a busy machine.
        issued = datetime.fromisoformat(later["issued_at"])
        seconds = (clock_text(t.isoformat()) for t in (issued, issued + timedelta(seconds=1)))
        await expect(taken.locator(".time")).to_have_text(
            re.compile("^(" + "|".join(seconds) + ")$")
        )

        # A busy afternoon's staffing advice (what the hub gives depends on the time of day):
        # the panel's widest rows must fit too.
        await page.route("**/api/staffing/today", busy_staffing)
        await page.evaluate("window.hallStaffing.reload()")
        await expect(page.locator("#staffing tbody tr")).to_have_count(len(BUSY_HALF_HOURS))

        # In English, the same alarms and zone.
        await page.get_by_role("button", name="English").click()
        await expect(page.locator("#hall-zone")).to_have_text(f"Time zone {HALL_ZONE}")
        await expect(rating_alarm.locator("time.cause")).to_have_text(f"happened at {rated_at}")
        # Every alarm in English, the paused window's too; its reason stays as the clerk wrote it.
        await expect(paused_alarm).to_have_text(
            re.compile(r"^Window 1 paused for \d+ min \(午休\)$")
        )
        await expect(rating_alarm.locator(".msg")).to_have_text(
            f"{rated['no']}: poor rating \u201cVery dissatisfied\u201d (Window 2, staff S002)"
        )
        await expect(alarms.locator('li[data-alarm="waiting:A"] .msg')).to_have_text(
            re.compile(r"^社保医保: \d+ waiting$")
        )
        await page.get_by_label("Acknowledged", exact=True).select_option("all")
        await expect(first_wait.locator(".msg")).to_have_text(
            re.compile(rf"^{waiting[0]['no']} waiting for \d+ min$")
        )
        # No Chinese left but the hall's own words: the clerk's reason and the services' names.
        hall_words = re.compile(
            r"^(Window 1 paused for \d+ min \(午休\)|(社保医保|企业开办): \d+ waiting)$"
        )
        for text in await alarms.locator(".msg").all_text_contents():
            assert hall_words.match(text) or not re.search("[\u4e00-\u9fff]", text), text
        await shot(page, artifacts, "dashboard-1366-alarms-en")

        # A tablet: no sideways scrolling either.
        await page.set_viewport_size(TABLET)
        await fits(page)
        await page.locator("#staffing").scroll_into_view_if_needed()
        await shot(page, artifacts, "dashboard-1280-en-staffing")

        # The reports page on the laptop: fits, and names the hall's zone.
        await page.set_viewport_size(LAPTOP)
        await page.goto(f"{base}/dashboard/reports")
        await expect(page.locator("#report-zone")).to_contain_text(HALL_ZONE)
        await expect(page.locator("#report-table tfoot tr.total")).to_be_visible()
        await fits(page)
        await shot(page, artifacts, "reports-1366")


async def test_a_filter_in_the_address_wins_over_the_remembered_one(
    context: Any, hall: HallFactory, hall_id: str
) -> None:
    running = await hall(supervision=SUPERVISION)
    async with online_client(running, hall_id) as c:
        await c.ok("kiosk-1", "ticket.take", {"service": "B"})
    page = await open_page(context, LAPTOP)
    await login(page, running.http_url)
    groups = page.locator("#alarms li.alarm-group")
    await expect(groups).to_have_count(2)  # waiting:B and wait:B001
    await page.get_by_label("类别").select_option("waiting")
    await expect(groups).to_have_count(1)
    # A bookmarked address of a wall dashboard: its filter, whatever was chosen before.
    await page.goto(f"{running.http_url}/dashboard#alarms=kind:wait;ack:open")
    await page.reload()
    await expect(page.get_by_label("类别")).to_have_value("wait")
    await expect(page.get_by_label("确认", exact=True)).to_have_value("open")
    await expect(groups).to_have_count(1)
    await expect(groups.first).to_have_attribute("data-kind", "wait")
    # Without one, the page shows what was chosen last.
    await page.goto(f"{running.http_url}/dashboard")
    await expect(page.get_by_label("类别")).to_have_value("wait")
