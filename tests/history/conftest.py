"""The history's databases for a test: SQLite in the test's folder, and the machine's
PostgreSQL (each test writes under its own hall id, removed at the end)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from hall.domain.config import HallConfig, HallInfo, HistoryConfig, ServiceConfig, WindowConfig
from hall.history.archive import Archive
from hall.history.databases import Database, HistoryUnavailable, open_database

from .month import SERVICES, TARGET_S, WINDOWS

POSTGRES_URL = os.environ.get("HALL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TABLES = ("cases", "ratings", "day_totals", "day_waits", "day_ratings")


def month_hall(hall_id: str, history: HistoryConfig) -> HallConfig:
    return HallConfig(
        hall=HallInfo(hall_id, "测试大厅"),
        services=tuple(ServiceConfig(code, f"业务{code}") for code in SERVICES),
        windows=tuple(WindowConfig(w, SERVICES) for w in WINDOWS),
        devices=(),
        history=replace(history, service_level_target_s=TARGET_S),
    )


async def _postgres() -> Database:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[history]')")
    database = open_database(HistoryConfig(url=POSTGRES_URL))
    try:
        await database.query("SELECT 1")
    except HistoryUnavailable as exc:
        await database.close()
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc}")
    return database


@pytest.fixture(params=["sqlite", "postgresql"])
async def history_config(
    request: pytest.FixtureRequest, tmp_path: Path, hall_id: str
) -> AsyncIterator[HallConfig]:
    """A hall whose history is in SQLite or in PostgreSQL."""
    if request.param == "sqlite":
        yield month_hall(hall_id, HistoryConfig(path=tmp_path / "history.sqlite3"))
        return
    probe = await _postgres()
    await probe.close()
    yield month_hall(hall_id, HistoryConfig(url=POSTGRES_URL))
    cleanup = open_database(HistoryConfig(url=POSTGRES_URL))
    try:
        await cleanup.write([(f"DELETE FROM {t} WHERE hall = ?", [(hall_id,)]) for t in TABLES])
    finally:
        await cleanup.close()


@pytest.fixture
async def archive(history_config: HallConfig) -> AsyncIterator[Archive]:
    database = open_database(history_config.history)
    archive = Archive(database, history_config)
    await archive.prepare()
    try:
        yield archive
    finally:
        await database.close()
