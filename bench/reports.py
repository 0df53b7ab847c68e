"""How fast the history reports a year of a 2,000-ticket-a-day hall, on SQLite and PostgreSQL.

Writes a year of generated visits and ratings (365 days of 2,000 tickets, a third of them
rated) through the history's own archive, a day per transaction as the consumer would, then
times each report over the whole year (by service, window, clerk and hour; the best and the
median of five runs). SQLite in a temporary file; PostgreSQL at ``--postgres`` (default: the
machine's, 127.0.0.1:5432, database ``test``) under a fresh hall id, removed at the end.

    python -m bench.reports                 # both, prints the table
    python -m bench.reports --write         # and puts it in BENCHMARKS.md
    python -m bench.reports --days 30       # a quick run
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

from hall.domain.config import HallConfig, HallInfo, HistoryConfig, ServiceConfig, WindowConfig
from hall.history.archive import Archive
from hall.history.databases import Database, HistoryUnavailable, open_database
from hall.history.records import CaseRecord, RatingRecord, Record
from hall.history.reports import DIMENSION_NAMES, read_report

from .sections import put_section

TICKETS_PER_DAY = 2000
SERVICES = "ABCDEFGH"
WINDOWS = [str(n) for n in range(1, 21)]
RUNS = 5
SECTION = "## Reports over a year of history"
END = "<!-- end of the reports section (python -m bench.reports --write) -->"
TABLES = ("cases", "ratings", "day_totals", "day_waits", "day_ratings")


def day_records(hall: str, day: dt.date, rng: random.Random) -> list[Record]:
    records: list[Record] = []
    iso = day.isoformat()
    for n in range(TICKETS_PER_DAY):
        service = SERVICES[n % len(SERVICES)]
        window = WINDOWS[rng.randrange(len(WINDOWS))]
        outcome = rng.choices(("done", "no_show", "cancelled"), (90, 7, 3))[0]
        hour = f"{8 + n * 10 // TICKETS_PER_DAY:02d}"
        case_id = f"{hall}-{iso}-{service}{n:04d}"
        issued = f"{iso}T{hour}:00:00+08:00"
        called = outcome != "cancelled"
        same = {"hall": hall, "case_id": case_id, "day": iso}
        records.append(
            CaseRecord(
                **same,
                hour=hour,
                ticket=f"{service}{n:03d}",
                service=service,
                origin_service="A" if rng.random() < 0.05 else None,
                window=window if called else "",
                staff=f"S{int(window):03d}" if called else "",
                outcome=outcome,
                issued_at=issued,
                called_at=issued if called else None,
                started_at=issued if outcome == "done" else None,
                finished_at=issued,
                wait_s=rng.randint(0, 5400) if called else None,
                service_s=rng.randint(60, 1200) if outcome == "done" else None,
                recalls=0,
                services_done=None,
            )
        )
        if outcome == "done" and rng.random() < 0.33:
            level = rng.choice((1, 2, 3, 4, 5, 5, 5, None))
            records.append(
                RatingRecord(
                    **same,
                    window=window,
                    staff=f"S{int(window):03d}",
                    level=level,
                    comment="排队太久" if level == 1 else None,
                    at=issued,
                )
            )
    return records


def bench_hall(history: HistoryConfig) -> HallConfig:
    return HallConfig(
        hall=HallInfo(f"bench-{secrets.token_hex(4)}", "基准大厅"),
        services=tuple(ServiceConfig(code, code) for code in SERVICES),
        windows=tuple(WindowConfig(w, tuple(SERVICES)) for w in WINDOWS),
        devices=(),
        history=history,
    )


async def measure(name: str, history: HistoryConfig, days: int) -> list[str]:
    config = bench_hall(history)
    database: Database = open_database(history)
    archive = Archive(database, config)
    first = dt.date(2025, 1, 1)
    last = first + dt.timedelta(days=days - 1)
    rng = random.Random(1)
    try:
        await archive.prepare()
        started = time.perf_counter()
        for d in range(days):
            await archive.write(day_records(config.hall.id, first + dt.timedelta(d), rng))
        written_s = time.perf_counter() - started
        rollup = await database.query(
            "SELECT COUNT(*) FROM day_totals WHERE hall = ?", (config.hall.id,)
        )
        lines = []
        for by in DIMENSION_NAMES:
            times = []
            for _ in range(RUNS):
                t0 = time.perf_counter()
                report = await read_report(database, (config.hall.id,), first, last, by)
                times.append(time.perf_counter() - t0)
            assert report.total.tickets == days * TICKETS_PER_DAY
            lines.append(
                f"| {name} | {by} | {days * TICKETS_PER_DAY:,} | {min(times) * 1000:.0f} ms "
                f"| {statistics.median(times) * 1000:.0f} ms |"
            )
        print(
            f"{name}: wrote {days} days in {written_s:.0f} s "
            f"({written_s / days * 1000:.0f} ms a day); {rollup[0][0]} day_totals rows",
            file=sys.stderr,
        )
        return lines
    finally:
        if history.url is not None:
            await database.write(
                [(f"DELETE FROM {t} WHERE hall = ?", [(config.hall.id,)]) for t in TABLES]
            )
        await database.close()


async def main(args: argparse.Namespace) -> str:
    lines = [
        "| database | by | tickets in the range | best | median of 5 |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    with tempfile.TemporaryDirectory() as folder:
        sqlite = HistoryConfig(path=Path(folder) / "history.sqlite3")
        lines += await measure("SQLite", sqlite, args.days)
    try:
        lines += await measure("PostgreSQL 15", HistoryConfig(url=args.postgres), args.days)
    except HistoryUnavailable as exc:
        print(f"PostgreSQL skipped: {exc}", file=sys.stderr)
    return "\n".join(lines)


def write_section(table: str, days: int) -> None:
    section = (
        f"{SECTION}\n\n`python -m bench.reports --write` ({dt.date.today().isoformat()}): "
        f"{days} days of\n{TICKETS_PER_DAY:,} tickets a day ({len(SERVICES)} services, "
        f"{len(WINDOWS)} windows and clerks, ten hours; a\nthird of the served rated), one "
        "report over the whole range, read from the daily rollup\n(`hall/history/rollup.py`); "
        "the hub keeps none of it in memory.\n\n"
        f"{table}\n\n{END}\n"
    )
    put_section(section, SECTION, END)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--write", action="store_true", help="put the table in BENCHMARKS.md")
    options = parser.parse_args()
    result = asyncio.run(main(options))
    print(result)
    if options.write:
        write_section(result, options.days)
