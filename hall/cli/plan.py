"""`hall plan`: staffing advice per half hour for a profile's day, from Erlang C, checked by
simulating the day on it; prints a table and writes the plan as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hall.contract.config import ConfigError, load_config
from hall.contract.config_base import read_config_text
from hall.simulation.plan import Plan, make_plan, parse_target, plan_json
from hall.simulation.profile import load_profile


def add_command(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="the hall's TOML file")
    parser.add_argument(
        "--profile", required=True, help="the day's profile (TOML), e.g. config/simulation/"
    )
    parser.add_argument(
        "--target", default="80% within 15 min", help='e.g. "80%% within 15 min" (the default)'
    )
    parser.add_argument("--seed", type=int, default=1, help="the checking day's random seed")
    parser.add_argument("--out", type=Path, default=Path("plan.json"), help="the JSON file")


def table(plan: Plan) -> str:
    data = plan_json(plan)
    codes = [s.code for s in plan.profile.services]
    head = ["time", "windows", *codes, "Erlang C", "simulated"]
    rows = [head]
    for slot in data["half_hours"]:
        simulated = slot["simulated"]
        share = simulated["share"]
        rows.append(
            [
                f"{slot['start']}-{slot['end']}",
                str(slot["open_windows"]),
                *(str(slot["windows"][c]) for c in codes),
                str(sum(slot["erlang_windows"].values())),
                "—" if share is None else f"{100 * share:.0f}% of {simulated['issued']}",
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    by_service: dict[str, list[str]] = {}
    for window in data["windows"]:
        by_service.setdefault(window["services"][0], []).append(window["id"])
    lines.append("")
    lines.extend(f"service {c}: windows {', '.join(ids)}" for c, ids in by_service.items())
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        target = parse_target(args.target)
    except ValueError as exc:
        print(f"hall plan: --target: {exc}", file=sys.stderr)
        return 2
    try:
        hall = load_config(args.config)
        profile = load_profile(read_config_text(args.profile), str(args.profile), hall)
    except ConfigError as exc:
        print(f"hall plan: configuration error: {exc}", file=sys.stderr)
        return 2
    plan = make_plan(hall, profile, target, args.seed)
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(plan_json(plan), ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"{profile.name}: {target}, windows per half hour (each serves one service)")
    print(table(plan))
    verdict = "met" if plan.met else "not met in every half hour"
    print(f"target {verdict} in simulation after {plan.rounds} round(s); plan in {out}")
    return 0 if plan.met else 1
