"""The dashboard's staffing advice in Chromium on a 1366×768 laptop: the rest of today's half
hours from the live arrivals, the windows advised against those open now, in Chinese and in
English; and a half hour short even with every window, readable whole at the laptop, tablet
and TV sizes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.async_api import expect

from tests.integration.halls import online_client

from .conftest import TABLET, TV, HallFactory, chromium, login, open_page, shot

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
        rows = panel.locator("#staffing tbody tr[data-start]")
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
        swap = more <= 0 and bool(first["to_open"])
        verdict = f"需增开 {more} 个" if more > 0 else "足够"
        if swap:
            verdict = f"改开窗口 {', '.join(first['to_open'])}"
        await expect(row.locator("td").nth(2)).to_have_text(f"1 {verdict}")
        await expect(row.locator("td").nth(3)).to_contain_text(f"A {first['windows']['A']}")
        wait_min = round(advice["target"]["wait_s"] / 60)
        await expect(panel.locator("#staffing-note")).to_have_text(
            f"按今日到号预测，80% 的群众在 {wait_min} 分钟内被叫号所需窗口；当前开放 1 个窗口"
            "；当前排队 8 人计入本时段和下一时段"
        )
        assert advice["waiting"]["A"] == 8 and advice["open_now"]["paused"] == 0
        await panel.scroll_into_view_if_needed()
        await expect(panel.locator("h2")).to_be_in_viewport()
        widths = await page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], widths
        await shot(page, artifacts, "dashboard-1366-staffing")

        assert all(s["total"] <= advice["hall_windows"] for s in slots)
        # "open n more", and "short even with every window" where the hall's cannot serve it.
        await expect(row.locator(".pill.no_window")).to_have_count(int(more > 0 or swap))
        await expect(panel.locator("#staffing tbody tr.all-short-row")).to_have_count(
            sum(s["target_met"] is False for s in slots)
        )

        await page.goto(f"{base}/dashboard?lang=en")
        await expect(page.locator("#staffing-title")).to_have_text("Staffing for the rest of today")
        await expect(page.locator("#staffing-note")).to_contain_text("1 windows open now")

        # A half hour even every window cannot serve to the target is marked in its row; one
        # advising as many windows as work now, but another one, names it.
        marked_slots = [
            {**first, "target_met": False},
            *({**s, "total": 1, "to_open": ["5"]} for s in slots[1:2]),
            *slots[2:],
        ]
        short = {**advice, "half_hours": marked_slots}

        async def fulfil(route: Any) -> None:
            await route.fulfill(json=short)

        await page.route("**/api/staffing/today", fulfil)
        await page.reload()
        marked = page.locator(f'#staffing tbody tr.all-short-row[data-for="{first["start"]}"]')
        await expect(marked).to_have_text("short even with every window")
        # Right under its half hour.
        await expect(page.locator("#staffing tbody tr").nth(1)).to_have_attribute(
            "data-for", first["start"]
        )
        await expect(page.locator("#staffing tbody .pill.no_window")).to_have_count(
            sum(
                (s["total"] > 1 or bool(s["to_open"])) + (s["target_met"] is False)
                for s in marked_slots
            )
        )
        if len(slots) > 1:
            swapped = page.locator(f'#staffing tbody tr[data-start="{slots[1]["start"]}"]')
            await expect(swapped.locator("td").nth(2)).to_have_text("1 open window 5 instead")


async def test_the_advice_is_read_again_when_a_window_opens_not_a_minute_later(
    tmp_path: Path, hall: HallFactory, hall_id: str
) -> None:
    running = await hall()
    async with online_client(running, hall_id) as c:
        await c.ok("pad-1", "window.open", {"staff": "S001"})
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})
        async with chromium(tmp_path) as context:
            page = await open_page(context, LAPTOP)
            await login(page, running.http_url)
            note = page.locator("#staffing-note")
            await expect(note).to_contain_text("当前开放 1 个窗口")
            await c.ok("pad-2", "window.open", {"staff": "S002"})
            # The live view shows the window at once; the advice follows in seconds.
            await expect(page.locator('#windows tr[data-window="2"]')).to_contain_text("S002")
            await expect(note).to_contain_text("当前开放 2 个窗口", timeout=10_000)
            await c.ok("pad-2", "window.close")
            await expect(note).to_contain_text("当前开放 1 个窗口", timeout=10_000)


async def test_a_half_hour_short_even_with_every_window_is_read_whole_at_every_size(
    tmp_path: Path, hall: HallFactory, hall_id: str, artifacts: Path
) -> None:
    running = await hall()
    base = running.http_url
    async with online_client(running, hall_id) as c:
        await c.ok("pad-1", "window.open", {"staff": "S001"})
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})

    async with chromium(tmp_path) as context:
        page = await open_page(context, LAPTOP)
        await login(page, base)
        advice: dict[str, Any] = await page.evaluate(
            "fetch('/api/staffing/today', {credentials: 'same-origin'}).then(r => r.json())"
        )
        codes = list(advice["open_now"]["services"])
        # A busy afternoon: every service needs windows, and the hall's cannot serve it all.
        start = 13 * 60
        busy = {
            **advice,
            "open_now": {**advice["open_now"], "windows": 1, "paused": 2},
            "half_hours": [
                {
                    "start": f"{(start + 30 * i) // 60:02d}:{(start + 30 * i) % 60:02d}",
                    "end": f"{(start + 30 * i + 30) // 60:02d}:{(start + 30 * i + 30) % 60:02d}",
                    "arrivals_per_hour": dict.fromkeys(codes, 120.0),
                    "waiting": dict.fromkeys(codes, 0),
                    "windows": dict.fromkeys(codes, advice["hall_windows"]),
                    "total": advice["hall_windows"],
                    "window_ids": [],
                    "target_met": False,
                    "more_than_open": advice["hall_windows"] - 1,
                }
                for i in range(4)
            ],
        }

        async def fulfil(route: Any) -> None:
            await route.fulfill(json=busy)

        await page.route("**/api/staffing/today", fulfil)
        sizes = [(LAPTOP, "en"), (LAPTOP, "zh"), (TABLET, "zh"), (TABLET, "en"), (TV, "en")]
        for size, lang in sizes:
            await page.set_viewport_size(size)
            await page.goto(f"{base}/dashboard?lang={lang}")
            badges = page.locator("#staffing .pill.all-short")
            await expect(badges).to_have_count(4)
            text = "short even with every window" if lang == "en" else "全部窗口开放仍不达标"
            await expect(badges.first).to_have_text(text)
            paused = "(2 more paused)" if lang == "en" else "（另有 2 个暂停）"
            await expect(page.locator("#staffing-note")).to_contain_text(paused)
            panel = page.locator("section.staffing")
            await badges.last.scroll_into_view_if_needed()
            frame = await panel.bounding_box()
            assert frame is not None
            where = f"{size['width']}x{size['height']} {lang}"
            await shot(page, artifacts, f"dashboard-staffing-short-{size['width']}-{lang}")
            for i in range(4):
                badge = await badges.nth(i).bounding_box()
                cell = (
                    await page.locator("#staffing tbody tr.all-short-row td").nth(i).bounding_box()
                )
                assert badge is not None and cell is not None
                # Whole inside the viewport, the panel and its own cell: nothing cut off.
                assert 0 <= badge["x"] and badge["x"] + badge["width"] <= size["width"], where
                assert frame["x"] <= badge["x"], where
                assert badge["x"] + badge["width"] <= frame["x"] + frame["width"], where
                assert cell["x"] + cell["width"] <= frame["x"] + frame["width"], where
                # Each row of the table inside the panel too.
                rows_right = await page.evaluate(
                    "Math.max(...[...document.querySelectorAll('#staffing tr')]"
                    ".map(r => r.getBoundingClientRect().right))"
                )
                assert rows_right <= frame["x"] + frame["width"], where
                assert badge["x"] + badge["width"] <= cell["x"] + cell["width"] + 0.5, where
            await expect(badges.last).to_be_in_viewport(ratio=1)
            # The table fits its panel: nothing hidden behind a sideways scroll.
            fits = await panel.evaluate("p => [p.scrollWidth, p.clientWidth]")
            assert fits[0] <= fits[1], (where, fits)
            widths = await page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1], where
