"""The reports page in Chromium on a 1366×768 laptop: a simulated month written to the hall's
history, read back as a table and charts, and exported as XLSX whose total is the tickets
issued."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.async_api import expect

from hall.domain.config import HallConfig
from hall.history.archive import Archive
from hall.history.databases import open_database
from hall.history.export import COLUMNS, TOTAL_KEY
from hall.history.records import record_of
from tests.history.month import DAYS, FIRST_DAY, Visit, raw_entries, simulated_month

from .conftest import HallFactory, login, open_page, shot

LAPTOP = {"width": 1366, "height": 768}


async def test_a_month_as_table_charts_and_xlsx(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    from openpyxl import load_workbook

    running = await hall()
    config = running.hub.config
    visits = simulated_month(config.hall.id)
    await _archived(config, visits)

    page = await open_page(context, LAPTOP)
    await login(page, running.http_url)
    await page.get_by_role("link", name="统计报表").click()
    await expect(page).to_have_url(f"{running.http_url}/dashboard/reports")
    await page.get_by_label("开始日期").fill(FIRST_DAY.isoformat())
    await page.get_by_label("结束日期").fill((FIRST_DAY + dt.timedelta(DAYS - 1)).isoformat())
    await page.get_by_label("分组").select_option("clerk")
    await page.get_by_role("button", name="查询").click()
    total = page.locator("#report-table tfoot tr.total")
    await expect(total.locator("th").nth(1)).to_have_text(str(len(visits)))
    await expect(page.locator("#key-head")).to_have_text("工作人员")
    clerks = sorted({v.staff for v in visits})
    await expect(page.locator("#report-table tbody tr")).to_have_count(len(clerks))
    await expect(page.locator("#chart-tickets rect.bar-a")).to_have_count(len(clerks) + 1)
    await expect(page.locator("#report-comments li").first).to_contain_text("等了太久")
    # Everything fits the laptop's width: no horizontal scrolling of the page.
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await shot(page, artifacts, "reports-month")

    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="导出 XLSX").click()
    download = await download_info.value
    saved = artifacts / "reports-month.xlsx"
    await download.save_as(saved)
    rows = list(load_workbook(saved, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "clerk"
    assert rows[-1][0] == TOTAL_KEY and rows[-1][COLUMNS.index("tickets")] == len(visits)


async def test_last_weeks_report_exports_to_xlsx_with_the_tickets_of_that_week(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    """Eight days of visits end yesterday: last week's report (the seven days before today,
    as a manager picks them) counts the tickets of those seven days and not the eighth."""
    from openpyxl import load_workbook

    running = await hall()
    config = running.hub.config
    today = dt.datetime.now(ZoneInfo(config.hall.timezone)).date()
    first = today - dt.timedelta(days=8)
    shift = first - FIRST_DAY
    visits = [
        _moved(v, (dt.date.fromisoformat(v.day) + shift).isoformat())
        for v in simulated_month(config.hall.id)
        if dt.date.fromisoformat(v.day) < FIRST_DAY + dt.timedelta(days=8)
    ]
    last_week = [v for v in visits if v.day > first.isoformat()]
    assert 0 < len(last_week) < len(visits)
    await _archived(config, visits)

    page = await open_page(context, LAPTOP)
    await login(page, running.http_url)
    await page.goto(f"{running.http_url}/dashboard/reports")
    await page.get_by_label("开始日期").fill((today - dt.timedelta(days=7)).isoformat())
    await page.get_by_label("结束日期").fill((today - dt.timedelta(days=1)).isoformat())
    await page.get_by_label("分组").select_option("service")
    await page.get_by_role("button", name="查询").click()
    total = page.locator("#report-table tfoot tr.total")
    await expect(total.locator("th").nth(1)).to_have_text(str(len(last_week)))
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="导出 XLSX").click()
    saved = artifacts / "reports-last-week.xlsx"
    await (await download_info.value).save_as(saved)
    rows = list(load_workbook(saved, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[-1][0] == TOTAL_KEY and rows[-1][COLUMNS.index("tickets")] == len(last_week)
    by_service = {row[0]: row[COLUMNS.index("tickets")] for row in rows[1:-1]}
    for service in {v.service for v in last_week}:
        assert by_service[service] == sum(1 for v in last_week if v.service == service)


async def test_the_reports_page_in_english_with_the_hall_name_and_readable_charts(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    running = await hall()
    config = running.hub.config
    await _archived(config, simulated_month(config.hall.id))
    page = await open_page(context, {"width": 1280, "height": 800})
    await login(page, running.http_url)
    await page.goto(f"{running.http_url}/dashboard/reports?lang=en")
    await page.get_by_label("From").fill(FIRST_DAY.isoformat())
    await page.get_by_label("To", exact=True).fill((FIRST_DAY + dt.timedelta(DAYS - 1)).isoformat())
    await page.get_by_label("Group by").select_option("service")
    await page.get_by_role("button", name="Show").click()
    await expect(page.locator("#key-head")).to_have_text("Service")
    await expect(page.locator("#report-hall")).to_have_text(config.hall.name)
    await expect(page.locator("#report-table tfoot th").first).to_have_text("Total")
    await expect(page.locator("#chart-ratings text", has_text="Very satisfied")).to_have_count(1)
    # The charts' labels are drawn at their CSS size, not shrunk with the chart.
    heights = await page.eval_on_selector_all(
        ".report-chart text", "nodes => nodes.map(n => n.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 12, heights
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await shot(page, artifacts, "reports-en")
    await page.get_by_role("button", name="切换到中文").click()
    await expect(page.locator("#key-head")).to_have_text("业务")
    await expect(page.locator("#report-table tfoot th").first).to_have_text("合计")


def _moved(visit: Visit, day: str) -> Visit:
    """The same visit on another day (its case id names the day)."""
    return replace(visit, day=day, case_id=visit.case_id.replace(visit.day, day))


async def _archived(config: HallConfig, visits: list[Visit]) -> None:
    """`visits` written to the hall's history as the hub's outbox entries would be."""
    database = open_database(config.history)
    try:
        archive = Archive(database, config)
        await archive.prepare()
        records = [record_of(raw) for raw in raw_entries(visits, config.hall.id)]
        await archive.write([r for r in records if r is not None])
    finally:
        await database.close()
