"""Writing the history: records upserted by case id, each touched day rolled up again, and
the days past the retention removed.

A batch of records is one transaction: its visits and ratings, and either the rollup of every
day they belong to or, for the hub's consumer, a mark that those days are due to be rolled
up (`rollup_due`). Rolling a day up reads all of its visits, so a busy hall's consumer rolls
its due days up now and then (`consumer.py`), not after every batch; a report rolls up the
due days of its range before reading (`roll_up_due`), so it is never behind what was written.
Written twice (a consumer stopped between writing and acknowledging), a batch leaves the same
rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from hall.domain.config import HallConfig
from hall.history.databases import Database, Statement
from hall.history.records import CaseRecord, RatingRecord, Record
from hall.history.rollup import rollup_statements
from hall.history.schema import migrate

__all__ = ["Archive"]

_CASE_COLUMNS = (
    "hall",
    "case_id",
    "day",
    "hour",
    "ticket",
    "service",
    "origin_service",
    "window_id",
    "staff",
    "outcome",
    "issued_at",
    "called_at",
    "started_at",
    "finished_at",
    "wait_s",
    "service_s",
    "recalls",
    "transferred",
    "services_done",
)
_RATING_COLUMNS = ("hall", "case_id", "day", "window_id", "staff", "level", "comment", "at")
_KEY = ("hall", "case_id")


def _upsert(table: str, columns: Sequence[str]) -> str:
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in _KEY)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT (hall, case_id) DO UPDATE SET {updates}"
    )


_UPSERT_CASE = _upsert("cases", _CASE_COLUMNS)
_UPSERT_RATING = _upsert("ratings", _RATING_COLUMNS)
# A day's mark is updated, not left alone, when it is there already: the update locks the
# row, so a rollup that deletes the mark (first, see `roll_up_due`) waits for this write's
# transaction and then reads its visits; a mark can never be taken away from a write that
# its rollup did not see.
_MARK_DUE = (
    "INSERT INTO rollup_due (hall, day, n) VALUES (?, ?, 1) "
    "ON CONFLICT (hall, day) DO UPDATE SET n = rollup_due.n + 1"
)


def _case_row(case: CaseRecord) -> tuple[Any, ...]:
    return (
        case.hall,
        case.case_id,
        case.day,
        case.hour,
        case.ticket,
        case.service,
        case.origin_service,
        case.window,
        case.staff,
        case.outcome,
        case.issued_at,
        case.called_at,
        case.started_at,
        case.finished_at,
        case.wait_s,
        case.service_s,
        case.recalls,
        int(case.transferred),
        case.services_done,
    )


def _rating_row(rating: RatingRecord) -> tuple[Any, ...]:
    return (
        rating.hall,
        rating.case_id,
        rating.day,
        rating.window,
        rating.staff,
        rating.level,
        rating.comment,
        rating.at,
    )


class Archive:
    """The history of the halls in one database, written for the hall of `config`."""

    def __init__(self, db: Database, config: HallConfig) -> None:
        self.db = db
        self.config = config
        history = config.history
        self.targets = dict(history.service_targets)
        self.default_target_s = history.service_level_target_s or config.supervision.wait_target_s

    async def prepare(self) -> None:
        """Create or migrate the schema."""
        await migrate(self.db)

    def _rollups(self, days: Iterable[tuple[str, str]]) -> list[Statement]:
        statements: list[Statement] = []
        for hall, day in sorted(set(days)):
            statements += rollup_statements(hall, day, self.targets, self.default_target_s)
        return statements

    async def write(self, records: Sequence[Record], *, roll_up: bool = True) -> int:
        """Write the records and, in the same transaction, roll their days up again (or,
        without `roll_up`, mark those days due for `roll_up_due`): how many."""
        cases = [r for r in records if isinstance(r, CaseRecord)]
        ratings = [r for r in records if isinstance(r, RatingRecord)]
        days = [(c.hall, c.day) for c in cases] + [(r.hall, r.day) for r in ratings]
        if not cases and not ratings:
            return 0
        statements: list[Statement] = []
        if cases:
            statements.append((_UPSERT_CASE, [_case_row(c) for c in cases]))
        if ratings:
            statements.append((_UPSERT_RATING, [_rating_row(r) for r in ratings]))
        if roll_up:
            statements += self._rollups(days)
        else:
            statements.append((_MARK_DUE, sorted(set(days))))
        await self.db.write(statements)
        return len(cases) + len(ratings)

    async def due_days(self) -> list[str]:
        """This hall's days written since they were last rolled up, oldest first."""
        rows = await self.db.query(
            "SELECT day FROM rollup_due WHERE hall = ? ORDER BY day", (self.config.hall.id,)
        )
        return [str(row[0]) for row in rows]

    async def roll_up_due(self, first: str | None = None, last: str | None = None) -> int:
        """Roll up this hall's due days (those from `first` to `last` only, when given), in
        one transaction: how many days. Each day's mark is deleted before its visits are
        read (see `_MARK_DUE`)."""
        days = [
            day
            for day in await self.due_days()
            if (first is None or day >= first) and (last is None or day <= last)
        ]
        if not days:
            return 0
        hall = self.config.hall.id
        statements: list[Statement] = [
            ("DELETE FROM rollup_due WHERE hall = ? AND day = ?", [(hall, day) for day in days])
        ]
        statements += self._rollups((hall, day) for day in days)
        await self.db.write(statements)
        return len(days)

    async def roll_up(self, hall: str, days: Iterable[str]) -> None:
        """Roll the given days up again (e.g. after the service level targets changed)."""
        await self.db.write(self._rollups((hall, day) for day in days))

    async def prune(self, today: dt.date) -> str:
        """Remove this hall's days older than the retention; returns the first day kept."""
        keep_from = (today - dt.timedelta(days=self.config.history.retention_days)).isoformat()
        hall = self.config.hall.id
        await self.db.write(
            [
                (f"DELETE FROM {table} WHERE hall = ? AND day < ?", [(hall, keep_from)])
                for table in (
                    "cases",
                    "ratings",
                    "day_totals",
                    "day_waits",
                    "day_ratings",
                    "rollup_due",
                )
            ]
        )
        return keep_from
