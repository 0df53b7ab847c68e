"""Staffing advice checked by simulation: `hall plan` on the shipped profiles, the windows it
opens against the hall's and against Erlang C per service alone, the simulated shares, and
the half hours even every window cannot serve to the target.

    python -m bench.plan            # prints the table
    python -m bench.plan --write    # and puts it in BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import textwrap
import time

from hall.simulation.plan import make_plan, parse_target, plan_json

from .profiles import SHIPPED, shipped_day, shipped_hall
from .sections import put_section

TARGET = "80% within 15 min"
SEED = 1
SECTION = "## Staffing advice checked by simulation"
END = "<!-- end of the staffing advice section (python -m bench.plan --write) -->"


def _span(values: list[int]) -> str:
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


def plan_table() -> str:
    lines = [
        "| profile | hall's windows | opened a half hour | named | Erlang C alone "
        "| Erlang C pooled | simulated share | out of reach (share with every window) "
        "| rounds | s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    target = parse_target(TARGET)
    for profile_file, hall_file in SHIPPED:
        hall = shipped_hall(hall_file)
        profile = shipped_day(profile_file, hall)
        started = time.perf_counter()
        data = plan_json(make_plan(hall, profile, target, SEED))
        took = time.perf_counter() - started
        slots = data["half_hours"]
        shares = [s["simulated"]["share"] for s in slots if s["simulated"]["share"] is not None]
        issued = sum(s["simulated"]["issued"] for s in slots)
        within = sum(s["simulated"]["within_target"] for s in slots)
        short = ", ".join(f"{u['start']} {100 * u['share']:.0f}%" for u in data["unreachable"])
        lines.append(
            f"| {profile.name} | {data['hall_windows']} "
            f"| {_span([s['open_windows'] for s in slots])} | {len(data['windows'])} "
            f"| {_span([sum(s['erlang_windows'].values()) for s in slots])} "
            f"| {_span([s['erlang_pooled'] for s in slots])} "
            f"| {100 * min(shares):.0f}-{100 * max(shares):.0f}% "
            f"({100 * within / max(1, issued):.0f}% of the day) "
            f"| {short or 'none'} | {data['rounds']} | {took:.0f} |"
        )
        print(lines[-1], flush=True)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="put the table in BENCHMARKS.md")
    args = parser.parse_args()
    table = plan_table()
    if not args.write:
        return
    intro = textwrap.fill(
        f"`python -m bench.plan --write` ({time.strftime('%Y-%m-%d')}): `hall plan --target "
        f'"{TARGET}"` on each profile of `config/simulation/` with its hall file, seed {SEED}. '
        "Windows opened per half hour (the hall's own, pooled: a window serves the services "
        "its hall file lists), the windows named in the plan, what Erlang C per service "
        "alone would ask for (one window per service at least) and Erlang C on the half "
        "hour's arrivals pooled; the simulated share of tickets called within the target, "
        "per half hour and over the day; the half hours the target is out of reach even "
        "with every window open, with the share the simulation reached; the simulated days "
        "(rounds) and the seconds the plan took on this machine.",
        width=90,
    )
    section = f"{SECTION}\n\n{intro}\n\n{table}\n\n{END}\n"
    put_section(section, SECTION, END)


if __name__ == "__main__":
    main()
