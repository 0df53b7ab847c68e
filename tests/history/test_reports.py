"""Reports checked against a simulated month, on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections.abc import Callable

import pytest

from hall.history.archive import Archive
from hall.history.export import COLUMNS, TOTAL_KEY, as_text_cell, report_csv, report_xlsx
from hall.history.records import Record, record_of
from hall.history.reports import read_report
from hall.history.rollup import bucket_of
from hall.history.schema import SCHEMA_VERSION, migrate

from .month import DAYS, FIRST_DAY, Visit, expected, raw_entries, simulated_month

LAST_DAY = FIRST_DAY + dt.timedelta(days=DAYS - 1)
KEY_OF: dict[str, Callable[[Visit], str]] = {
    "service": lambda v: v.service,
    "window": lambda v: v.window,
    "clerk": lambda v: v.staff,
    "hour": lambda v: v.hour,
}


def records_of(visits: list[Visit], hall: str) -> list[Record]:
    records = [record_of(raw) for raw in raw_entries(visits, hall)]
    assert all(r is not None for r in records)
    return [r for r in records if r is not None]


async def written_month(archive: Archive) -> list[Visit]:
    hall = archive.config.hall.id
    visits = simulated_month(hall)
    records = records_of(visits, hall)
    for start in range(0, len(records), 100):  # in batches, as the consumer writes them
        await archive.write(records[start : start + 100])
    return visits


def figures(view: dict[str, object]) -> dict[str, object]:
    """A report's figures, its p90 as the bucket it falls in (it is read within its bucket)."""
    keys = ("no_show_rate", "transfer_rate", "key")
    return in_buckets({k: v for k, v in view.items() if k not in keys})


def expect(visits: list[Visit]) -> dict[str, object]:
    """What a report of these visits says (`month.expected`), the p90 as its bucket."""
    return in_buckets(expected(visits))


def in_buckets(view: dict[str, object]) -> dict[str, object]:
    p90 = view.get("wait_p90_s")
    return {**view, "wait_p90_s": bucket_of(p90) if isinstance(p90, int) else p90}


@pytest.mark.parametrize("by", ["service", "window", "clerk", "hour"])
async def test_a_month_reports_what_its_visits_say(archive: Archive, by: str) -> None:
    visits = await written_month(archive)
    hall = archive.config.hall.id
    report = await read_report(archive.db, (hall,), FIRST_DAY, LAST_DAY, by)
    view = report.view()
    assert view["from"] == FIRST_DAY.isoformat() and view["by"] == by
    keys = sorted({KEY_OF[by](v) for v in visits})
    assert [row["key"] for row in view["rows"]] == keys
    for row in view["rows"]:
        mine = [v for v in visits if KEY_OF[by](v) == row["key"]]
        assert figures(row) == expect(mine), row["key"]
        assert row["no_show_rate"] == round(row["no_show"] / row["tickets"], 4)
        assert row["transfer_rate"] == round(row["transferred"] / row["tickets"], 4)
    assert figures(view["total"]) == expect(visits)
    assert view["total"]["tickets"] == DAYS * 24


async def test_a_range_counts_only_its_days_and_lists_its_comments(archive: Archive) -> None:
    visits = await written_month(archive)
    hall = archive.config.hall.id
    week = [FIRST_DAY + dt.timedelta(days=d) for d in (7, 13)]
    report = await read_report(archive.db, (hall,), week[0], week[1], "service")
    inside = [v for v in visits if week[0].isoformat() <= v.day <= week[1].isoformat()]
    assert figures(report.total.view()) == expect(inside)
    commented = sorted(v.comment for v in inside if v.comment)
    assert commented and sorted(c.comment for c in report.comments) == commented
    assert all(c.level == 1 for c in report.comments)
    empty = await read_report(archive.db, (hall,), dt.date(2020, 1, 1), dt.date(2020, 1, 2), "hour")
    assert empty.rows == () and empty.total.view()["wait_p90_s"] is None


async def test_records_written_again_are_counted_once(archive: Archive) -> None:
    visits = await written_month(archive)
    hall = archive.config.hall.id
    records = records_of(visits, hall)
    await archive.write(records[:300])  # a batch replayed after a consumer was killed
    await archive.write(records[:1] * 3)  # and duplicates within one batch
    report = await read_report(archive.db, (hall,), FIRST_DAY, LAST_DAY, "window")
    assert figures(report.total.view()) == expect(visits)


async def test_days_past_the_retention_are_removed(archive: Archive) -> None:
    visits = await written_month(archive)
    hall = archive.config.hall.id
    today = FIRST_DAY + dt.timedelta(days=archive.config.history.retention_days + 10)
    assert await archive.prune(today) == (FIRST_DAY + dt.timedelta(days=10)).isoformat()
    report = await read_report(archive.db, (hall,), FIRST_DAY, LAST_DAY, "service")
    kept = [v for v in visits if v.day >= (FIRST_DAY + dt.timedelta(days=10)).isoformat()]
    assert figures(report.total.view()) == expect(kept)
    assert (await archive.db.query("SELECT COUNT(*) FROM cases WHERE hall = ?", (hall,)))[0][
        0
    ] == len(kept)


