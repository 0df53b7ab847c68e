"""Two `hall run` processes for one hall on the test's broker and Redis: the active one is
killed (SIGKILL) under a device load that retries by request id, and the standby takes over
with nothing acknowledged lost and nothing done twice. A third process whose HTTP port is
taken stops with an error and leaves the running hub alone."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aredis

from tests.support import eventually, hall_run, write_hall_config

from .contract_client import ContractClient

KIOSKS = ("kiosk-1", "kiosk-2", "web-kiosk")
RETRY_S = 0.5  # a device asks again (same id) when no answer came within this
BEFORE_KILL = 15  # tickets acknowledged (all kiosks together) before the kill
AFTER_KILL = 15  # and after it
TIMEOUT_S = 30.0


def hub_file(tmp_path: Path, name: str, hall_id: str, mqtt_url: str, redis_url: str) -> Path:
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    return write_hall_config(folder, hall_id, mqtt_url, redis_url, hub={"instance": f"hub-{name}"})


def http_url(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("listen = ") and "127.0.0.1" in line:
            return "http://" + json.loads(line.split("=", 1)[1])
    raise AssertionError(f"no [http] listen in {path}")


def online_as(instance: str) -> Any:
    return lambda d: (
        isinstance(d, dict) and d.get("instance") == instance and (d["state"] == "online")
    )


async def health(http: aiohttp.ClientSession, url: str) -> dict[str, Any] | None:
    with contextlib.suppress(aiohttp.ClientError, TimeoutError):
        async with http.get(url + "/healthz", timeout=aiohttp.ClientTimeout(total=2)) as r:
            report: dict[str, Any] = await r.json(content_type=None)
            return report
    return None


class RetryingKiosk:
    """A kiosk taking tickets one after another, each asked again with the same id until it
    is answered: every `ticket` it keeps was acknowledged to it."""

    def __init__(self, client: ContractClient, device: str) -> None:
        self.client = client
        self.device = device
        self.tickets: list[str] = []
        self.answered_at: list[float] = []
        self._ids = itertools.count(1)

    async def take_one(self) -> None:
        request_id = f"{self.device}-{next(self._ids)}"
        while True:
            try:
                response = await self.client.request(
                    self.device, "ticket.take", {"service": "A"}, request_id, RETRY_S
                )
            except TimeoutError:
                continue
            if response["ok"]:
                self.tickets.append(response["result"]["ticket"]["no"])
                self.answered_at.append(time.monotonic())
                return
            assert response["error"]["code"] == "internal", response  # retried: same id

    async def run(self, until: asyncio.Event) -> None:
        while not until.is_set():
            await self.take_one()


async def test_kill_the_active_hub_under_load_and_the_standby_carries_on(
    tmp_path: Path,
    hall_id: str,
    mqtt_url: str,
    redis_url: str,
    mqtt_host_port: tuple[str, int],
    redis_client: aredis.Redis,
) -> None:
    first_path = hub_file(tmp_path, "a", hall_id, mqtt_url, redis_url)
    second_path = hub_file(tmp_path, "b", hall_id, mqtt_url, redis_url)
    log = tmp_path / "hubs.log"
    host, port = mqtt_host_port
    async with (
        ContractClient(host, port, hall_id, f"fo-{hall_id}-{os.getpid()}") as c,
        aiohttp.ClientSession() as http,
        hall_run(first_path, log) as first,
    ):
        status_topic = c.topic("hub/status")
        before = await c.wait_latest(status_topic, online_as("hub-a"), TIMEOUT_S)
        async with hall_run(second_path, log) as second:

            async def standing_by() -> bool:
                report = await health(http, http_url(second_path))
                return report is not None and report["role"] == "standby" and report["broker"]

            await eventually(standing_by, "the second hub standing by", TIMEOUT_S)
            kiosks = [RetryingKiosk(c, device) for device in KIOSKS]
            stop = asyncio.Event()
            load = [asyncio.create_task(k.run(stop)) for k in kiosks]
            try:
                await eventually(
                    lambda: sum(len(k.tickets) for k in kiosks) >= BEFORE_KILL,
                    "tickets taken before the kill",
                    TIMEOUT_S,
                    tasks=load,
                )
                first.send_signal(signal.SIGKILL)
                killed_at = time.monotonic()
                counted = sum(len(k.tickets) for k in kiosks)
                await asyncio.wait_for(first.wait(), TIMEOUT_S)
                await eventually(
                    lambda: sum(len(k.tickets) for k in kiosks) >= counted + AFTER_KILL,
                    "tickets taken after the takeover",
                    TIMEOUT_S,
                    tasks=load,
                )
            finally:
                stop.set()
            await asyncio.wait_for(asyncio.gather(*load), TIMEOUT_S)
            first_answer = min(t for k in kiosks for t in k.answered_at if t > killed_at)
            print(f"first answer {first_answer - killed_at:.2f} s after the kill")

            # The standby is the active hub now, with a newer epoch.
            after = await c.wait_latest(status_topic, online_as("hub-b"))
            assert after["epoch"] > before["epoch"]
            report = await health(http, http_url(second_path))
            assert report is not None and report["role"] == "active", report
            assert report["epoch"] == after["epoch"]

            # Every acknowledged ticket is stored, once; nothing else was given out.
            acknowledged = [no for k in kiosks for no in k.tickets]
            assert len(acknowledged) == len(set(acknowledged)), acknowledged
            day = report["day"]
            stored = await redis_client.hgetall(f"{{hall:{hall_id}}}:tickets:{day}")
            assert sorted(n.decode() for n in stored) == sorted(acknowledged)
            numbers = sorted(int(no[1:]) for no in acknowledged)
            assert numbers == list(range(1, len(numbers) + 1))  # no gap, no repeat

            # A third hub with the same HTTP port as the running one stops at once, claiming
            # nothing; the running hub goes on.
            (tmp_path / "c").mkdir()
            third_path = write_hall_config(
                tmp_path / "c",
                hall_id,
                mqtt_url,
                redis_url,
                http_port=int(http_url(second_path).rsplit(":", 1)[1]),
                hub={"instance": "hub-c"},
            )
            third_log = tmp_path / "third.log"
            async with hall_run(third_path, third_log) as third:
                assert await asyncio.wait_for(third.wait(), TIMEOUT_S) == 1
            assert "cannot listen for HTTP" in third_log.read_text(), third_log.read_text()
            assert int(await redis_client.get(f"{{hall:{hall_id}}}:epoch")) == after["epoch"]
            assert c.latest[status_topic] == after
            ticket = await c.ok("kiosk-1", "ticket.take", {"service": "A"})
            assert ticket["ticket"]["no"] == f"A{len(acknowledged) + 1:03d}"
            assert second.returncode is None, log.read_text()
