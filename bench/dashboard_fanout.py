"""The dashboard's updates to 500 signed-in WebSocket clients.

One `hall run` process on the private Mosquitto and Redis (the benchmarks' hall: 26 services,
8 windows, 4 kiosks) with 50 manager accounts. The benchmark signs in 500 times (`POST
/login`, ten sessions per account, a few at a time as the hub checks at most two passwords at
once) and opens one `/ws/dashboard` per session with `websockets` (an independent client),
sending the session cookie and the hub's own `Origin`, as the dashboard page does. Then a
kiosk takes tickets over MQTT at a paced rate; for each ticket, the latency to each dashboard
is from just before its `ticket.take` is published to the moment that dashboard receives the
`ticket.taken` event of that ticket (sent after the snapshot, at most 4 a second). The hub's
CPU is read from /proc over the stream, its resident memory before the dashboards connect,
once they all have their first snapshot, and after the stream. Two passes, each on a fresh
hall and hub: the clients offering permessage-deflate (as browsers do), then offering none.

All 500 connect from 127.0.0.1: the hub has no per-address cap on WebSockets, and its cap on
open HTTP connections (`[http] max_connections`, 4096 by default) is far above 500, so the
generated hall file raises no cap.

    python -m bench.dashboard_fanout               # full run: prints, writes its section
    python -m bench.dashboard_fanout --scale 0.1   # 50 dashboards, fewer changes: prints only
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
import websockets
from argon2 import PasswordHasher

from hall.contract.ports import free_port
from tests.support import write_hall_config

from .cpu import CpuMeter, describe
from .infra import Servers, private_servers
from .load import Device, percentile
from .procs import hub_process, rss_kib
from .sections import put_section
from .targets import SERVICE_CODES, bench_hall, new_hall_id

DASHBOARDS = 500
ACCOUNTS = 50
CHANGES = 120
RATE = 2.0  # ticket.take per second
SIGN_INS_AT_ONCE = 8  # the hub checks 2 passwords at once and lets 8 wait
DELIVERY_TIMEOUT_S = 30.0
PASSWORD = "bench-dashboard"
# A cheap argon2id hash: what is measured is the dashboards, not 500 password checks.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
SECTION = "## The dashboard's updates to 500 WebSockets (`python -m bench.dashboard_fanout`)"
END = "<!-- end of the dashboard fan-out section (python -m bench.dashboard_fanout) -->"


@dataclass
class Dashboard:
    """One dashboard socket: when it got its first snapshot, and each ticket's event."""

    snapshot_at: float | None = None
    snapshots: int = 0
    taken: dict[str, float] = field(default_factory=dict)  # ticket no -> received at

    async def follow(self, ws: websockets.ClientConnection) -> None:
        async for message in ws:
            at = time.perf_counter()
            text = message if isinstance(message, str) else message.decode()
            head = text[:24]
            if head.startswith('{"type":"snapshot"'):
                self.snapshots += 1
                if self.snapshot_at is None:
                    self.snapshot_at = at
            elif head.startswith('{"type":"event"') and '"ticket.taken"' in text:
                event = json.loads(text)["event"]
                self.taken.setdefault(event["ticket"]["no"], at)


async def sign_in(http: aiohttp.ClientSession, port: int, name: str) -> str:
    """A session cookie from `POST /login`; a busy hub (503) is asked again."""
    for _ in range(50):
        async with http.post(
            f"http://127.0.0.1:{port}/login",
            data={"name": name, "password": PASSWORD},
            allow_redirects=False,
        ) as response:
            if response.status == 303:
                cookie = response.cookies.get("hall_session")
                if cookie is None:
                    raise RuntimeError("signed in without a session cookie")
                return cookie.value
            if response.status != 503:
                raise RuntimeError(f"sign-in as {name}: HTTP {response.status}")
        await asyncio.sleep(0.2)
    raise RuntimeError(f"sign-in as {name}: the hub stayed busy")


