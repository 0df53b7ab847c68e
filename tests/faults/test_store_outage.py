"""Store outages seen by a device: a short one is ridden through (the request is held and
carried out), a longer one is answered `unavailable` with a retry hint, and the same id is
carried out once when Redis is back. Between the hub and Redis sits the fault proxy."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.integration.contract_client import ContractClient
from tests.support import hall_run, write_hall_config

from .conftest import FaultHall
from .proxy import FaultProxy, fault_proxy

SHORT_S = 1.0  # well inside the hub's hold (3 s)
LONG_S = 5.0  # past it
HOLD_S = 3.0  # the hub's hold ([store] ride-through budget)
ANSWER_S = 15.0


def online(data: Any) -> bool:
    return isinstance(data, dict) and data.get("state") == "online"


@asynccontextmanager
async def hall_behind_proxy(
    hall: FaultHall, tmp_path: Path
) -> AsyncIterator[tuple[FaultProxy, ContractClient]]:
    """The hub as its own process, talking to Redis through the proxy; an outside client."""
    async with fault_proxy(hall.redis.host, hall.redis.port) as proxy:
        config = write_hall_config(
            tmp_path, hall.hall_id, hall.mosquitto.url, f"redis://127.0.0.1:{proxy.port}/0"
        )
        client = ContractClient(
            hall.mosquitto.host, hall.mosquitto.port, hall.hall_id, f"test-{os.getpid()}"
        )
        async with hall_run(config, hall.log), client as c:
            await c.wait_latest(c.topic("hub/status"), online, ANSWER_S)
            yield proxy, c


async def take(c: ContractClient, request_id: str) -> dict[str, Any]:
    return await c.request(
        "kiosk-1", "ticket.take", {"service": "A"}, request_id=request_id, timeout=ANSWER_S
    )


async def take_when_available(c: ContractClient, request_id: str) -> dict[str, Any]:
    """`take`, retried after each `unavailable` as its `retry_after_s` says (at most ten
    times), as a device does; the first other answer."""
    for _ in range(10):
        answer = await take(c, request_id)
        if answer["ok"] or answer["error"]["code"] != "unavailable":
            return answer
        await asyncio.sleep(answer["error"]["retry_after_s"])
    return answer


async def test_after_a_redis_restart_the_first_request_is_carried_out(
    fault_hall: FaultHall,
) -> None:
    """Pooled connections to the old server and the script cache it forgot are no reason to
    refuse: the first request after the restart gets its ticket."""
    hall = fault_hall
    client = ContractClient(
        hall.mosquitto.host, hall.mosquitto.port, hall.hall_id, f"test-{os.getpid()}"
    )
    async with hall_run(hall.config, hall.log), client as c:
        await c.wait_latest(c.topic("hub/status"), online, ANSWER_S)
        assert (await take(c, "before"))["result"]["ticket"]["no"] == "A001"
        hall.redis.restart()
        first = await take(c, "after")
        assert first["ok"], first
        assert first["result"]["ticket"]["no"] == "A002"
        hall.redis.kill()  # no shutdown save: the append-only file alone has the tickets
        hall.redis.start()
        assert (await take(c, "after-kill"))["result"]["ticket"]["no"] == "A003"


@pytest.mark.parametrize(
    ("fault", "where"),
    [
        pytest.param("cut", "cut off", id="cut"),
        # Nothing answered, nothing refused: the hub waits; when the link is back it goes on.
        pytest.param("blackhole", "in a black hole", id="black_hole"),
    ],
)
async def test_a_short_outage_is_ridden_through(
    fault_hall: FaultHall, tmp_path: Path, fault: str, where: str
) -> None:
    async with hall_behind_proxy(fault_hall, tmp_path) as (proxy, c):
        assert (await take(c, "t1"))["ok"]
        getattr(proxy, fault)()
        asked = asyncio.create_task(take(c, "t2"))
        await asyncio.sleep(SHORT_S)
        assert not asked.done(), f"answered while the store was {where}"
        proxy.restore()
        held = await asked
        assert held["ok"] and held["result"]["ticket"]["no"] == "A002", held


@pytest.mark.parametrize(
    "fault",
    [
        "cut",
        # A Redis that hangs, or a link that swallows everything: no error ever comes, and
        # the hub gives up on its own when the hold is spent, not at the socket's timeout.
        pytest.param("blackhole", id="black_hole"),
    ],
)
async def test_a_long_outage_is_unavailable_then_the_same_id_is_carried_out_once(
    fault_hall: FaultHall, tmp_path: Path, fault: str
) -> None:
    async with hall_behind_proxy(fault_hall, tmp_path) as (proxy, c):
        assert (await take(c, "t1"))["ok"]
        getattr(proxy, fault)()
        asked_at = time.monotonic()
        refused = await take(c, "t2")
        # The hold (3 s) and a little: well before the store connection's 10 s timeout.
        assert time.monotonic() - asked_at < HOLD_S + 2.5, refused
        assert refused["ok"] is False, refused
        assert refused["error"]["code"] == "unavailable", refused
        assert refused["error"]["retry_after_s"] > 0 and refused["error"]["message"]
        await asyncio.sleep(LONG_S)
        # Still out: refused at once, not held again.
        again = await take(c, "t2")
        assert again["error"]["code"] == "unavailable", again
        proxy.restore()
        answer = await take_when_available(c, "t2")
        assert answer["ok"] and answer["result"]["ticket"]["no"] == "A002", answer
        assert await take(c, "t2") == answer
        assert (await take(c, "t3"))["result"]["ticket"]["no"] == "A003"


async def test_latency_to_the_store_slows_but_breaks_nothing(
    fault_hall: FaultHall, tmp_path: Path
) -> None:
    async with hall_behind_proxy(fault_hall, tmp_path) as (proxy, c):
        proxy.latency_s = 0.05
        answers = await asyncio.gather(*(take(c, f"slow-{n}") for n in range(10)))
        assert all(a["ok"] for a in answers), answers
        numbers = sorted(a["result"]["ticket"]["no"] for a in answers)
        assert numbers == [f"A{n:03d}" for n in range(1, 11)]


async def test_repeats_during_an_outage_and_after_it_take_nothing_of_the_limit(
    fault_hall: FaultHall, tmp_path: Path
) -> None:
    """A device retrying a request the hub holds (the store hangs), and retrying it once it
    was carried out, is never answered `rate_limited` for it, and its retries leave its limit
    for new requests."""
    hall = fault_hall
    config = write_hall_config(
        tmp_path,
        hall.hall_id,
        hall.mosquitto.url,
        hall.redis.url,
        rate_limits={"kiosk": {"per_s": 0.01, "burst": 3}},
    )
    client = ContractClient(
        hall.mosquitto.host, hall.mosquitto.port, hall.hall_id, f"test-{os.getpid()}"
    )
    async with hall_run(config, hall.log), client as c:
        await c.wait_latest(c.topic("hub/status"), online, ANSWER_S)
        assert (await take(c, "t1"))["ok"]  # the first of three
        hall.redis.process.send_signal(signal.SIGSTOP)
        try:
            held = asyncio.create_task(take(c, "x"))  # the second, held
            await asyncio.sleep(0.3)
            await asyncio.gather(*(take(c, "x") for _ in range(5)))  # its device's retries
            assert (await held)["error"]["code"] == "unavailable"
        finally:
            hall.redis.process.send_signal(signal.SIGCONT)
        # The store carries out the held commit once it runs again: the retry gets its ticket.
        answer = await take_when_available(c, "x")
        assert answer["ok"] and answer["result"]["ticket"]["no"] == "A002", answer
        assert await take(c, "x") == answer
        answers = [r for r in c.messages[c.topic("res", "kiosk-1")] if r.get("id") == "x"]
        codes = {"ok" if r["ok"] else r["error"]["code"] for r in answers}
        assert codes == {"ok", "unavailable"}, answers
        # One new request is left of three, then the limit.
        assert (await take(c, "t3"))["result"]["ticket"]["no"] == "A003"
        assert (await take(c, "t4"))["error"]["code"] == "rate_limited"
