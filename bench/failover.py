"""Takeover by a standby hub: kill -9 of the active hub under load, and the time until the
hall answers again.

Each run makes a fresh hall with two `hall run` processes on the run's broker and Redis (the
same hall file but for the HTTP port and `[hub] instance`, default lease timings). Once the
second one stands by (its /healthz says so, connected to broker and store), four kiosks take
tickets one after another (services A-Z in turn), each request sent again with the same id
every 0.2 s until it is answered, as a device that retries by request id does. After a second
of load the active hub gets SIGKILL; "takeover" is the time from the kill to the first answer
to any request sent after it. The load goes on for another second; then every acknowledged
ticket is checked against the store: stored, and given once.

    python -m bench.failover [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import signal
import statistics
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import redis.asyncio as aredis

from hall.contract.ports import free_port
from tests.support import write_hall_config

from .infra import ROOT, private_servers
from .load import mqtt_client
from .targets import SERVICE_CODES, START_TIMEOUT_S, Env, bench_hall, new_hall_id, wait_online

KIOSKS = 4
RETRY_S = 0.2
LOAD_BEFORE_S = 1.0
LOAD_AFTER_S = 1.0


class Kiosk:
    """A kiosk taking tickets one after another, retrying each by its id until answered."""

    def __init__(
        self, host: str, port: int, hall_id: str, device: str, news: asyncio.Event
    ) -> None:
        self.device = device
        self.news = news  # set on every answer
        self.req = f"hall/{hall_id}/dev/{device}/req"
        self.res = f"hall/{hall_id}/dev/{device}/res"
        self.client = mqtt_client(host, port, f"bench-{hall_id}-{device}")
        self.tickets: list[str] = []
        self.answers: list[tuple[float, float]] = []  # (sent, answered) of the last attempt
        self._ids = itertools.count(1)
        self._answer: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    @contextlib.asynccontextmanager
    async def connected(self) -> AsyncIterator[Kiosk]:
        async with self.client:
            await self.client.subscribe(self.res, qos=1)
            reader = asyncio.create_task(self._read())
            try:
                yield self
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader

    async def _read(self) -> None:
        async for message in self.client.messages:
            payload = message.payload if isinstance(message.payload, bytes) else b"{}"
            with contextlib.suppress(ValueError):
                self._answer.put_nowait(json.loads(payload))

    async def take(self) -> None:
        n = next(self._ids)
        request_id = f"{self.device}-{n}"
        # Services in turn, so that no service reaches its 999 numbers of the day.
        service = SERVICE_CODES[n % len(SERVICE_CODES)]
        body = json.dumps({"id": request_id, "op": "ticket.take", "args": {"service": service}})
        while True:
            sent = time.perf_counter()
            await self.client.publish(self.req, body, qos=1)
            deadline = sent + RETRY_S
            while (left := deadline - time.perf_counter()) > 0:
                try:
                    answer = await asyncio.wait_for(self._answer.get(), left)
                except TimeoutError:
                    break
                if answer.get("id") != request_id:
                    continue  # a late answer to an earlier attempt of an earlier request
                if answer.get("ok"):
                    self.tickets.append(answer["result"]["ticket"]["no"])
                    self.answers.append((sent, time.perf_counter()))
                    self.news.set()
                    return
                if answer["error"]["code"] != "internal":
                    raise RuntimeError(f"{self.device}: {answer}")
                break  # `internal` (the store or the hub going): ask again, same id

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.take()


async def _healthz(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    with contextlib.suppress(aiohttp.ClientError, TimeoutError, ValueError):
        async with http.get(url, timeout=aiohttp.ClientTimeout(total=2)) as response:
            report: dict[str, Any] = await response.json(content_type=None)
            return report
    return {}


def _standing_by(report: dict[str, Any]) -> bool:
    return report.get("role") == "standby" and bool(report.get("broker"))


async def one_run(env: Env, run: int) -> tuple[float, int, int, int]:
    """(takeover seconds, tickets acknowledged, lost, given twice) of one kill."""
    servers = env.servers
    hall_id = new_hall_id("failover")
    procs: list[asyncio.subprocess.Process] = []
    urls: list[str] = []
    log_path = env.workdir / f"{hall_id}.log"
    try:
        with log_path.open("wb") as log:
            for name in ("a", "b"):
                port = free_port()
                folder = env.workdir / f"{hall_id}-{name}"
                folder.mkdir()
                path = write_hall_config(
                    folder,
                    hall_id,
                    servers.mqtt_url,
                    servers.redis_url,
                    http_port=port,
                    hub={"instance": f"hub-{name}"},
                    **bench_hall(KIOSKS, 2),
                )
                argv = [sys.executable, "-m", "hall.cli.main", "--log-level", "WARNING"]
                argv += ["run", "--config", str(path)]
                procs.append(
                    await asyncio.create_subprocess_exec(*argv, cwd=ROOT, stdout=log, stderr=log)
                )
                urls.append(f"http://127.0.0.1:{port}/healthz")
                if name == "a":
                    await wait_online(env, hall_id, None)
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not _standing_by(await _healthz(http, urls[1])):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the standby did not stand by\n{log_path.read_text()}")
                await asyncio.sleep(0.05)
        news = asyncio.Event()
        kiosks = [
            Kiosk(servers.host, servers.mqtt_port, hall_id, f"kiosk-{n}", news)
            for n in range(1, KIOSKS + 1)
        ]
        async with contextlib.AsyncExitStack() as stack:
            for kiosk in kiosks:
                await stack.enter_async_context(kiosk.connected())
            stop = asyncio.Event()
            load = [asyncio.create_task(k.run(stop)) for k in kiosks]
            await asyncio.sleep(LOAD_BEFORE_S)
            procs[0].send_signal(signal.SIGKILL)
            killed = time.perf_counter()
            await procs[0].wait()
            while not any(s > killed for k in kiosks for s, _ in k.answers):
                news.clear()
                await news.wait()
            await asyncio.sleep(LOAD_AFTER_S)
            stop.set()
            await asyncio.wait_for(asyncio.gather(*load), START_TIMEOUT_S)
        first = min(a for k in kiosks for s, a in k.answers if s > killed)
        acknowledged = [no for k in kiosks for no in k.tickets]
        client = aredis.Redis.from_url(servers.redis_url)
        try:
            day = (await _healthz_day(urls[1])) or ""
            keys = await client.hkeys(f"{{hall:{hall_id}}}:tickets:{day}")
            stored = {n.decode() if isinstance(n, bytes) else n for n in keys}
        finally:
            await client.aclose()
        lost = len(set(acknowledged) - stored)
        twice = len(acknowledged) - len(set(acknowledged))
        print(
            f"  run {run}: takeover {first - killed:.2f} s, {len(acknowledged)} tickets, "
            f"lost {lost}, given twice {twice}",
            flush=True,
        )
        return first - killed, len(acknowledged), lost, twice
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), 10)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()


async def _healthz_day(url: str) -> str | None:
    async with aiohttp.ClientSession() as http:
        day = (await _healthz(http, url)).get("day")
        return str(day) if day else None


async def failover(env: Env, runs: int) -> list[tuple[float, int, int, int]]:
    return [await one_run(env, n) for n in range(1, runs + 1)]


def render(results: list[tuple[float, int, int, int]]) -> str:
    takeovers = sorted(r[0] for r in results)
    lines = [
        "### Takeover: kill -9 of the active hub under load",
        "",
        "| runs | takeover p50 s | takeover max s | tickets acknowledged | lost | given twice |",
        "|--:|--:|--:|--:|--:|--:|",
        f"| {len(results)} | {statistics.median(takeovers):.2f} | {takeovers[-1]:.2f} | "
        f"{sum(r[1] for r in results):,} | {sum(r[2] for r in results)} | "
        f"{sum(r[3] for r in results)} |",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.failover", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="kills to time (default 5)")
    args = parser.parse_args()
    with private_servers() as servers:
        env = Env(servers, patience_s=0)
        results = asyncio.run(failover(env, args.runs))
    print(render(results))
    return 0 if all(r[2] == 0 and r[3] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