async def test_the_schema_is_versioned_and_migrating_again_changes_nothing(
    archive: Archive,
) -> None:
    assert await migrate(archive.db) == SCHEMA_VERSION
    rows = await archive.db.query("SELECT version FROM schema_version")
    assert rows == [(SCHEMA_VERSION,)]


async def test_the_exports_total_the_tickets_issued(archive: Archive) -> None:
    from openpyxl import load_workbook

    visits = await written_month(archive)
    hall = archive.config.hall.id
    report = await read_report(archive.db, (hall,), FIRST_DAY, LAST_DAY, "clerk")
    book = load_workbook(io.BytesIO(report_xlsx(report)), read_only=True)
    lines = list(book.worksheets[0].iter_rows(values_only=True))
    assert lines[0][0] == "clerk" and list(lines[0][1:]) == list(COLUMNS[1:])
    tickets = COLUMNS.index("tickets")
    assert lines[-1][0] == TOTAL_KEY and lines[-1][tickets] == len(visits)
    assert sum(int(line[tickets]) for line in lines[1:-1]) == len(visits)  # type: ignore[arg-type]
    comments = list(book.worksheets[1].iter_rows(values_only=True))
    assert len(comments) - 1 == sum(1 for v in visits if v.comment)
    csv_lines = report_csv(report).splitlines()
    assert csv_lines[-1].split(",")[: tickets + 1] == [TOTAL_KEY, str(len(visits))]
    assert len(csv_lines) == len(lines)


async def test_a_text_a_spreadsheet_would_run_is_exported_as_text(archive: Archive) -> None:
    """A staff id or a comment starting with `=` (or + - @) would be a live formula in the
    spreadsheet a manager opens: it is written with an apostrophe before it."""
    from openpyxl import load_workbook

    hall = archive.config.hall.id
    formula = '=HYPERLINK("http://evil.example/","x")'
    visit = dataclasses.replace(one_visit(hall, 0, 60), staff=formula, level=1, comment="@cmd")
    await archive.write(records_of([visit], hall))
    report = await read_report(archive.db, (hall,), FIRST_DAY, FIRST_DAY, "clerk")
    csv_lines = report_csv(report).splitlines()
    assert csv_lines[1].startswith("\"'=HYPERLINK("), csv_lines[1]
    book = load_workbook(io.BytesIO(report_xlsx(report)))
    cell = book.worksheets[0]["A2"]
    assert cell.data_type == "s" and cell.value == "'" + formula
    comment_row = [c.value for c in book.worksheets[1][2]]
    assert "'@cmd" in comment_row and "'" + formula in comment_row
    assert as_text_cell(-3) == -3 and as_text_cell("S001") == "S001"
    assert [as_text_cell(t) for t in ("+1", "-1", "\t=x", "\r")] == ["'+1", "'-1", "'\t=x", "'\r"]


def one_visit(hall: str, n: int, wait_s: int) -> Visit:
    return Visit(
        case_id=f"{hall}-{FIRST_DAY.isoformat()}-A{n:03d}",
        day=FIRST_DAY.isoformat(),
        hour="09",
        service="A",
        origin_service=None,
        window="1",
        staff="S001",
        outcome="done",
        wait_s=wait_s,
        service_s=120,
        level=0,
        comment=None,
    )


async def test_the_p90_of_a_few_waits_is_the_longest_not_its_bucket(archive: Archive) -> None:
    hall = archive.config.hall.id
    await archive.write(records_of([one_visit(hall, 0, 86)], hall))
    report = await read_report(archive.db, (hall,), FIRST_DAY, FIRST_DAY, "clerk")
    row = report.view()["rows"][0]
    assert (row["wait_mean_s"], row["wait_p90_s"], row["wait_max_s"]) == (86.0, 86, 86)
    # nine more waits: the 90th percentile is the ninth of ten, counted in its minute's bucket
    more = [one_visit(hall, n, 60 * n + 30) for n in range(1, 10)]
    await archive.write(records_of(more, hall))
    report = await read_report(archive.db, (hall,), FIRST_DAY, FIRST_DAY, "clerk")
    total = report.total.view()
    assert total["wait_max_s"] == 9 * 60 + 30
    assert total["wait_p90_s"] == 8 * 60 + 30  # the ninth wait, alone in its minute: its middle


async def test_waits_under_a_minute_have_a_p90_in_seconds(archive: Archive) -> None:
    """All in the first minute's bucket: the p90 is read within it, not its lower bound 0."""
    hall = archive.config.hall.id
    waits = [5 * n for n in range(1, 11)]  # 5 s to 50 s; the exact p90 is 45 s
    await archive.write(records_of([one_visit(hall, n, w) for n, w in enumerate(waits)], hall))
    report = await read_report(archive.db, (hall,), FIRST_DAY, FIRST_DAY, "service")
    total = report.total.view()
    assert total["wait_max_s"] == 50
    assert 45 <= total["wait_p90_s"] <= 50  # type: ignore[operator]
