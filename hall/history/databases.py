"""The SQL databases the history is kept in: SQLite (the default) and PostgreSQL.

Both take the same statements, written with ``?`` placeholders (PostgreSQL's driver is handed
``%s``), and offer the same two calls: `write` runs statements in one transaction, `query`
reads rows. SQLite's blocking calls run on one worker thread that owns the connection;
PostgreSQL is reached with psycopg 3's asyncio connection. Each database object has one
connection, used by one call at a time, and opens it again after a failure. Every failure to
reach the database is raised as `HistoryUnavailable`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from hall.domain.config import HistoryConfig

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "Database",
    "HistoryUnavailable",
    "PostgresDatabase",
    "Row",
    "SqliteDatabase",
    "Statement",
    "open_database",
]

Row = tuple[Any, ...]
# One statement and the parameter rows it runs with (one run per row).
Statement = tuple[str, Sequence[Sequence[Any]]]
SQLITE_TIMEOUT_S = 10.0  # how long a writer waits for another connection's lock
# Parameters in one SQLite statement at most (SQLite's own limit before 3.32).
SQLITE_MAX_PARAMETERS = 999
# One row's VALUES: "VALUES (?, ?, ...)" and nothing but parameters inside.
_ONE_ROW = re.compile(r"\bVALUES \((\?(?:, \?)*)\)")


class HistoryUnavailable(Exception):
    """The history database cannot be reached or refused a statement."""


class Database(Protocol):
    dialect: str  # "sqlite" or "postgresql"

    async def write(self, statements: Sequence[Statement]) -> None:
        """Run the statements, in order, in one transaction."""

    async def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """The rows of one query."""

    async def close(self) -> None: ...


def open_database(config: HistoryConfig) -> Database:
    """The database `[history]` names (not yet connected: the first call connects)."""
    if config.url is not None:
        if importlib.util.find_spec("psycopg") is None:
            raise HistoryUnavailable(
                "[history] url names PostgreSQL, whose driver is not installed: "
                "pip install 'hall-hub[history]'"
            )
        return PostgresDatabase(config.url)
    return SqliteDatabase(config.path)


def rows_together(sql: str, rows: Sequence[Sequence[Any]]) -> list[tuple[str, list[Sequence[Any]]]]:
    """An INSERT of many rows as statements of many rows each: (statement, its parameters).

    SQLite's module lets go of Python's interpreter lock for every step of a statement, and
    takes it back after: with the hub's loop busy, each of those waits for it. One statement
    per row meant hundreds of such waits per batch, each one delaying the hub; a statement of
    fifty rows is one. Rows go in the order given (an upsert of the same key twice keeps the
    later row, as one statement per row did). Any other statement is left as it is."""
    found = _ONE_ROW.search(sql)
    if found is None or not rows:
        return [(sql, list(rows))]
    width = found.group(1).count("?")
    per_statement = max(1, SQLITE_MAX_PARAMETERS // width)
    if per_statement == 1:
        return [(sql, list(rows))]
    one = f"({found.group(1)})"
    statements: list[tuple[str, list[Sequence[Any]]]] = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        values = "VALUES " + ", ".join(one for _ in chunk)
        together = sql[: found.start()] + values + sql[found.end() :]
        statements.append((together, [tuple(v for row in chunk for v in row)]))
    return statements


class SqliteDatabase:
    """A SQLite file, in write-ahead-log mode so reports read while the consumer writes."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="history-sqlite")
        self._connection: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=SQLITE_TIMEOUT_S, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._connection = connection
        return self._connection

    async def _run(self, work: Any, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._worker, work, *args)
        except (sqlite3.Error, OSError) as exc:
            raise HistoryUnavailable(f"SQLite {self.path}: {exc}") from exc

    def _write(self, statements: Sequence[Statement]) -> None:
        connection = self._connect()
        connection.execute("BEGIN IMMEDIATE")
        try:
            for sql, rows in statements:
                if len(rows) == 1:  # DDL too, which executemany refuses
                    connection.execute(sql, rows[0])
                else:
                    for many_sql, many_rows in rows_together(sql, rows):
                        connection.executemany(many_sql, many_rows)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any]) -> list[Row]:
        return self._connect().execute(sql, params).fetchall()

    async def write(self, statements: Sequence[Statement]) -> None:
        await self._run(self._write, statements)

    async def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        rows: list[Row] = await self._run(self._query, sql, params)
        return rows

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        try:
            await self._run(self._close)
        finally:
            self._worker.shutdown(wait=False)


def postgres_sql(sql: str) -> str:
    """A statement written for SQLite (``?`` placeholders) as psycopg takes it."""
    return sql.replace("%", "%%").replace("?", "%s")


class PostgresDatabase:
    """A PostgreSQL database, shared by the halls that report together (a `hall` column)."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        self._connection: psycopg.AsyncConnection[Any] | None = None
        self._lock = asyncio.Lock()

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        import psycopg

        if self._connection is None or self._connection.closed:
            self._connection = await psycopg.AsyncConnection.connect(self.url, connect_timeout=5)
        return self._connection

    async def _failed(self, exc: Exception) -> HistoryUnavailable:
        """Drop a connection that failed (the next call connects again)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()
        host = self.url.rsplit("@", 1)[-1]  # never the password
        return HistoryUnavailable(f"PostgreSQL {host}: {exc}")

    async def write(self, statements: Sequence[Statement]) -> None:
        import psycopg

        async with self._lock:
            try:
                connection = await self._connect()
                async with connection.transaction(), connection.cursor() as cursor:
                    for sql, rows in statements:
                        if rows:
                            await cursor.executemany(postgres_sql(sql), rows)
            except (psycopg.Error, OSError) as exc:
                raise await self._failed(exc) from exc

    async def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        import psycopg

        async with self._lock:
            try:
                connection = await self._connect()
                async with connection.cursor() as cursor:
                    await cursor.execute(postgres_sql(sql), params)
                    rows = await cursor.fetchall()
                await connection.commit()  # end the read's transaction: later reads see news
                return rows
            except (psycopg.Error, OSError) as exc:
                raise await self._failed(exc) from exc

    async def close(self) -> None:
        async with self._lock:
            if self._connection is not None:
                await self._connection.close()
                self._connection = None
