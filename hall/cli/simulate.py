"""`hall simulate`: one hall day at full speed, through the real pure core, on a simulated
clock; writes the day's report (JSON) and its charts (PNG) into a folder."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from hall.cli.outputs import folder_problem, seed, write_failed
from hall.contract.config import ConfigError, load_config
from hall.contract.config_base import read_config_text
from hall.simulation.charts import charts
from hall.simulation.day import simulate
from hall.simulation.profile import load_profile
from hall.simulation.report import day_report


def add_command(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="the hall's TOML file")
    parser.add_argument(
        "--profile", required=True, help="the day's profile (TOML), e.g. config/simulation/"
    )
    parser.add_argument("--seed", type=seed, default=1, help="the day's random seed (default 1)")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("simulation"),
        help="folder for report.json and the charts, made if missing (default ./simulation)",
    )


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    problem = folder_problem(out)
    if problem is not None:
        print(f"hall simulate: --out: {problem}", file=sys.stderr)
        return 2
    try:
        hall = load_config(args.config)
        profile = load_profile(read_config_text(args.profile), str(args.profile), hall)
    except ConfigError as exc:
        print(f"hall simulate: configuration error: {exc}", file=sys.stderr)
        return 2
    try:  # made before the day is simulated: a folder that cannot be made is said at once
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return write_failed("hall simulate", out, exc)
    tz = ZoneInfo(hall.hall.timezone)
    result = simulate(hall, profile, args.seed)
    report = day_report(result, tz)
    try:
        (out / "report.json").write_text(
            json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        for name, data in charts(result, report, tz).items():
            (out / name).write_bytes(data)
    except OSError as exc:
        return write_failed("hall simulate", out, exc)
    overall, estimates = report["overall"], report["estimates"]
    # The mean wait is of those called: say how many never were (no window for them).
    never = overall["never_called"]
    print(
        f"{profile.name} (seed {args.seed}): {overall['issued']} tickets, "
        f"{overall['served']} served{f', {never} never called' if never else ''}, "
        f"mean wait of those called {overall['mean_wait_s'] / 60:.1f} min; "
        f"estimate MAE {estimates['hall']['mae_s'] / 60:.1f} min "
        f"(naive {estimates['naive']['mae_s'] / 60:.1f} min); report in {out}/"
    )
    return 0
