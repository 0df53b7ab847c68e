"""How close the hall's wait estimates come, against the naive one, on simulated days.

Every profile shipped in `config/simulation/` is simulated with five seeds through the real
pure core (`hall simulate`'s machinery); each ticket's estimate when it was taken is compared
with the wait it had (taken to first call). The naive estimate is what vendors ship: people
ahead × mean service time ÷ open windows serving the service. The same settings serve every
profile: nothing is tuned per profile. Then the estimate's cost: `ticket.take` timed in a city
hall with 100 to 5,000 people waiting.

    python -m bench.wait_estimates            # prints the tables
    python -m bench.wait_estimates --write    # and puts them in BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from hall.domain.actor import Actor
from hall.domain.hall import HallState, decide
from hall.domain.model import Ticket
from hall.simulation.day import simulate
from hall.simulation.report import ESTIMATORS, accuracy, estimate_errors

from .profiles import OVERLOADED, SHIPPED, shipped_day, shipped_hall
from .sections import put_section

SEEDS = (1, 2, 3, 4, 5)
WAITING_SIZES = (100, 500, 1000, 5000)
TAKES = 500
RUNS = 3
SECTION = "## Wait estimates on simulated days"
END = "<!-- end of the wait estimates section (python -m bench.wait_estimates --write) -->"


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f}"


MAE_TARGET, OVERLOADED_MAE_TARGET, BIAS_TARGET_S = 0.50, 0.35, 60.0


def accuracy_table() -> tuple[str, list[str]]:
    lines = [
        "| profile | tickets compared | estimate | MAE min | median abs min | p90 abs min "
        "| bias min | MAE vs naive |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    verdicts: list[str] = []
    for profile_file, hall_file in SHIPPED:
        overloaded = profile_file in OVERLOADED
        hall = shipped_hall(hall_file)
        profile = shipped_day(profile_file, hall)
        errors: dict[str, list[float]] = {name: [] for name in ESTIMATORS}
        for seed in SEEDS:
            tickets = simulate(hall, profile, seed).tickets.values()
            for name in ESTIMATORS:
                errors[name] += estimate_errors(tickets, name)
        naive = accuracy(errors["naive"])
        for name in ESTIMATORS:
            a = accuracy(errors[name])
            reduction = 1 - float(a["mae_s"]) / float(naive["mae_s"]) if naive["mae_s"] else 0.0
            lines.append(
                f"| {profile.name} | {a['n']:,} | {name} | {_minutes(float(a['mae_s']))} "
                f"| {_minutes(float(a['median_abs_s']))} | {_minutes(float(a['p90_abs_s']))} "
                f"| {float(a['bias_s']) / 60:+.1f} | "
                + ("—" if name == "naive" else f"{-100 * reduction:+.0f}%")
                + " |"
            )
            if name == "hall":
                target = OVERLOADED_MAE_TARGET if overloaded else MAE_TARGET
                bias = float(a["bias_s"])
                verdicts.append(
                    f"- {profile.name}: MAE {100 * reduction:.0f}% below naive (target "
                    f"{100 * target:.0f}%: {'met' if reduction >= target else 'not met'}); "
                    f"bias {bias / 60:+.1f} min (target ±1 min: "
                    f"{'met' if abs(bias) <= BIAS_TARGET_S else 'not met'})"
                )
        print(lines[-2], lines[-1], sep="\n", flush=True)
    return "\n".join(lines), verdicts


def cost_table() -> str:
    """`ticket.take` in the city hall, all thirty windows open, with a queue of each size."""
    lines = [
        "| people waiting | one forecast | `ticket.take` with its estimate, mean "
        f"of {TAKES} | median |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for waiting in WAITING_SIZES:
        # The best of three runs: the machine is shared, and others' work only adds time.
        full, costs = min(
            (_take_costs(waiting) for _ in range(RUNS)), key=lambda run: statistics.fmean(run[1])
        )
        lines.append(
            f"| {waiting:,} | {1000 * full:.1f} ms | {1000 * statistics.fmean(costs):.2f} ms "
            f"| {1000 * statistics.median(costs):.2f} ms |"
        )
    return "\n".join(lines)


def _take_costs(waiting: int) -> tuple[float, list[float]]:
    hall = shipped_hall("city-hall.toml")
    tz_day = "2026-11-19"
    now = dt.datetime(2026, 11, 19, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp()
    codes = [s.code for s in hall.services]
    tickets: dict[str, Ticket] = {}
    counters = dict.fromkeys(codes, 0)
    for n in range(waiting):
        code = codes[n % len(codes)]
        counters[code] += 1
        no = f"{code}{counters[code]:03d}"
        tickets[no] = Ticket(no, tz_day, code, "normal", "waiting", n + 1, now - waiting + n)
    state = HallState(config=hall, day=tz_day, tickets=tickets, counters=counters)
    for device in hall.devices:
        if device.kind == "window_pad":
            actor = Actor.of_device(device)
            state.apply(decide(state, actor, "window.open", {"staff": f"S{device.id}"}, now))
    kiosk = Actor.of_device(next(d for d in hall.devices if d.kind == "kiosk"))
    started = time.perf_counter()
    state.forecaster.stale = True
    state.forecast(now)
    full = time.perf_counter() - started
    costs: list[float] = []
    for n in range(TAKES):
        now += 2.0
        began = time.perf_counter()
        outcome = decide(state, kiosk, "ticket.take", {"service": codes[n % len(codes)]}, now)
        costs.append(time.perf_counter() - began)
        state.apply(outcome)
    return full, costs


BIAS_NOTE = """Where a too-short estimate came from: the windows working at the moment of a
forecast were expected to work on at full pace until the earlier days' share of working
window time fell below the share at that moment (lunch), so their own later breaks were left
out, and a long queue's wait came out short (bias, before: city hall -1.1 min, understaffed
-1.6 min). A window working now is now played out at the earlier days' share at each later
hour, with the certainty of the moment fading over the usual length of a pause
(`HallState._working`). Drawing each visit's time at random from the learned ones as well
as the arrivals was tried (four drawn play-outs) and made the bias worse (district -0.8,
understaffed -2.5 min): it is not used. The pooled bias of five days still moves by about a
minute from one set of seeds to another on the overloaded profile, whose single days range
from -5.5 to +2.8 minutes."""


def write_section(accuracy_md: str, cost_md: str) -> None:
    section = (
        f"{SECTION}\n\n`python -m bench.wait_estimates --write` ({dt.date.today().isoformat()}):"
        " every profile of\n`config/simulation/` simulated with seeds 1-5 through the pure core "
        "(`hall simulate`);\neach ticket's estimate when taken against its wait (taken to first "
        "call), pooled over\nthe five days. *naive*: people ahead × mean service time ÷ open "
        "windows serving the\nservice. *hall*: the queue played out under the calling policy "
        "(`hall/domain/forecast.py`).\nBias is estimate − wait: negative is too short. The same "
        "settings for every profile.\n\n"
        f"{accuracy_md}\n\n{BIAS_NOTE}\n\n"
        "The estimate's cost in the city hall (30 windows open, 8 services): "
        f"{TAKES} `ticket.take`\ndecided with their estimates, each adding to the queue (the best "
        f"of {RUNS} runs). The "
        "forecast is reused and\nmade again after enough changes or time; a queue under 750 "
        "is played out four times\nwith drawn arrivals (their mean), a longer one once at the "
        "expected arrivals. Measured\non the shared 2-core machine of the tables below, with "
        "other work running. This is\nthe pure core making each forecast at once, as `hall "
        "simulate` does; the hub makes it\noff the request path instead (`hall/hub/forecasts.py`"
        "), so a `ticket.take` there pays only\nthe median column.\n\n"
        f"{cost_md}\n\n{END}\n"
    )
    put_section(section, SECTION, END)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="put the tables in BENCHMARKS.md")
    parser.add_argument("--cost-only", action="store_true", help="only time the estimate")
    options = parser.parse_args()
    cost_md = cost_table()
    print(cost_md, flush=True)
    if not options.cost_only:
        accuracy_md, verdicts = accuracy_table()
        print("\n".join(verdicts))
        if options.write:
            write_section(accuracy_md + "\n\nTargets:\n\n" + "\n".join(verdicts), cost_md)
