"""Scenario 3 (and the saturated half of 4): `ticket.take` as fast as the hub answers.

Four kiosks, each its own MQTT connection, keep 64 requests outstanding in all (closed loop)
until 5,000 tickets have been taken, spread over the 26 services A-Z, none with a daily cap
(26 × 999 tickets a day). The baseline responder gets the same clients and concurrency.

    python -m bench.saturate [--in-process] [--scale 0.1]
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from .load import Device, Sample, Timed, run_closed
from .report import Table
from .session import scaled, standalone
from .take import warm_up
from .targets import (
    SERVICE_CODES,
    Env,
    Target,
    baseline,
    hub,
    least_disturbed,
    new_hall_id,
)

COUNT = 5_000
CONCURRENCY = 64
KIOSKS = 4


async def saturated_take(env: Env, target: Target, count: int, label: str) -> Sample:
    servers = env.servers
    async with AsyncExitStack() as stack:
        kiosks = [
            await stack.enter_async_context(
                Device(servers.host, servers.mqtt_port, target.hall_id, f"kiosk-{n}")
            )
            for n in range(1, KIOSKS + 1)
        ]
        for kiosk in kiosks:
            await warm_up(kiosk, 10)

        async def one(i: int) -> Timed:
            reply = await kiosks[i % KIOSKS].request(
                "ticket.take", {"service": SERVICE_CODES[i % len(SERVICE_CODES)]}
            )
            return reply.timed()

        return await env.measure(target, run_closed(label, count, CONCURRENCY, one))


async def measure(env: Env, which: str, count: int) -> Sample:
    """Saturated `ticket.take` against a fresh "hub" or "baseline", re-run if disturbed."""

    async def once() -> Sample:
        start = (
            hub(env, new_hall_id("sat"), kiosks=KIOSKS)
            if which == "hub"
            else baseline(env, new_hall_id("base"))
        )
        async with start as target:
            return await saturated_take(env, target, count, which)

    return await least_disturbed(env, f"{which}: saturated ticket.take", once, lambda s: s)


async def scenario(env: Env, scale: float = 1.0) -> list[Table]:
    count = scaled(COUNT, scale)
    base = await measure(env, "baseline", count)
    mine = await measure(env, "hub", count)
    return [saturated_table(mine, base, count)]


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
