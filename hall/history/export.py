"""A report as CSV and as an XLSX workbook (openpyxl), with the total as the last row.

The columns are the JSON report's, flattened: the 好差评 distribution one column per level.
The XLSX has a second sheet with the comments.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from hall.history.reports import RATING_LEVELS, Report

__all__ = ["COLUMNS", "TOTAL_KEY", "as_text_cell", "report_csv", "report_table", "report_xlsx"]

TOTAL_KEY = "total"
COLUMNS = (
    "key",
    "tickets",
    "served",
    "no_show",
    "cancelled",
    "transferred",
    "no_show_rate",
    "transfer_rate",
    "wait_mean_s",
    "wait_p90_s",
    "wait_max_s",
    "service_mean_s",
    "service_max_s",
    "service_level",
    *(f"rating_{level}" for level in RATING_LEVELS),
)
_COMMENT_COLUMNS = ("case_id", "day", "window", "staff", "level", "comment", "at")


# A text cell starting with one of these is read as a formula by spreadsheet programs (CSV
# too): a staff id or a comment such as `=HYPERLINK(...)` would become a live link.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text_cell(value: Any) -> Any:
    """`value`, with an apostrophe before a text a spreadsheet would take for a formula
    (OWASP's advice for CSV injection); numbers and other texts unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def report_table(report: Report) -> Iterator[list[Any]]:
    """The header, one line per group, and the total."""
    yield [report.by if name == "key" else name for name in COLUMNS]
    views = [row.view() for row in report.rows]
    views.append(report.total.view() | {"key": TOTAL_KEY})
    for view in views:
        ratings = view.pop("ratings")
        line = [as_text_cell(view[name]) for name in COLUMNS if not name.startswith("rating_")]
        yield line + [ratings[level] for level in RATING_LEVELS]


def report_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(report_table(report))
    return out.getvalue()


def report_xlsx(report: Report) -> bytes:
    """The workbook's bytes (needs openpyxl: the `history` extra)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"{report.start}..{report.end}"[:31])
    for line in report_table(report):
        sheet.append(line)
    comments = book.create_sheet("comments")
    comments.append(list(_COMMENT_COLUMNS))
    for c in report.comments:
        line = [c.case_id, c.day, c.window, c.staff, c.level, c.comment, c.at]
        comments.append([as_text_cell(value) for value in line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
