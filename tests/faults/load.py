"""Load under faults: kiosks that take tickets and retry each request by its id until it is
answered, as the contract asks devices to do, and the checks that nothing was lost or given
twice.

Each kiosk is the contract's device client (`DeviceLink`: reconnects to the broker, keeps the
request id on every retry). A request is retried when no answer comes and when the answer is
`unavailable` (after its `retry_after_s`); any other error fails the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aredis

from hall.contract.device import DeviceLink, RequestTimeout
from hall.contract.link import Endpoint
from hall.store.keys import HallKeys

KIOSKS = ("kiosk-1", "kiosk-2", "web-kiosk")
ANSWER_TIMEOUT_S = 2.0  # one attempt; then the same id is sent again
REQUEST_DEADLINE_S = 60.0  # one request must be acknowledged within this, faults and all


@dataclass
class Ledger:
    """What the kiosks were told: every acknowledged ticket by its request id."""

    acknowledged: dict[str, str] = field(default_factory=dict)  # request id -> ticket no
    retries: int = 0  # attempts sent again (no answer, or `unavailable`)
    unavailable: int = 0  # `unavailable` answers among them
    progress: asyncio.Event = field(default_factory=asyncio.Event)

    def numbers(self) -> list[str]:
        return sorted(self.acknowledged.values())

    async def until(self, count: int, timeout: float = REQUEST_DEADLINE_S) -> None:
        """Wait until at least `count` tickets were acknowledged."""
        async with asyncio.timeout(timeout):
            while len(self.acknowledged) < count:
                self.progress.clear()
                await self.progress.wait()


async def take_until_acknowledged(
    kiosk: DeviceLink, request_id: str, service: str, ledger: Ledger
) -> str:
    """Send one `ticket.take` with `request_id` until it is answered ok: the ticket's number."""
    deadline = time.monotonic() + REQUEST_DEADLINE_S
    while time.monotonic() < deadline:
        try:
            response = await kiosk.request(
                "ticket.take",
                {"service": service},
                request_id=request_id,
                timeout=ANSWER_TIMEOUT_S,
                attempts=1,
            )
        except RequestTimeout:
            ledger.retries += 1
            continue
        if response.get("ok"):
            number = str(response["result"]["ticket"]["no"])
            ledger.acknowledged[request_id] = number
            ledger.progress.set()
            return number
        error = response.get("error", {})
        assert error.get("code") == "unavailable", response
        ledger.retries += 1
        ledger.unavailable += 1
        await asyncio.sleep(min(float(error.get("retry_after_s", 1)), 2.0))
    raise AssertionError(f"{kiosk.device_id}: {request_id} not acknowledged in time")


@contextlib.asynccontextmanager
async def kiosks(endpoint: Endpoint, hall_id: str) -> AsyncIterator[list[DeviceLink]]:
    """The hall's kiosks, connected (and reconnecting) to the broker at `endpoint`."""
    links = [DeviceLink(endpoint, hall_id, kiosk) for kiosk in KIOSKS]
    tasks = [asyncio.create_task(link.run()) for link in links]
    try:
        async with asyncio.timeout(15):
            for link in links:
                await link.link.connected.wait()
        yield links
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def load(links: list[DeviceLink], per_kiosk: int, ledger: Ledger, tag: str) -> None:
    """Every kiosk takes `per_kiosk` tickets one after another, services A and B in turn."""

    async def one_kiosk(link: DeviceLink) -> None:
        for n in range(per_kiosk):
            rid = f"{tag}-{link.device_id}-{n}"
            await take_until_acknowledged(link, rid, "AB"[n % 2], ledger)

    async with asyncio.TaskGroup() as group:
        for link in links:
            group.create_task(one_kiosk(link))


def expected_numbers(count_a: int, count_b: int) -> list[str]:
    return sorted(
        [f"A{n:03d}" for n in range(1, count_a + 1)] + [f"B{n:03d}" for n in range(1, count_b + 1)]
    )


async def assert_nothing_lost(ledger: Ledger, redis_url: str, hall_id: str, requests: int) -> None:
    """Every request acknowledged once, no number twice, no gap, and every acknowledged
    ticket stored, waiting, under its number."""
    numbers = ledger.numbers()
    assert len(ledger.acknowledged) == requests, (len(ledger.acknowledged), requests)
    assert len(set(numbers)) == len(numbers), f"a number given twice: {numbers}"
    count_a = sum(1 for n in numbers if n.startswith("A"))
    assert numbers == expected_numbers(count_a, len(numbers) - count_a), numbers
    client = aredis.Redis.from_url(redis_url)
    try:
        keys = HallKeys(hall_id)
        stored: dict[str, Any] = {}
        async for key in client.scan_iter(match=keys.tickets("*")):
            for no, raw in (await client.hgetall(key)).items():
                stored[no.decode()] = json.loads(raw)
    finally:
        await client.aclose()
    assert sorted(stored) == numbers, (sorted(stored), numbers)
    assert all(t["state"] == "waiting" for t in stored.values())
