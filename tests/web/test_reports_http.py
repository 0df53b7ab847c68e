"""The history's reports over HTTP: a real hub's finished visits, as JSON, CSV and XLSX."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from hall.history.export import COLUMNS, TOTAL_KEY
from hall.hub.runtime import Running
from tests.integration.contract_client import ContractClient
from tests.integration.halls import served
from tests.support import background, eventually

from .conftest import API_TOKEN, sign_in

BEARER = {"Authorization": f"Bearer {API_TOKEN}"}


def today(hub: Running) -> str:
    return dt.datetime.now(ZoneInfo(hub.hub.config.hall.timezone)).date().isoformat()


async def report(
    http: aiohttp.ClientSession, hub: Running, query: str, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    async with http.get(f"{hub.http_url}/api/reports?{query}", headers=headers) as response:
        return response.status, await response.json()


async def test_a_days_visits_reach_the_report_and_its_exports(
    web_hub: Running, mqtt: ContractClient, http: aiohttp.ClientSession
) -> None:
    assert web_hub.history is not None
    await mqtt.ok("pad-1", "window.open", {"staff": "S001"})
    numbers = [await served(mqtt, "kiosk-1", "pad-1") for _ in range(3)]
    await mqtt.ok("eval-1", "eval.submit", {"ticket": numbers[-1], "level": 5})
    day = today(web_hub)
    query = f"from={day}&to={day}&by=clerk"
    async with background(web_hub.history.run()):

        async def all_in() -> bool:
            status, body = await report(http, web_hub, query, BEARER)
            return status == 200 and body["total"]["ratings"]["5"] == 1

        await eventually(all_in, "the visits and the rating in the history")
    status, body = await report(http, web_hub, query, BEARER)
    assert status == 200
    (row,) = body["rows"]
    assert row["key"] == "S001" and row["tickets"] == row["served"] == 3
    assert body["total"]["tickets"] == 3 and body["total"]["no_show_rate"] == 0
    assert body["hall"] == web_hub.hub.config.hall.id and body["from"] == day

    async with http.get(f"{web_hub.http_url}/api/reports.csv?{query}", headers=BEARER) as r:
        assert r.status == 200 and r.content_type == "text/csv"
        lines = (await r.read()).decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:2] == ["clerk", "tickets"]
    assert lines[-1].split(",")[:2] == [TOTAL_KEY, "3"]

    from openpyxl import load_workbook

    async with http.get(f"{web_hub.http_url}/api/reports.xlsx?{query}", headers=BEARER) as r:
        assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
        book = load_workbook(io.BytesIO(await r.read()), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[-1][0] == TOTAL_KEY and rows[-1][COLUMNS.index("tickets")] == 3


async def test_reports_need_a_token_or_a_readers_session(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    status, body = await report(http, web_hub, "by=service")
    assert status == 401 and body["error"]["code"] == "unauthorized"
    async with http.get(web_hub.http_url + "/dashboard/reports", allow_redirects=False) as r:
        assert r.status == 302 and r.headers["Location"] == "/login"
    await sign_in(http, web_hub, "guest")  # a viewer may read reports
    status, body = await report(http, web_hub, "by=hour")
    assert status == 200 and body["by"] == "hour" and body["rows"] == []
    async with http.get(web_hub.http_url + "/dashboard/reports") as r:
        assert r.status == 200 and "text/html" in r.headers["Content-Type"]


async def test_a_bad_range_or_grouping_is_a_bad_request(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    for query in (
        "by=day",
        "from=2026-02-30",
        "from=2026-03-02&to=2026-03-01",
        "to=20260301",
        "from=1990-01-01&to=2026-01-01",
        "from=1&to=0001-01-04",  # a range counted back from year 1 is no date
        "to=9999-12-31",
    ):
        status, body = await report(http, web_hub, query, BEARER)
        assert status == 400 and body["error"]["code"] == "bad_request", query
