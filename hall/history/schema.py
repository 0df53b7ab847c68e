"""The history's one schema (SQLite and PostgreSQL alike) and its migrations.

Every table has a `hall` column, so the halls of a city can share one PostgreSQL database.
`cases` and `ratings` hold one row per visit (keyed by case id: a record delivered twice is
written once); `day_totals`, `day_waits` and `day_ratings` are each day's small rollup by
service, window, clerk and hour (`rollup.py`), which the reports read, so a year answers from
a few tens of thousands of rows; `rollup_due` names the days written since their last
rollup. `schema_version` holds the number of the last migration applied; `migrate` applies
the later ones in order, each in one transaction. Statements of a migration must be harmless
to run twice (``IF NOT EXISTS``).
"""

from __future__ import annotations

from hall.history.databases import Database, Statement

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

_ONCE: list[tuple[()]] = [()]

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: visits, ratings and the daily rollup
    (
        """CREATE TABLE IF NOT EXISTS cases (
            hall TEXT NOT NULL,
            case_id TEXT NOT NULL,
            day TEXT NOT NULL,
            hour TEXT NOT NULL,
            ticket TEXT NOT NULL,
            service TEXT NOT NULL,
            origin_service TEXT,
            window_id TEXT NOT NULL,
            staff TEXT NOT NULL,
            outcome TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            called_at TEXT,
            started_at TEXT,
            finished_at TEXT,
            wait_s INTEGER,
            service_s INTEGER,
            recalls INTEGER NOT NULL,
            transferred INTEGER NOT NULL,
            services_done TEXT,
            PRIMARY KEY (hall, case_id)
        )""",
        "CREATE INDEX IF NOT EXISTS cases_by_day ON cases (hall, day)",
        """CREATE TABLE IF NOT EXISTS ratings (
            hall TEXT NOT NULL,
            case_id TEXT NOT NULL,
            day TEXT NOT NULL,
            window_id TEXT NOT NULL,
            staff TEXT NOT NULL,
            level INTEGER,
            comment TEXT,
            at TEXT NOT NULL,
            PRIMARY KEY (hall, case_id)
        )""",
        "CREATE INDEX IF NOT EXISTS ratings_by_day ON ratings (hall, day)",
        """CREATE TABLE IF NOT EXISTS day_totals (
            hall TEXT NOT NULL,
            dim TEXT NOT NULL,
            day TEXT NOT NULL,
            group_key TEXT NOT NULL,
            tickets INTEGER NOT NULL,
            served INTEGER NOT NULL,
            no_show INTEGER NOT NULL,
            cancelled INTEGER NOT NULL,
            transferred INTEGER NOT NULL,
            called INTEGER NOT NULL,
            wait_sum INTEGER NOT NULL,
            wait_max INTEGER,
            within_target INTEGER NOT NULL,
            service_n INTEGER NOT NULL,
            service_sum INTEGER NOT NULL,
            service_max INTEGER,
            PRIMARY KEY (hall, dim, day, group_key)
        )""",
        """CREATE TABLE IF NOT EXISTS day_waits (
            hall TEXT NOT NULL,
            dim TEXT NOT NULL,
            day TEXT NOT NULL,
            group_key TEXT NOT NULL,
            bucket INTEGER NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (hall, dim, day, group_key, bucket)
        )""",
        """CREATE TABLE IF NOT EXISTS day_ratings (
            hall TEXT NOT NULL,
            dim TEXT NOT NULL,
            day TEXT NOT NULL,
            group_key TEXT NOT NULL,
            level INTEGER NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (hall, dim, day, group_key, level)
        )""",
    ),
    # 2: the days written since their last rollup (`archive.py`)
    (
        """CREATE TABLE IF NOT EXISTS rollup_due (
            hall TEXT NOT NULL,
            day TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (hall, day)
        )""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


async def migrate(db: Database) -> int:
    """Bring the database to `SCHEMA_VERSION`; returns the version it was at.

    Two hubs (or a hub and its web side) may start together: every statement of a migration
    is harmless to run twice (``IF NOT EXISTS``), and PostgreSQL takes a lock first.
    """
    await db.write(
        [("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", _ONCE)]
    )
    found = await _version(db)
    for number, statements in enumerate(MIGRATIONS, start=1):
        if number <= found:
            continue
        steps: list[Statement] = []
        if db.dialect == "postgresql":
            steps.append(("LOCK TABLE schema_version IN EXCLUSIVE MODE", _ONCE))
        steps += [(sql, _ONCE) for sql in statements]
        steps.append(("DELETE FROM schema_version", _ONCE))
        steps.append(("INSERT INTO schema_version (version) VALUES (?)", [(number,)]))
        await db.write(steps)
    return found


async def _version(db: Database) -> int:
    rows = await db.query("SELECT MAX(version) FROM schema_version")
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0
