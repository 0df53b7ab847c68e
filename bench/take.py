"""Scenario 1 (and the paced half of 4): `ticket.take` round trip at a paced 500 requests/s.

One kiosk sends `ticket.take` on a fixed schedule (open loop, 2,000 requests, services taken in
turn over A-Z so no daily cap is reached) and times each request from publishing it to its
response on `dev/kiosk-1/res`. The baseline responder gets the same client and schedule.

    python -m bench.take [--in-process] [--scale 0.1]
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

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

RATE = 500.0
COUNT = 2_000
WARM_UP = 50

# One way of sending `count` takes to a target: (env, target, count, label) -> the sample.
TakeRun = Callable[[Env, Target, int, str], Awaitable[Sample]]
# The table of a scenario: (the hub's sample, the baseline's, count) -> the table.
TakeTable = Callable[[Sample, Sample, int], Table]


def take_args(i: int) -> dict[str, str]:
    """The i-th take's arguments: the services in turn over A-Z, so no daily cap is reached."""
    return {"service": SERVICE_CODES[i % len(SERVICE_CODES)]}


async def warm_up(device: Device, count: int = WARM_UP) -> None:
    """Connections, script caches and first-call paths, before anything is timed."""
    for i in range(count):
        await device.request("ticket.take", take_args(i))


@asynccontextmanager
async def warm_kiosks(
    env: Env, target: Target, count: int, warm: int
) -> AsyncIterator[list[Device]]:
    """Kiosks kiosk-1 … kiosk-`count` of the target's hall, each its own MQTT connection and
    warmed up with `warm` takes."""
    servers = env.servers
    async with AsyncExitStack() as stack:
        kiosks = [
            await stack.enter_async_context(
                Device(servers.host, servers.mqtt_port, target.hall_id, f"kiosk-{n}")
            )
            for n in range(1, count + 1)
        ]
        for kiosk in kiosks:
            await warm_up(kiosk, warm)
        yield kiosks


async def least_disturbed_take(
    env: Env, which: str, count: int, run: TakeRun, *, what: str, prefix: str, kiosks: int = 4
) -> Sample:
    """`run` against a fresh "hub" (hall id `bench-<prefix>-…`, with `kiosks` kiosks) or
    "baseline", re-run if disturbed."""

    async def once() -> Sample:
        start = (
            hub(env, new_hall_id(prefix), kiosks=kiosks)
            if which == "hub"
            else baseline(env, new_hall_id("base"))
        )
        async with start as target:
            return await run(env, target, count, which)

    return await least_disturbed(env, f"{which}: {what}", once, lambda s: s)


async def compared(
    env: Env, count: int, measure: Callable[[Env, str, int], Awaitable[Sample]], table: TakeTable
) -> list[Table]:
    """The baseline measured first, then the hub, and the table of the two."""
    base = await measure(env, "baseline", count)
    mine = await measure(env, "hub", count)
    return [table(mine, base, count)]


async def paced_take(env: Env, target: Target, count: int, label: str) -> Sample:
    async with warm_kiosks(env, target, 1, WARM_UP) as (kiosk,):

        async def one(i: int) -> Timed:
            return (await kiosk.request("ticket.take", take_args(i))).timed()

        return await env.measure(target, run_paced(label, count, RATE, one))


async def measure(env: Env, which: str, count: int) -> Sample:
    """Paced `ticket.take` against a fresh "hub" or "baseline", re-run if disturbed."""
    what = f"ticket.take at {RATE:.0f}/s"
    return await least_disturbed_take(env, which, count, paced_take, what=what, prefix="take")


async def scenario(env: Env, scale: float = 1.0) -> list[Table]:
    return await compared(env, scaled(COUNT, scale), measure, paced_table)


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
