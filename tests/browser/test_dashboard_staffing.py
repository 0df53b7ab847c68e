"""The dashboard's staffing advice in Chromium on a 1366×768 laptop: the rest of today's half
hours from the live arrivals, the windows advised against those open now, in Chinese and in
English."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.async_api import expect

from tests.integration.halls import online_client

from .conftest import HallFactory, chromium, login, open_page, shot

LAPTOP = {"width": 1366, "height": 768}


async def test_the_advice_for_the_rest_of_today_against_the_windows_open_now(
    tmp_path: Path, hall: HallFactory, hall_id: str, artifacts: Path
) -> None:
    running = await hall()
    base = running.http_url
    async with online_client(running, hall_id) as c:
        await c.ok("pad-1", "window.open", {"staff": "S001"})
        for _ in range(8):
            await c.ok("kiosk-1", "ticket.take", {"service": "A"})

    async with chromium(tmp_path) as context:
        page = await open_page(context, LAPTOP)
        await login(page, base)
        panel = page.locator("section.staffing")
        rows = panel.locator("#staffing tbody tr")
        await expect(rows.first).to_have_attribute("data-start", re.compile(r"^\d\d:[03]0$"))
        advice: dict[str, Any] = await page.evaluate(
            "fetch('/api/staffing/today', {credentials: 'same-origin'}).then(r => r.json())"
        )
        slots = advice["half_hours"]
        assert slots and advice["open_now"]["windows"] == 1
        await expect(rows).to_have_count(len(slots))
        first = slots[0]
        row = rows.first
        await expect(row).to_have_attribute("data-start", first["start"])
        await expect(row.locator("td").nth(0)).to_have_text(f"{first['start']}–{first['end']}")
        await expect(row.locator("td").nth(1)).to_have_text(str(first["total"]))
        more = first["total"] - 1
        verdict = f"需增开 {more} 个" if more > 0 else "足够"
        await expect(row.locator("td").nth(2)).to_have_text(f"1 {verdict}")
        await expect(row.locator("td").nth(3)).to_contain_text(f"A {first['windows']['A']}")
        wait_min = round(advice["target"]["wait_s"] / 60)
        await expect(panel.locator("#staffing-note")).to_have_text(
            f"按今日到号预测，80% 的群众在 {wait_min} 分钟内被叫号所需窗口；当前开放 1 个窗口"
        )
        await panel.scroll_into_view_if_needed()
        await expect(panel.locator("h2")).to_be_in_viewport()
        widths = await page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], widths
        await shot(page, artifacts, "dashboard-1366-staffing")

        assert all(s["total"] <= advice["hall_windows"] for s in slots)
        # "open n more", and "short even with every window" where the hall's cannot serve it.
        await expect(row.locator(".pill.no_window")).to_have_count(
            (more > 0) + (first["target_met"] is False)
        )

        await page.goto(f"{base}/dashboard?lang=en")
        await expect(page.locator("#staffing-title")).to_have_text("Staffing for the rest of today")
        await expect(page.locator("#staffing-note")).to_contain_text("1 windows open now")

        # A half hour even every window cannot serve to the target is marked in its row.
        marked_slots = [{**first, "target_met": False}, *slots[1:]]
        short = {**advice, "half_hours": marked_slots}

        async def fulfil(route: Any) -> None:
            await route.fulfill(json=short)

        await page.route("**/api/staffing/today", fulfil)
        await page.reload()
        marked = page.locator("#staffing tbody tr").first.locator("td").nth(3)
        await expect(marked).to_contain_text("short even with every window")
        await expect(page.locator("#staffing tbody .pill.no_window")).to_have_count(
            sum((s["total"] > 1) + (s["target_met"] is False) for s in marked_slots)
        )
