"""The history's reports over HTTP: JSON, CSV and XLSX, and the dashboard's reports page.

``GET /api/reports?from=YYYY-MM-DD&to=YYYY-MM-DD&by=service|window|clerk|hour`` (and
``/api/reports.csv``, ``/api/reports.xlsx``) answer an API client's bearer token or webhook
signature, or a signed-in dashboard session (any role but a clerk's). Without `from` and `to`
a report covers the last seven days up to today. The web side opens its own connection to
the history's database (`[history]`), on the first report; the hub's consumer writes it, and
a report first rolls up the days of its range written since their last rollup.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from aiohttp import web

from hall.contract.wire import dumps_text
from hall.history.archive import Archive
from hall.history.databases import Database, HistoryUnavailable, open_database
from hall.history.export import report_csv, report_xlsx
from hall.history.reports import DIMENSION_NAMES, MAX_RANGE_DAYS, Report, read_report
from hall.history.schema import migrate
from hall.hub.hub import Hub
from hall.web import api
from hall.web.pages import dashboard_page_for, session_of

__all__ = ["REPORTS", "ReportSource", "add_routes", "install"]

log = logging.getLogger("hall.web.reports")
ROUTES = web.RouteTableDef()  # each route is declared at its handler
DEFAULT_DAYS = 7
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
READER_ROLES_EXCLUDED = ("clerk",)  # every dashboard role may read reports but a clerk


@dataclass
class ReportSource:
    """The history's database as the web side reads it (opened on the first report)."""

    hub: Hub
    database: Database | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def open(self) -> Database:
        async with self._lock:
            if self.database is None:
                database = open_database(self.hub.config.history)
                try:
                    await migrate(database)
                except BaseException:
                    await database.close()
                    raise
                self.database = database
            return self.database

    async def close(self) -> None:
        if self.database is not None:
            await self.database.close()
            self.database = None


REPORTS: web.AppKey[ReportSource] = web.AppKey("reports", ReportSource)


def _error(status: int, code: str, message: str) -> web.HTTPException:
    cls = {400: web.HTTPBadRequest, 404: web.HTTPNotFound, 503: web.HTTPServiceUnavailable}
    return cls[status](
        text=dumps_text({"error": {"code": code, "message": message}}),
        content_type="application/json",
    )


async def _allowed(request: web.Request) -> None:
    """A signed-in reader, or else an API client (raises 401 for neither)."""
    session = await session_of(request)
    if session is not None and session.role not in READER_ROLES_EXCLUDED:
        return
    await api.authenticate(request, b"")


FIRST_YEAR, LAST_YEAR = 2000, 2199


def _day(request: web.Request, name: str, default: dt.date) -> dt.date:
    text = request.query.get(name)
    if text is None:
        return default
    try:
        if len(text) != 10:
            raise ValueError(text)
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise _error(400, "bad_request", f"{name} must be a date YYYY-MM-DD") from None
    # The history holds days a hall was open: years near now (and a range counted back from
    # such a day stays a date).
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise _error(400, "bad_request", f"{name} must be a day of {FIRST_YEAR}-{LAST_YEAR}")
    return day


async def _report(request: web.Request) -> Report:
    await _allowed(request)
    source = request.app[REPORTS]
    config = source.hub.config
    if not config.history.enabled:
        raise _error(404, "not_found", "this hall keeps no history ([history] enabled = false)")
    today = dt.datetime.now(ZoneInfo(config.hall.timezone)).date()
    end = _day(request, "to", today)
    start = _day(request, "from", end - dt.timedelta(days=DEFAULT_DAYS - 1))
    by = request.query.get("by", "service")
    if by not in DIMENSION_NAMES:
        raise _error(400, "bad_request", f"by must be one of {', '.join(DIMENSION_NAMES)}")
    if end < start:
        raise _error(400, "bad_request", "to must not be before from")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise _error(400, "bad_request", f"a report covers at most {MAX_RANGE_DAYS} days")
    try:
        database = await source.open()
        # Days the consumer wrote but has not rolled up yet are rolled up first.
        await Archive(database, config).roll_up_due(start.isoformat(), end.isoformat())
        return await read_report(database, (config.hall.id,), start, end, by)
    except HistoryUnavailable as exc:
        log.warning("report %s..%s by %s: %s", start, end, by, exc)
        raise _error(503, "unavailable", "the history database is unavailable") from exc


def _file_name(report: Report, suffix: str) -> str:
    return f"report-{report.halls[0]}-{report.start}-{report.end}-{report.by}.{suffix}"


@ROUTES.get("/api/reports")
async def report_json(request: web.Request) -> web.Response:
    report = await _report(request)
    # The hall's zone: the days and hours of the report are the hall's, shown in it.
    hall = request.app[REPORTS].hub.config.hall
    view = {**report.view(), "timezone": hall.timezone, "hall_name": hall.name}
    return web.json_response(view, dumps=dumps_text)


@ROUTES.get("/api/reports.csv")
async def report_as_csv(request: web.Request) -> web.Response:
    report = await _report(request)
    return web.Response(
        body=report_csv(report).encode("utf-8-sig"),  # the BOM: spreadsheets read it as UTF-8
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_file_name(report, "csv")}"'},
    )


@ROUTES.get("/api/reports.xlsx")
async def report_as_xlsx(request: web.Request) -> web.Response:
    report = await _report(request)
    try:
        body = await asyncio.to_thread(report_xlsx, report)
    except ImportError as exc:
        raise _error(
            503, "unavailable", "XLSX needs openpyxl: pip install 'hall-hub[history]'"
        ) from exc
    return web.Response(
        body=body,
        content_type=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{_file_name(report, "xlsx")}"'},
    )


@ROUTES.get("/dashboard/reports")
async def reports_page(request: web.Request) -> web.StreamResponse:
    return await dashboard_page_for(request, "reports.html")


def add_routes(app: web.Application) -> None:
    app.router.add_routes(ROUTES)


def install(app: web.Application, hub: Hub) -> None:
    """The reports' routes and the history's connection (closed with the app)."""
    source = ReportSource(hub)
    app[REPORTS] = source
    add_routes(app)

    async def close(app: web.Application) -> None:
        await source.close()

    app.on_cleanup.append(close)
