"""Memory per 100,000 tickets in a day: the hub's resident memory and Redis's `used_memory`.

A hall numbers at most 999 tickets a day per service (A001-A999), 25,974 over 26 services,
so a day of 100,000 tickets is four halls served by one `hall run` process (`--config
<folder>`, each hall file with its own HTTP port) on one private Redis, 25,000 tickets each.
A run takes 12,000 (`--tickets`; 100,000 take about half an hour on the shared 2-core
machine of these tables) and scales the growth to 100,000. Each hall has 26 windows (window
n serves three of A-Z, from the n-th) with a pad each, and 4 kiosks.

Driven through the contract, closed loop: per hall, the 4 kiosks take tickets one after
another (services A-Z in turn) while the 26 window pads call whenever more than `--depth`
people wait (150 by default, a busy hall), and end each call with `ticket.finish` (15 in 16)
or `call.no_show` (1 in 16). When every ticket is taken the pads stop, leaving about
`--depth` waiting per hall. Memory is read with the halls loaded and empty, at every fifth of
the tickets, and once the load has stopped; the figure per 100,000 tickets is the growth from
the first fifth to the end, scaled to 100,000 (the first fifth also pays for what any load
allocates once).

    python -m bench.memory                 # full run: prints, writes its BENCHMARKS.md section
    python -m bench.memory --scale 0.2     # 4,000 tickets: prints only
    python -m bench.memory --tickets 100000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import redis.asyncio as aredis

from hall.contract.ports import free_port
from hall.store.commit import ANSWERED_KEEP_MAX, ANSWERED_KEEP_MS, EVENTS_MAXLEN
from tests.support import write_hall_config

from .cpu import CpuMeter, describe
from .infra import Servers, private_servers
from .load import Device
from .procs import hub_process, redis_used_memory, rss_kib
from .sections import put_section
from .targets import SERVICE_CODES, new_hall_id

PER = 100_000  # the figure reported: memory per this many tickets in a day
TICKETS = 12_000  # taken by a run: 100,000 take about half an hour on the 2-core machine here
HALLS = 4
KIOSKS = 4
WINDOWS = 26
DEPTH = 150
NO_SHOW_EVERY = 16
CHECKPOINTS = 5
SECTION = "## Memory per 100,000 tickets in a day (`python -m bench.memory`)"
END = "<!-- end of the memory section (python -m bench.memory) -->"


@dataclass
class Counts:
    issued: int = 0  # takes sent
    taken: int = 0
    called: int = 0
    done: int = 0
    no_show: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    takes_over: bool = False


@dataclass
class Point:
    tickets: int
    hub_kib: int
    redis_bytes: int
    at_s: float


def hall_overrides(hall_id: str) -> dict[str, object]:
    windows = [
        {"id": str(n), "services": [SERVICE_CODES[(n - 1 + k) % 26] for k in range(3)]}
        for n in range(1, WINDOWS + 1)
    ]
    devices = [{"id": f"kiosk-{n}", "kind": "kiosk"} for n in range(1, KIOSKS + 1)] + [
        {"id": f"pad-{n}", "kind": "window_pad", "window": str(n)} for n in range(1, WINDOWS + 1)
    ]
    return {
        "services": [{"code": c, "name": f"业务{c}"} for c in SERVICE_CODES],
        "windows": windows,
        "devices": devices,
    }


async def drive_hall(servers: Servers, hall_id: str, tickets: int, depth: int) -> Counts:
    counts = Counts()
    host, port = servers.host, servers.mqtt_port
    async with AsyncExitStack() as stack:
        kiosks = [
            await stack.enter_async_context(Device(host, port, hall_id, f"kiosk-{n}"))
            for n in range(1, KIOSKS + 1)
        ]
        pads = [
            await stack.enter_async_context(Device(host, port, hall_id, f"pad-{n}"))
            for n in range(1, WINDOWS + 1)
        ]
        for n, pad in enumerate(pads, 1):
            reply = await pad.request("window.open", {"staff": f"S{n:03d}"})
            if not reply.ok:
                raise RuntimeError(f"window.open refused: {reply.data}")

        async def kiosk_loop(kiosk: Device) -> None:
            while counts.issued < tickets:
                i = counts.issued
                counts.issued += 1
                reply = await kiosk.request("ticket.take", {"service": SERVICE_CODES[i % 26]})
                if reply.ok:
                    counts.taken += 1
                else:
                    counts.refused[reply.data["error"]["code"]] += 1

        async def pad_loop(pad: Device) -> None:
            while True:
                waiting = counts.taken - counts.called
                if waiting <= depth:
                    if counts.takes_over:
                        return
                    await asyncio.sleep(0.02)
                    continue
                counts.called += 1  # counted when asked, so the pads do not overshoot
                reply = await pad.request("call.next")
                ticket = reply.result.get("ticket") if reply.ok else None
                if ticket is None:
                    counts.called -= 1
                    if not reply.ok:
                        counts.refused[reply.data["error"]["code"]] += 1
                    await asyncio.sleep(0.02)
                    continue
                if counts.called % NO_SHOW_EVERY == 0:
                    reply = await pad.request("call.no_show")
                    counts.no_show += reply.ok
                else:
                    reply = await pad.request("ticket.finish")
                    counts.done += reply.ok
                if not reply.ok:
                    counts.refused[reply.data["error"]["code"]] += 1

        async def takes() -> None:
            await asyncio.gather(*(kiosk_loop(k) for k in kiosks))
            counts.takes_over = True

        await asyncio.gather(takes(), *(pad_loop(p) for p in pads))
    return counts


async def measure(
    servers: Servers, tickets: int, halls: int, depth: int
) -> tuple[list[Point], list[Counts], dict[str, float], float, dict[str, tuple[int, int]]]:
    folder = servers.workdir / "halls"
    folder.mkdir()
    hall_ids = [new_hall_id("memory") for _ in range(halls)]
    for hall_id in hall_ids:
        write_hall_config(
            folder,
            hall_id,
            servers.mqtt_url,
            servers.redis_url,
            http_port=free_port(),
            **hall_overrides(hall_id),
        )
    per_hall = tickets // halls
    async with hub_process(servers, folder, hall_ids) as hub:
        await asyncio.sleep(2.0)
        started = time.monotonic()
        points = [Point(0, rss_kib(hub.pid), await redis_used_memory(servers.redis_url), 0.0)]
        meter = CpuMeter(
            {
                "clients": os.getpid(),
                "hub": hub.pid,
                "mosquitto": servers.mosquitto_pid,
                "redis": servers.redis_pid,
            }
        )
        meter.start()
        loads = [asyncio.create_task(drive_hall(servers, h, per_hall, depth)) for h in hall_ids]
        step = per_hall * halls // CHECKPOINTS
        next_at = step
        while not all(t.done() for t in loads):
            await asyncio.wait(loads, timeout=0.5)
            taken = await count_taken(servers.redis_url, hall_ids)
            if taken >= next_at and next_at < per_hall * halls:
                points.append(
                    Point(
                        taken,
                        rss_kib(hub.pid),
                        await redis_used_memory(servers.redis_url),
                        time.monotonic() - started,
                    )
                )
                print(f"  {taken:,} tickets, {time.monotonic() - started:.0f} s", flush=True)
                next_at += step
        counts = [t.result() for t in loads]
        cpu = meter.stop()
        took = time.monotonic() - started
        await asyncio.sleep(2.0)
        total = sum(c.taken for c in counts)
        points.append(
            Point(total, rss_kib(hub.pid), await redis_used_memory(servers.redis_url), took)
        )
        keys = await redis_keys(servers.redis_url)
    return points, counts, cpu, took, keys


async def count_taken(url: str, hall_ids: list[str]) -> int:
    """Tickets stored today over the halls (the sum of their days' ticket hashes)."""
    client = aredis.Redis.from_url(url)
    try:
        total = 0
        for hall_id in hall_ids:
            async for key in client.scan_iter(match=f"{{hall:{hall_id}}}:tickets:*", count=100):
                total += await client.hlen(key)
        return total
    finally:
        await client.aclose()


async def redis_keys(url: str) -> dict[str, tuple[int, int]]:
    """Keys and bytes (`MEMORY USAGE`) by kind: the part of the key after the hall's tag."""
    client = aredis.Redis.from_url(url)
    kinds: dict[str, tuple[int, int]] = {}
    try:
        batch: list[bytes] = []

        async def flush() -> None:
            pipe = client.pipeline(transaction=False)
            for key in batch:
                pipe.memory_usage(key, samples=0)
            for key, used in zip(batch, await pipe.execute(), strict=True):
                kind = key.decode().split("}:", 1)[-1].split(":", 1)[0]
                n, size = kinds.get(kind, (0, 0))
                kinds[kind] = (n + 1, size + int(used or 0))
            batch.clear()

        async for key in client.scan_iter(count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                await flush()
        if batch:
            await flush()
    finally:
        await client.aclose()
    return kinds


def render(
    points: list[Point],
    counts: list[Counts],
    cpu: dict[str, float],
    took: float,
    keys: dict[str, tuple[int, int]],
    halls: int,
    depth: int,
    when: str,
) -> str:
    first, last = points[0], points[-1]
    tickets = last.tickets
    # The growth from the first fifth on: the first tickets also pay for what any load
    # allocates once (connections, caches, the forecasts' tables).
    since = points[1] if len(points) > 2 else first
    per = PER / (tickets - since.tickets) if tickets > since.tickets else float("nan")
    hub_per = (last.hub_kib - since.hub_kib) * per / 1024
    redis_per = (last.redis_bytes - since.redis_bytes) * per / 2**20
    hub_once = (since.hub_kib - first.hub_kib) / 1024 - hub_per * since.tickets / PER
    done = sum(c.done for c in counts)
    no_show = sum(c.no_show for c in counts)
    called = sum(c.called for c in counts)
    refused: Counter[str] = Counter()
    for c in counts:
        refused.update(c.refused)
    lines = [
        SECTION,
        "",
        f"`python -m bench.memory` ({when}): {tickets:,} tickets taken in one day over {halls} "
        f"halls served by one `hall run` process (a hall numbers at most 999 a day per "
        "service, 25,974 in all), each hall with 4 kiosks and 26 window pads over MQTT in a "
        f"closed loop: the pads call whenever more than {depth} wait and end each call "
        f"(`ticket.finish`, or 1 in {NO_SHOW_EVERY} `call.no_show`). At the end: {called:,} "
        f"called ({done:,} done, {no_show:,} no-show), {tickets - called:,} waiting; "
        f"{took:.0f} s of load.",
        "",
        "| tickets | hub RSS MiB | Redis used_memory MiB | after s |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for p in points:
        lines.append(
            f"| {p.tickets:,} | {p.hub_kib / 1024:.1f} | {p.redis_bytes / 2**20:.1f} | "
            f"{p.at_s:.0f} |"
        )
    lines += [
        "",
        f"**Per 100,000 tickets: hub +{hub_per:.0f} MiB resident, Redis +{redis_per:.0f} MiB "
        "`used_memory`**, from the growth between the first fifth of the tickets and the end "
        f"({last.tickets - since.tickets:,} tickets, scaled ×{per:.2f}); the first fifth cost "
        f"the hub {hub_once:.0f} MiB more, allocated once by any load.",
        "",
        "Redis at the end, by kind of key (`MEMORY USAGE` of each, every hall):",
        "",
        "| key | keys | MiB |",
        "| --- | ---: | ---: |",
    ]
    for kind, (n, size) in sorted(keys.items(), key=lambda kv: -kv[1][1])[:8]:
        lines.append(f"| `{kind}` | {n:,} | {size / 2**20:.1f} |")
    lines += [
        "",
        "- `idem`: each request's answer, kept a day when it changed something (so a repeated "
        "request is never carried out twice: three per ticket here, the take, the call and its "
        "end), a minute when it did not; `events`: each hall's event stream, capped at "
        f"{EVENTS_MAXLEN:,} entries a hall (not reached here); `tickets`: the day's tickets; "
        "`answered`: the requests answered in the last "
        f"{ANSWERED_KEEP_MS // 60_000} minutes (at most {ANSWERED_KEEP_MAX:,} a hall). A run "
        "this short keeps every one of its requests there, so the figure per 100,000 tickets "
        "counts that index as if it grew all day; in a day it stops growing after its first "
        "minutes.",
        f"- {describe(cpu)} Over the load, {took:.0f} s.",
    ]
    if refused:
        lines.append("- Refused: " + ", ".join(f"`{k}` {v}" for k, v in refused.items()) + ".")
    lines += ["", END]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.memory",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--tickets",
        type=int,
        default=TICKETS,
        help=f"tickets to take over the {HALLS} halls (default {TICKETS:,}; at most 100,000)",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="tickets × this (smoke: 0.2)")
    parser.add_argument("--depth", type=int, default=DEPTH, help="people left waiting per hall")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    if not 400 <= args.tickets <= PER:
        parser.error("--tickets must be from 400 to 100,000")
    tickets = max(400, round(args.tickets * args.scale))
    started = time.monotonic()
    with private_servers() as servers:
        result = asyncio.run(measure(servers, tickets, HALLS, args.depth))
    section = render(*result, HALLS, args.depth, time.strftime("%Y-%m-%d"))
    print(section)
    print(f"({time.monotonic() - started:.0f} s)")
    if args.scale == 1.0 and not args.no_write:
        put_section(section, SECTION, END)
        print("wrote BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
