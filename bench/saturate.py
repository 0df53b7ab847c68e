"""Scenario 3 (and the saturated half of 4): `ticket.take` as fast as the hub answers.

Four kiosks, each its own MQTT connection, keep 64 requests outstanding in all (closed loop)
until 5,000 tickets have been taken, spread over the 26 services A-Z, none with a daily cap
(26 × 999 tickets a day). The baseline responder gets the same clients and concurrency.

    python -m bench.saturate [--in-process] [--scale 0.1]
"""

from __future__ import annotations

from .load import Sample, Timed, run_closed
from .report import Table
from .session import scaled, standalone
from .take import compared, least_disturbed_take, take_args, warm_kiosks
from .targets import Env, Target

COUNT = 5_000
CONCURRENCY = 64
KIOSKS = 4


async def saturated_take(env: Env, target: Target, count: int, label: str) -> Sample:
    async with warm_kiosks(env, target, KIOSKS, 10) as kiosks:

        async def one(i: int) -> Timed:
            return (await kiosks[i % KIOSKS].request("ticket.take", take_args(i))).timed()

        return await env.measure(target, run_closed(label, count, CONCURRENCY, one))


async def measure(env: Env, which: str, count: int) -> Sample:
    """Saturated `ticket.take` against a fresh "hub" or "baseline", re-run if disturbed."""
    return await least_disturbed_take(
        env, which, count, saturated_take, what="saturated ticket.take", prefix="sat", kiosks=KIOSKS
    )


async def scenario(env: Env, scale: float = 1.0) -> list[Table]:
    return await compared(env, scaled(COUNT, scale), measure, saturated_table)


def saturated_table(mine: Sample, base: Sample, count: int) -> Table:
    return Table(
        f"3. Saturated `ticket.take` ({KIOSKS} kiosks, {CONCURRENCY} outstanding, "
        f"{count:,} requests)",
        [base, mine],
        [
            "Rate: answered requests per second, first send to last answer. Latency includes "
            "the time a request waits behind the others outstanding."
        ],
    )


def main() -> None:
    standalone("python -m bench.saturate", __doc__ or "", scenario)


if __name__ == "__main__":
    main()
