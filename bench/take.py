"""Scenario 1 (and the paced half of 4): `ticket.take` round trip at a paced 200 requests/s.

One kiosk sends `ticket.take` on a fixed schedule (open loop, 2,000 requests, services taken in
turn over A-Z so no daily cap is reached) and times each request from publishing it to its
response on `dev/kiosk-1/res`. The baseline responder gets the same client and schedule.

    python -m bench.take [--in-process] [--scale 0.1]
"""

from __future__ import annotations

from .load import Device, Sample, Timed, run_paced
from .report import Table
from .session import scaled, standalone
from .targets import (
    SERVICE_CODES,
    Env,
    Target,
    baseline,
    hub,
    least_disturbed,
    new_hall_id,
)

RATE = 200.0
COUNT = 2_000
WARM_UP = 50


async def warm_up(device: Device, count: int = WARM_UP) -> None:
    """Connections, script caches and first-call paths, before anything is timed."""
    for i in range(count):
        await device.request("ticket.take", {"service": SERVICE_CODES[i % len(SERVICE_CODES)]})


async def paced_take(env: Env, target: Target, count: int, rate: float, label: str) -> Sample:
    servers = env.servers
    async with Device(servers.host, servers.mqtt_port, target.hall_id, "kiosk-1") as kiosk:
        await warm_up(kiosk)

        async def one(i: int) -> Timed:
            reply = await kiosk.request(
                "ticket.take", {"service": SERVICE_CODES[i % len(SERVICE_CODES)]}
            )
            return reply.timed()

        return await env.measure(target, run_paced(label, count, rate, one))


async def measure(env: Env, which: str, count: int) -> Sample:
    """Paced `ticket.take` against a fresh "hub" or "baseline", re-run if disturbed."""

    async def once() -> Sample:
        start = (
            hub(env, new_hall_id("take")) if which == "hub" else baseline(env, new_hall_id("base"))
        )
        async with start as target:
            return await paced_take(env, target, count, RATE, which)

    return await least_disturbed(env, f"{which}: ticket.take at {RATE:.0f}/s", once, lambda s: s)


async def scenario(env: Env, scale: float = 1.0) -> list[Table]:
    count = scaled(COUNT, scale)
    base = await measure(env, "baseline", count)
    mine = await measure(env, "hub", count)
    return [paced_table(mine, base, count)]


def paced_table(mine: Sample, base: Sample, count: int) -> Table:
    return Table(
        f"1. `ticket.take` round trip, paced {RATE:.0f} req/s (open loop, {count:,} requests)",
        [base, mine],
        [
            "From publishing the request to receiving the response on `dev/kiosk-1/res`. The "
            "kiosk has a printer, so the hub also sends a print job for every ticket."
        ],
    )


def main() -> None:
    standalone("python -m bench.take", __doc__ or "", scenario)


if __name__ == "__main__":
    main()
