"""SQLite writes a batch's rows in statements of many rows: the same rows as one statement per
row, in the same order, duplicates included."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hall.history.databases import SQLITE_MAX_PARAMETERS, SqliteDatabase, rows_together

UPSERT = (
    "INSERT INTO t (k, a, b) VALUES (?, ?, ?) "
    "ON CONFLICT (k) DO UPDATE SET a = excluded.a, b = excluded.b"
)
TABLE = "CREATE TABLE t (k TEXT PRIMARY KEY, a INTEGER, b TEXT)"


def test_an_insert_of_many_rows_goes_in_few_statements() -> None:
    rows = [(f"k{n % 700}", n, "好" * (n % 3)) for n in range(1_000)]  # 300 keys twice
    together = rows_together(UPSERT, rows)
    assert len(together) == -(-len(rows) // (SQLITE_MAX_PARAMETERS // 3))
    assert all(len(params) == 1 for _sql, params in together)
    assert sum(len(params[0]) for _sql, params in together) == 3 * len(rows)
    # Any other statement, or a single row's, is left alone.
    assert rows_together("DELETE FROM t WHERE k = ?", [("a",), ("b",)]) == [
        ("DELETE FROM t WHERE k = ?", [("a",), ("b",)])
    ]
    one_by_one = sqlite3.connect(":memory:")
    one_by_one.execute(TABLE)
    one_by_one.executemany(UPSERT, rows)
    batched = sqlite3.connect(":memory:")
    batched.execute(TABLE)
    for sql, params in together:
        batched.executemany(sql, params)
    expected = one_by_one.execute("SELECT * FROM t ORDER BY k").fetchall()
    assert batched.execute("SELECT * FROM t ORDER BY k").fetchall() == expected
    assert len(expected) == 700 and dict((k, a) for k, a, _b in expected)["k0"] == 700


async def test_the_database_writes_batches_the_same(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "h.sqlite3")
    rows = [(f"k{n % 40}", n, "x") for n in range(120)]
    try:
        await db.write([(TABLE, [()]), (UPSERT, rows)])
        found = await db.query("SELECT k, a FROM t ORDER BY a")
    finally:
        await db.close()
    assert [a for _k, a in found] == list(range(80, 120))
