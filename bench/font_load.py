"""How long loading the LED font takes and how much memory it keeps: the bundled GB2312
subset (`devices/fonts/hall-gb2312.hex.gz`) against Debian's whole `unifont.hex`.

Each measurement runs in a fresh Python process (so nothing is cached or already imported):
the time `devices.font.load_font` takes, the memory the loaded font holds (tracemalloc: what
is still allocated after loading, and the peak while loading), then the time to draw a first
window strip (its glyphs decoded on first use) and the same strip again.

    python -m bench.font_load            # prints the table
    python -m bench.font_load --write    # and puts it in BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SYSTEM_UNIFONT = Path("/usr/share/unifont/unifont.hex")
STRIP = "请A001号到综合窗口办理"
RUNS = 5
START, END = "<!-- font: start -->", "<!-- font: end -->"


def child(path: str) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    from devices.font import load_font  # imported before timing: the code is not measured

    source = None if path == "bundled" else path
    began = time.perf_counter()
    font = load_font(source)
    load_s = time.perf_counter() - began
    del font
    # Memory on a second load: tracemalloc slows every allocation, so it is not timed.
    tracemalloc.start()
    font = load_font(source)
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    began = time.perf_counter()
    font.render(STRIP, 192, 16)
    first_s = time.perf_counter() - began
    began = time.perf_counter()
    font.render(STRIP, 192, 16)
    again_s = time.perf_counter() - began
    return {
        "glyphs": len(font),
        "load_s": load_s,
        "kept": kept,
        "peak": peak,
        "first_s": first_s,
        "again_s": again_s,
    }


def measure(path: str) -> list[dict[str, Any]]:
    runs = []
    for _ in range(RUNS):
        done = subprocess.run(
            [sys.executable, "-m", "bench.font_load", "--child", path],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(done.stdout))
    return runs


def table() -> str:
    fonts = [("bundled `hall-gb2312.hex.gz`", "bundled")]
    if SYSTEM_UNIFONT.is_file():
        fonts.append(("Debian `unifont.hex`", str(SYSTEM_UNIFONT)))
    lines = [
        f"`python -m bench.font_load --write` ({dt.date.today()}), {RUNS} fresh processes each; "
        "median (best). Memory by tracemalloc: what the loaded font keeps, and the peak while "
        f"loading. A first strip is `{STRIP}` drawn 192 × 16, its glyphs decoded on first use. "
        f"Load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the start: "
        "the best of the runs is the nearer to a quiet machine.",
        "",
        "| font | glyphs | load | memory kept | peak | first strip | strip again |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, path in fonts:
        runs = measure(path)

        def ms(key: str, runs: list[dict[str, Any]] = runs) -> str:
            values = [r[key] * 1000 for r in runs]
            return f"{statistics.median(values):.1f} ms ({min(values):.1f})"

        mib = statistics.median(r["kept"] for r in runs) / 2**20
        peak = statistics.median(r["peak"] for r in runs) / 2**20
        lines.append(
            f"| {label} | {runs[0]['glyphs']:,} | {ms('load_s')} | {mib:.1f} MiB | "
            f"{peak:.1f} MiB | {ms('first_s')} | {ms('again_s')} |"
        )
    return "\n".join(lines)


def write(text: str) -> None:
    path = REPO / "BENCHMARKS.md"
    doc = path.read_text(encoding="utf-8")
    section = f"{START}\n{text}\n{END}"
    if START in doc:
        head, rest = doc.split(START, 1)
        doc = head + section + rest.split(END, 1)[1]
    else:
        marker = "## Reports over a year of history"
        doc = doc.replace(marker, f"## Loading the LED font\n\n{section}\n\n{marker}", 1)
    path.write_text(doc, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.font_load", description=__doc__)
    parser.add_argument("--write", action="store_true", help="put the table in BENCHMARKS.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    text = table()
    print(text)
    if args.write:
        write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
