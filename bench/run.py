"""Run every scenario on one private Mosquitto and Redis, print the tables, and rewrite the
generated part of BENCHMARKS.md (everything below its marker line).

    python -m bench.run                 # or: python bench/run.py
    python -m bench.run --scale 0.1     # a quick smoke run: prints, writes nothing
    python -m bench.run --in-process    # hub and baseline in this event loop: prints only
    python -m bench.run --profile DIR   # each hub under cProfile (slower): prints only

Scenarios: 1. `ticket.take` paced at 500/s; 2. `call.next` → window LED state at 500/s;
3. saturated `ticket.take`; 4. the baseline responder under 1's and 3's load.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python bench/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncio
import time
from datetime import UTC, datetime

from bench import call, saturate, take
from bench.infra import private_servers
from bench.load import Sample
from bench.report import (
    Check,
    Table,
    machine,
    render_checks,
    render_machine,
    render_table,
    write_benchmarks,
)
from bench.session import make_env, options, scaled
from bench.targets import Env

CALL_P99_LIMIT_S = 0.005
TAKE_P50_RATIO_LIMIT = 1.5
SATURATED_RATE_RATIO_MIN = 1.0  # saturated `ticket.take` per second, against the baseline's
SATURATED_CPU_RATIO_MAX = 1.0  # server CPU per saturated `ticket.take`, against the baseline's


async def run_all(env: Env, scale: float) -> tuple[list[Table], list[Check]]:
    paced_n = scaled(take.COUNT, scale)
    saturated_n = scaled(saturate.COUNT, scale)
    call_n = scaled(call.COUNT, scale)

    base_paced = await take.measure(env, "baseline", paced_n)
    base_saturated = await saturate.measure(env, "baseline", saturated_n)
    hub_paced = await take.measure(env, "hub", paced_n)
    led, res, waiting = await call.measure(env, call_n)
    hub_saturated = await saturate.measure(env, "hub", saturated_n)

    tables = [
        take.paced_table(hub_paced, base_paced, paced_n),
        call.call_table(led, res, waiting, call_n, base_paced),
        saturate.saturated_table(hub_saturated, base_saturated, saturated_n),
        overhead_table(hub_paced, base_paced, hub_saturated, base_saturated),
    ]
    return tables, checks(led, hub_paced, base_paced, hub_saturated, base_saturated)


def overhead_table(
    hub_paced: Sample, base_paced: Sample, hub_saturated: Sample, base_saturated: Sample
) -> Table:
    hub_cpu = hub_saturated.server_cpu_per_request
    base_cpu = base_saturated.server_cpu_per_request
    table = Table("4. The hub against the baseline (same broker, Redis, clients and load)", [])
    table.notes = [
        f"paced `ticket.take` p50: hub {hub_paced.percentile(50) * 1000:.2f} ms / baseline "
        f"{base_paced.percentile(50) * 1000:.2f} ms = "
        f"**{ratio(hub_paced.percentile(50), base_paced.percentile(50)):.2f}×**",
        f"paced `ticket.take` p99: hub {hub_paced.percentile(99) * 1000:.2f} ms / baseline "
        f"{base_paced.percentile(99) * 1000:.2f} ms = "
        f"{ratio(hub_paced.percentile(99), base_paced.percentile(99)):.2f}×",
        f"saturated rate: hub {hub_saturated.rate:,.0f}/s / baseline {base_saturated.rate:,.0f}/s"
        f" = **{ratio(hub_saturated.rate, base_saturated.rate):.2f}×**",
        f"server CPU per `ticket.take` (saturated): hub {hub_cpu * 1000:.2f} ms / baseline "
        f"{base_cpu * 1000:.2f} ms = {ratio(hub_cpu, base_cpu):.2f}×",
        "The baseline (`bench/baseline.py`): one MQTT hop in, one Redis EVALSHA (INCR + HSET + "
        "SET EX of the response), one MQTT hop out; requests one at a time, like the hub.",
    ]
    return table


def ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("inf")


def checks(
    led: Sample,
    hub_paced: Sample,
    base_paced: Sample,
    hub_saturated: Sample,
    base_saturated: Sample,
) -> list[Check]:
    call_p99 = led.percentile(99)
    take_ratio = ratio(hub_paced.percentile(50), base_paced.percentile(50))
    rate_ratio = ratio(hub_saturated.rate, base_saturated.rate)
    cpu_ratio = ratio(hub_saturated.server_cpu_per_request, base_saturated.server_cpu_per_request)
    clean = led.lost == 0 and led.errors == 0
    return [
        Check(
            f"call → display p99 at {call.RATE:.0f} req/s",
            f"{call_p99 * 1000:.2f} ms",
            f"≤ {CALL_P99_LIMIT_S * 1000:.0f} ms",
            clean and call_p99 <= CALL_P99_LIMIT_S,
        ),
        Check(
            f"`ticket.take` p50 / baseline p50 (paced {take.RATE:.0f} req/s)",
            f"{take_ratio:.2f}×",
            f"≤ {TAKE_P50_RATIO_LIMIT:.1f}×",
            take_ratio <= TAKE_P50_RATIO_LIMIT,
        ),
        Check(
            "saturated `ticket.take` rate / baseline's",
            f"{hub_saturated.rate:,.0f}/s ({rate_ratio:.2f}×)",
            f"≥ {SATURATED_RATE_RATIO_MIN:.1f}×",
            hub_saturated.lost == 0 and rate_ratio >= SATURATED_RATE_RATIO_MIN,
        ),
        Check(
            "server CPU per saturated `ticket.take` / baseline's",
            f"{cpu_ratio:.2f}×",
            f"≤ {SATURATED_CPU_RATIO_MAX:.1f}×",
            cpu_ratio <= SATURATED_CPU_RATIO_MAX,
        ),
    ]


def main() -> int:
    parser = options("python -m bench.run", __doc__ or "")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md")
    args = parser.parse_args()
    started = time.monotonic()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with private_servers() as servers:
        env = make_env(args, servers)
        tables, results = asyncio.run(run_all(env, args.scale))
        rows = machine(servers)
    took = time.monotonic() - started
    mode = (
        "The hub and the baseline each ran in an in-process task, sharing the clients' event loop."
        if args.in_process
        else "The hub (`python -m hall.cli.main run`) and the baseline (`python -m bench.baseline`)"
        " "
        "each ran as their own process; the load clients, Mosquitto and Redis ran beside "
        "them on the same CPUs."
    )
    if args.profile is not None:
        mode += " Each hub ran under cProfile (slower than normal)."
    if args.scale != 1.0:
        mode += f" Request counts scaled by {args.scale}."
    body = "\n".join(
        [
            "## Results",
            "",
            render_machine(rows, when, mode, took),
            render_checks(results),
            *(render_table(t) for t in tables),
        ]
    )
    print()
    print(body)
    official = not (args.no_write or args.in_process or args.profile or args.scale != 1.0)
    if official:
        write_benchmarks(body)
        print("wrote BENCHMARKS.md")
    else:
        print("(BENCHMARKS.md left as it was: only a full run in separate processes writes it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
