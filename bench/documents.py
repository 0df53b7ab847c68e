"""How long a captured page takes to keep and to read back, at a phone photo's and a
document camera's size: the hub's own path (`hall.hub.documents.Documents`: SHA-256,
secretbox sealing, the file written and renamed, the store's record in one script) on a
private Redis and a temporary folder; no HTTP, no browser.

    python -m bench.documents [--pages 200]

Prints one table (p50, p95 and throughput of `capture`, `read` and `remove` for pages of
200 KB and 2 MB); the numbers in BENCHMARKS.md were copied from it by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from hall.domain.config import DocumentsConfig
from hall.hub.documents import Capturer, Documents
from hall.store.hall_store import HallStore

from .infra import private_servers

SIZES = {"200 KB": 200 * 1024, "2 MB": 2 * 1024 * 1024}


def page(size: int) -> bytes:
    """A JPEG's first bytes and random content (random: nothing compresses or repeats)."""
    return b"\xff\xd8\xff\xe0" + os.urandom(size - 4)


async def measure(redis_url: str, folder: Path, count: int) -> list[tuple[str, ...]]:
    store = HallStore.connect(redis_url, f"bench-docs-{secrets.token_hex(3)}")
    config = DocumentsConfig(key=os.urandom(32), path=folder, max_pages=count + 1)

    async def audit(_entry: dict[str, object]) -> None:
        return None

    documents = Documents(
        config,
        store.documents(),
        audit,
        base_url="http://127.0.0.1",
        tz=ZoneInfo("Asia/Shanghai"),
        clock=time.time,
    )
    rows: list[tuple[str, ...]] = []
    try:
        for label, size in SIZES.items():
            who = Capturer("pad-1", "1", "S001", "A001", f"bench-{label}")
            pages = [page(size) for _ in range(count)]
            timings: dict[str, list[float]] = {"capture": [], "read": [], "remove": []}
            kept = []
            for data in pages:
                started = time.perf_counter()
                kept.append(await documents.capture(who, data, "身份证"))
                timings["capture"].append(time.perf_counter() - started)
            for one in kept:
                started = time.perf_counter()
                await documents.read(one, "bench", "bench")
                timings["read"].append(time.perf_counter() - started)
            for one in kept:
                started = time.perf_counter()
                await documents.remove(one, "bench", "bench")
                timings["remove"].append(time.perf_counter() - started)
            for step, seconds in timings.items():
                ordered = sorted(seconds)
                p50 = statistics.median(ordered) * 1000
                p95 = ordered[int(len(ordered) * 0.95) - 1] * 1000
                rate = size * len(ordered) / sum(ordered) / 1e6
                rows.append((label, step, str(count), f"{p50:.1f}", f"{p95:.1f}", f"{rate:.0f}"))
    finally:
        await store.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.documents", description=__doc__)
    parser.add_argument("--pages", type=int, default=200, help="pages of each size (200)")
    args = parser.parse_args()
    with private_servers() as servers, tempfile.TemporaryDirectory() as folder:
        rows = asyncio.run(measure(servers.redis_url, Path(folder), args.pages))
    print("| page | step | pages | p50 ms | p95 ms | MB/s |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
