"""`hall plan`: staffing advice per half hour for a profile's day: which of the hall's windows
to open, pooled by Erlang C, checked by simulating the day on it; prints a table and writes
the plan as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hall.cli.outputs import file_problem, seed, write_failed
from hall.contract.config import ConfigError, load_config
from hall.contract.config_base import read_config_text
from hall.simulation.erlang import MAX_WINDOWS
from hall.simulation.plan import Plan, make_plan, parse_target, percent, plan_json, wait_text
from hall.simulation.profile import load_profile


def add_command(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="the hall's TOML file")
    parser.add_argument(
        "--profile", required=True, help="the day's profile (TOML), e.g. config/simulation/"
    )
    parser.add_argument(
        "--target", default="80% within 15 min", help='e.g. "80%% within 15 min" (the default)'
    )
    parser.add_argument("--seed", type=seed, default=1, help="the checking day's random seed")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("plan.json"),
        help="the JSON file, its folder made if missing (default ./plan.json)",
    )


SHORT = "short even with every window"


def table(plan: Plan) -> str:
    """Per half hour: the windows to open, how many of them serve each service (a window
    serving several counts under each), Erlang C pooled and the simulated share; then each
    advised window with its services and its hours."""
    data = plan_json(plan)
    codes = [s.code for s in plan.profile.services]
    head = ["time", "windows", *codes, "Erlang C", "simulated", ""]
    rows = [head]
    for slot in data["half_hours"]:
        simulated = slot["simulated"]
        issued = simulated["issued"]
        short = not slot["target_met"] and slot["every_window_open"]
        rows.append(
            [
                f"{slot['start']}-{slot['end']}",
                str(slot["open_windows"]),
                *(str(slot["windows"][c]) for c in codes),
                f"> {MAX_WINDOWS}" if slot["erlang_pooled"] is None else str(slot["erlang_pooled"]),
                f"{percent(simulated['within_target'] / issued)} of {issued}" if issued else "—",
                SHORT if short else "",
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [
        "  ".join(cell.rjust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    lines.append("")
    for window in data["windows"]:
        hours = ", ".join(f"{run['from']}-{run['to']}" for run in window["open"])
        lines.append(f"window {window['id']} serves {', '.join(window['services'])}: {hours}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        target = parse_target(args.target)
    except ValueError as exc:
        print(f"hall plan: --target: {exc}", file=sys.stderr)
        return 2
    problem = file_problem(args.out)
    if problem is not None:
        print(f"hall plan: --out: {problem}", file=sys.stderr)
        return 2
    try:
        hall = load_config(args.config)
        profile = load_profile(
            read_config_text(args.profile), str(args.profile), hall, shifts_needed=False
        )
    except ConfigError as exc:
        print(f"hall plan: configuration error: {exc}", file=sys.stderr)
        return 2
    plan = make_plan(hall, profile, target, args.seed)
    out: Path = args.out
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(plan_json(plan), ensure_ascii=False, indent=2) + "\n", "utf-8")
    except OSError as exc:
        return write_failed("hall plan", out, exc)
    print(
        f"{profile.name}: {target}, windows per half hour out of the hall's {len(hall.windows)}"
        " (a window serving several services counts under each)"
    )
    if plan.uncovered:
        print(
            f"no window of the hall file serves {', '.join(plan.uncovered)}: its service lists"
            " cannot be used, so every advised window serves every service"
        )
    print(table(plan))
    verdict = "met" if plan.met else "not met in every half hour"
    print(f"target {verdict} in simulation after {plan.rounds} round(s); plan in {out}")
    unreachable = plan_json(plan)["unreachable"]
    if unreachable:
        shares = ", ".join(
            f"{u['start']}-{u['end']} {percent(u['share'])} within {wait_text(target.wait_s)}"
            for u in unreachable
        )
        print(f"out of reach even with every window open: {shares}")
    return 0 if plan.met else 1
