"""Fair and bounded waits on simulated days: the shipped profiles simulated with no longest
wait per service (pure preference at shared windows) and with one (`max_wait_min`, the same
for every service), the worst waits per class and per service compared.

    python -m bench.fairness            # prints the table
    python -m bench.fairness --write    # and puts it in BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import textwrap

from hall.domain.config import HallConfig
from hall.simulation.day import simulate
from hall.simulation.report import CLASSES, percentile, waited

from .profiles import SHIPPED, shipped_day, shipped_hall
from .sections import put_section

SEEDS = (1, 2, 3)
TARGET_MIN = 30
SECTION = "## Fair and bounded waits on simulated days"
END = "<!-- end of the fair waits section (python -m bench.fairness --write) -->"


def with_targets(hall: HallConfig, minutes: int | None) -> HallConfig:
    services = tuple(dataclasses.replace(s, max_wait_min=minutes) for s in hall.services)
    return dataclasses.replace(hall, services=services)


def _min(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.0f}"


def fairness_table() -> str:
    lines = [
        "| profile | longest wait set | worst green | worst appointment | worst normal "
        "| worst per service | p90 per service | mean | share over 30 min |",
        "| --- | --- | ---: | ---: | ---: | --- | --- | ---: | ---: |",
    ]
    for profile_file, hall_file in SHIPPED:
        shipped = shipped_hall(hall_file)
        for minutes in (None, TARGET_MIN):
            hall = with_targets(shipped, minutes)
            profile = shipped_day(profile_file, hall)
            records = [r for seed in SEEDS for r in simulate(hall, profile, seed).tickets.values()]
            waits = [(r, w) for r in records if (w := waited(r)) is not None]
            worst = {
                k: max((w for r, w in waits if r.priority == k), default=None) for k in CLASSES
            }
            codes = [s.code for s in profile.services]
            per_service = {c: [w for r, w in waits if r.service == c] for c in codes}
            over = sum(1 for _r, w in waits if w > 30 * 60) / max(1, len(waits))
            lines.append(
                f"| {profile.name} | {'no' if minutes is None else f'{minutes} min'} "
                f"| {_min(worst['green'])} | {_min(worst['appointment'])} "
                f"| {_min(worst['normal'])} | "
                + " ".join(f"{c} {_min(max(v, default=0.0))}" for c, v in per_service.items())
                + " | "
                + " ".join(f"{c} {_min(percentile(v, 0.9))}" for c, v in per_service.items())
                + f" | {_min(statistics.fmean(w for _r, w in waits))} | {100 * over:.1f}% |"
            )
            print(lines[-1], flush=True)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="put the table in BENCHMARKS.md")
    args = parser.parse_args()
    table = fairness_table()
    if not args.write:
        return
    intro = textwrap.fill(
        f"`python -m bench.fairness --write`: each profile of `config/simulation/` simulated "
        f"with seeds {SEEDS[0]}-{SEEDS[-1]} through the pure core, first with no longest wait "
        f"per service (a shared window calls its services in its order of preference), then "
        f"with `max_wait_min = {TARGET_MIN}` for every service (`hall/domain/queue.py`: a "
        f"service's head ticket is lifted as it nears its target, within its class only). "
        f"Waits from taking the ticket to its first call, in minutes, pooled over the days.",
        width=90,
    )
    section = f"{SECTION}\n\n{intro}\n\n{table}\n\n{END}\n"
    put_section(section, SECTION, END)


if __name__ == "__main__":
    main()