async def sessions(port: int, count: int) -> list[str]:
    slots = asyncio.Semaphore(SIGN_INS_AT_ONCE)
    jar = aiohttp.DummyCookieJar()  # each session kept apart, not in a shared jar

    async with aiohttp.ClientSession(cookie_jar=jar) as http:

        async def one(i: int) -> str:
            async with slots:
                return await sign_in(http, port, f"manager-{i % ACCOUNTS + 1}")

        return await asyncio.gather(*(one(i) for i in range(count)))


async def until(what: str, check: Callable[[], bool], timeout: float) -> None:
    """Poll `check` (the arrival times are taken by the readers, not here)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"not within {timeout:.0f} s: {what}")
        await asyncio.sleep(0.05)


@dataclass
class Result:
    offered: str  # the compression the clients offered
    agreed: str  # the extensions the hub's answers named
    dashboards: int
    changes: int
    latencies: list[float]  # seconds, every (change, dashboard) delivered
    last: list[float]  # per change: its slowest dashboard
    missed: int
    connect_s: float
    rss: tuple[int, int, int]  # hub KiB: before, with the dashboards, after the stream
    cpu: dict[str, float]
    cpu_wall: float


async def measure(servers: Servers, dashboards_n: int, changes: int, deflate: bool) -> Result:
    """One pass on a fresh hall and hub; `deflate`: the clients offer permessage-deflate."""
    hall_id = new_hall_id("fanout")
    port = free_port()
    hashes = [CHEAP_HASHER.hash(PASSWORD) for _ in range(ACCOUNTS)]
    users = [
        {"name": f"manager-{n + 1}", "password_hash": h, "role": "manager"}
        for n, h in enumerate(hashes)
    ]
    path = write_hall_config(
        servers.workdir,
        hall_id,
        servers.mqtt_url,
        servers.redis_url,
        http_port=port,
        users=users,
        **bench_hall(4, 8),
    )
    async with hub_process(servers, path, [hall_id]) as hub:
        cookies = await sessions(port, dashboards_n)
        await asyncio.sleep(1.0)
        rss_before = rss_kib(hub.pid)
        boards = [Dashboard() for _ in cookies]
        started = time.perf_counter()
        sockets = []
        for cookie in cookies:
            sockets.append(
                await websockets.connect(
                    f"ws://127.0.0.1:{port}/ws/dashboard",
                    additional_headers={
                        "Cookie": f"hall_session={cookie}",
                        "Origin": f"http://127.0.0.1:{port}",
                    },
                    max_size=None,
                    open_timeout=30,
                    compression="deflate" if deflate else None,
                )
            )
        extensions = {
            ws.response.headers.get("Sec-WebSocket-Extensions", "") if ws.response else "?"
            for ws in sockets
        }
        readers = [
            asyncio.create_task(board.follow(ws)) for board, ws in zip(boards, sockets, strict=True)
        ]
        try:
            await until(
                "every dashboard's first snapshot",
                lambda: all(b.snapshot_at is not None for b in boards),
                DELIVERY_TIMEOUT_S,
            )
            connect_s = max(b.snapshot_at or 0.0 for b in boards) - started
            await asyncio.sleep(2.0)
            rss_with = rss_kib(hub.pid)
            async with Device(servers.host, servers.mqtt_port, hall_id, "kiosk-1") as kiosk:
                sent: dict[str, float] = {}
                meter = CpuMeter(
                    {
                        "dashboards (clients)": os.getpid(),
                        "hub": hub.pid,
                        "mosquitto": servers.mosquitto_pid,
                        "redis": servers.redis_pid,
                    }
                )
                meter.start()
                loop = asyncio.get_running_loop()
                start = loop.time() + 0.05
                for i in range(changes):
                    delay = start + i / RATE - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    reply = await kiosk.request(
                        "ticket.take", {"service": SERVICE_CODES[i % len(SERVICE_CODES)]}
                    )
                    if not reply.ok:
                        raise RuntimeError(f"ticket.take refused: {reply.data}")
                    sent[reply.result["ticket"]["no"]] = reply.sent
                with contextlib.suppress(RuntimeError):
                    await until(
                        "every dashboard told of every ticket",
                        lambda: all(len(b.taken) >= changes for b in boards),
                        DELIVERY_TIMEOUT_S,
                    )
                cpu = meter.stop()
                cpu_wall = meter.wall_s
            rss_after = rss_kib(hub.pid)
        finally:
            for ws in sockets:
                with contextlib.suppress(Exception):
                    await ws.close()
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
    latencies: list[float] = []
    last: list[float] = []
    missed = 0
    for no, at in sent.items():
        these = [b.taken[no] - at for b in boards if no in b.taken]
        missed += len(boards) - len(these)
        latencies += these
        if these:
            last.append(max(these))
    return Result(
        "permessage-deflate" if deflate else "none",
        ", ".join(sorted(e or "none" for e in extensions)),
        dashboards_n,
        changes,
        latencies,
        last,
        missed,
        connect_s,
        (rss_before, rss_with, rss_after),
        cpu,
        cpu_wall,
    )


def render(results: list[Result], when: str) -> str:
    n = results[0].dashboards
    lines = [
        SECTION,
        "",
        f"`python -m bench.dashboard_fanout` ({when}): {n} dashboards signed in (`POST /login`, "
        f"{ACCOUNTS} manager accounts with cheap argon2id hashes, {n // ACCOUNTS} sessions "
        "each), each on its own "
        "`/ws/dashboard` (the `websockets` client, in one process); then "
        f"{results[0].changes} `ticket.take` over MQTT paced at {RATE:g}/s. Latency: from "
        "publishing the `ticket.take` to each dashboard receiving that ticket's "
        "`ticket.taken` event. The live view sends a dashboard at most 4 snapshots a second, "
        "each followed by the events since the last (`hall/web/live.py`, `mailbox.py`). "
        "Two passes, each on a fresh hall and hub: the clients offering permessage-deflate "
        "(as browsers do), then offering no compression. All from one address; the hall file "
        "raises no cap (no per-address cap on sockets; `[http] max_connections` is 4,096).",
        "",
        "| compression offered | agreed | deliveries | missed | p50 ms | p95 ms | p99 ms "
        "| max ms | slowest per change p50 ms | hub CPU | hub RSS per dashboard |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        ms = [v * 1000 for v in r.latencies]
        before, with_boards, _after = r.rss
        lines.append(
            f"| {r.offered} | {r.agreed} | {len(ms):,} | {r.missed} | "
            f"{percentile(ms, 50):.0f} | {percentile(ms, 95):.0f} | {percentile(ms, 99):.0f} | "
            f"{percentile(ms, 100):.0f} | {percentile([v * 1000 for v in r.last], 50):.0f} | "
            f"{r.cpu.get('hub', 0.0) * 100:.0f}% | {(with_boards - before) / n:.0f} KiB |"
        )
    lines.append("")
    for r in results:
        before, with_boards, after = r.rss
        lines += [
            f"- {r.offered}: hub memory {before / 1024:.1f} MiB signed in, no dashboard open; "
            f"{with_boards / 1024:.1f} MiB with the {n} open; {after / 1024:.1f} MiB after the "
            f"stream. All {n} had their first snapshot {r.connect_s:.1f} s after the first was "
            "opened (one after another).",
            f"- {r.offered}: {describe(r.cpu)} Over the stream, {r.cpu_wall:.0f} s.",
        ]
    lines += ["", END]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dashboard_fanout",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scale", type=float, default=1.0, help="dashboards × this (smoke: 0.1)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    dashboards_n = max(10, round(DASHBOARDS * args.scale))
    changes = max(10, round(CHANGES * min(1.0, args.scale * 2)))
    started = time.monotonic()
    with private_servers() as servers:
        results = [
            asyncio.run(measure(servers, dashboards_n, changes, deflate))
            for deflate in (True, False)
        ]
    section = render(results, time.strftime("%Y-%m-%d"))
    print(section)
    print(f"({time.monotonic() - started:.0f} s)")
    if args.scale == 1.0 and not args.no_write:
        put_section(section, SECTION, END)
        print("wrote BENCHMARKS.md")
    return 0 if all(r.missed == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
