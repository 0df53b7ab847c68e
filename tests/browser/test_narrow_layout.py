"""The dashboard's pages on a 1366×768 laptop and a portrait tablet (800×1280), in Chinese
and in English: nothing scrolls the page sideways (a wide table scrolls inside its panel),
the header keeps the hall's name on one line and every header link inside the bar, and the
queue and window tables keep their buttons inside their panels; in English the header's
links and the alarms are English too; a kiosk's clock shows the hall's time."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from tests.integration.halls import online_client

from .conftest import TABLET, HallFactory, chromium, login, open_page, shot

PORTRAIT = {"width": 800, "height": 1280}
LAPTOP = {"width": 1366, "height": 768}

# Whether every link and button of the header lies inside the header bar and the window.
HEADER_FITS = """() => {
  const bar = document.querySelector('.topbar').getBoundingClientRect();
  return [...document.querySelectorAll('.topbar a, .topbar button')].every((n) => {
    const r = n.getBoundingClientRect();
    return r.left >= bar.left && r.right <= Math.min(bar.right, window.innerWidth) + 0.5
      && r.top >= bar.top && r.bottom <= bar.bottom + 0.5;
  });
}"""
# Whether every button of a panel lies inside that panel, or inside the area the panel
# scrolls (then it clips what it holds: nothing spills over the next panel).
BUTTONS_IN_PANELS = """() => [...document.querySelectorAll('.panel')].every((panel) => {
  const p = panel.getBoundingClientRect();
  const scrolls = ['auto', 'scroll'].includes(getComputedStyle(panel).overflowX);
  const right = scrolls ? p.left + panel.scrollWidth : p.right;
  return [...panel.querySelectorAll('button')].every((b) => {
    const r = b.getBoundingClientRect();
    return r.width === 0 || (r.left >= p.left - 0.5 && r.right <= right + 0.5);
  });
})"""


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_dashboards_pages_fit_a_laptop_and_a_portrait_tablet(
    context: Any, hall: HallFactory, artifacts: Path, lang: str
) -> None:
    base = (await hall()).http_url
    page = await open_page(context, LAPTOP)
    await login(page, base)
    for viewport in (LAPTOP, PORTRAIT):
        await page.set_viewport_size(viewport)
        for path in ("/dashboard", "/dashboard/hall", "/dashboard/staff", "/dashboard/reports"):
            await page.goto(f"{base}{path}?lang={lang}")
            await page.locator(".topbar h1").wait_for()
            await page.wait_for_load_state("networkidle")
            where = f"{path} at {viewport['width']} in {lang}"
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], where
            assert await page.evaluate(HEADER_FITS), where
            assert await page.evaluate(BUTTONS_IN_PANELS), where
            # The hall's name (or the page's title) stays on one line.
            h1 = await page.locator(".topbar h1").bounding_box()
            line = await page.evaluate(
                "parseFloat(getComputedStyle(document.querySelector('.topbar h1')).lineHeight)"
            )
            assert h1 is not None and h1["height"] < 2 * line, where
        await shot(page, artifacts, f"dashboard-{viewport['width']}-{lang}")
    await page.goto(f"{base}/dashboard?lang={lang}")
    reports = page.locator("#reports-link")
    await reports.wait_for()
    assert (await reports.inner_text()) == ("统计报表" if lang == "zh" else "Reports")


async def test_the_alarms_are_worded_in_english_on_the_english_dashboard(
    context: Any, hall: HallFactory, hall_id: str, artifacts: Path
) -> None:
    supervision = {"waiting_yellow": 1, "wait_target_s": 1, "device_offline_s": 1}
    running = await hall(supervision=supervision)
    async with online_client(running, hall_id) as c:
        ticket = (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]
    page = await open_page(context, PORTRAIT)
    await login(page, running.http_url)
    await page.goto(f"{running.http_url}/dashboard?lang=en")
    alarms = page.locator("#alarms")
    device = alarms.locator('li.alarm[data-alarm="device:printer-1"] .msg')
    await expect(device).to_have_text(re.compile(r"^Device printer-1 offline for \d+ min$"))
    wait = alarms.locator(f'li.alarm[data-alarm="wait:{ticket["no"]}"] .msg')
    await expect(wait).to_have_text(re.compile(rf"^{ticket['no']} waiting for \d+ min$"))
    await expect(alarms.locator('li.alarm[data-alarm="waiting:A"] .msg')).to_have_text(
        re.compile(r": 1 waiting$")
    )
    await shot(page, artifacts, "dashboard-alarms-en")
    await page.get_by_role("button", name="切换到中文").click()
    await expect(device).to_have_text(re.compile(r"^设备 printer-1 离线 \d+ 分钟$"))


async def test_the_kiosk_clock_shows_the_halls_time_not_the_computers(
    tmp_path: Path, hall: HallFactory
) -> None:
    running = await hall()
    zone = ZoneInfo(running.hub.config.hall.timezone)
    async with chromium(tmp_path, "America/New_York") as context:
        kiosk = await open_page(context, TABLET, f"{running.http_url}/kiosk/kiosk-1")
        await expect(kiosk.locator("#services button").first).to_be_visible()  # connected
        # The hall's minute now or the next one (New York's is 12 or 13 hours away).
        now = dt.datetime.now(zone)
        minutes = [(now + dt.timedelta(minutes=m)).strftime("%H:%M") for m in (0, 1)]
        await expect(kiosk.locator("#clock")).to_have_text(re.compile(f"^({'|'.join(minutes)})$"))
