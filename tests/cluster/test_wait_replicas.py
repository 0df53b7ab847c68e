"""`[store] wait_replicas`: a commit is acknowledged only once that many replicas hold it.

With a replica that does not answer, a request is answered `unavailable` and nothing is
acknowledged; once it answers again, the device's retry by the same id gets its ticket, once.
Behind Sentinel, with a master of two replicas and `wait_replicas = 2`, failovers under load
lose no acknowledged ticket and give no number twice (with `min-replicas-to-write 1` alone a
master being replaced still took writes its successor never got)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
import redis.asyncio as aredis

from tests.cluster.test_sentinel import FAILOVER_S, SERVICE, failover, start_sentinel
from tests.conftest import PrivateRedis, PrivateRedisFactory
from tests.integration.contract_client import ContractClient
from tests.integration.halls import hall_with_client
from tests.support import eventually


async def in_sync(master: PrivateRedis, replicas: int) -> None:
    client = aredis.Redis.from_url(master.url)
    try:

        async def online() -> bool:
            info = await client.info("replication")
            return sum("online" in str(info.get(f"slave{i}", "")) for i in range(replicas)) == (
                replicas
            )

        await eventually(online, "the replicas in sync", timeout=FAILOVER_S)
    finally:
        await client.aclose()


@pytest.mark.timeout(120)
async def test_no_answer_until_a_replica_holds_the_commit(
    private_redis: PrivateRedisFactory, hall_file: Callable[..., Path], hall_id: str
) -> None:
    master = private_redis()
    replica = private_redis(f"--replicaof {master.host} {master.port}")
    await in_sync(master, 1)
    config = hall_file(store={"url": master.url, "wait_replicas": 1})
    async with hall_with_client(config, hall_id) as (_running, c):
        assert (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]["no"] == "A001"
        assert replica.process is not None
        os.kill(replica.process.pid, signal.SIGSTOP)  # the replica stops acknowledging
        try:
            refused = await c.request(
                "kiosk-1", "ticket.take", {"service": "A"}, request_id="held", timeout=15
            )
            assert not refused["ok"] and refused["error"]["code"] == "unavailable", refused
        finally:
            os.kill(replica.process.pid, signal.SIGCONT)
        taken = await c.request(
            "kiosk-1", "ticket.take", {"service": "A"}, request_id="held", timeout=15
        )
        assert taken["ok"] and taken["result"]["ticket"]["no"] == "A002", taken
        again = await c.request("kiosk-1", "ticket.take", {"service": "A"}, request_id="held")
        assert again["result"]["ticket"]["no"] == "A002"  # the same answer, not a third ticket
        assert (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]["no"] == "A003"


async def take_until_stopped(
    c: ContractClient, kiosk: str, service: str, stop: asyncio.Event, acknowledged: dict[str, str]
) -> None:
    """Take tickets one after another, each retried by its id until answered ok (as a kiosk
    does on `unavailable` or no answer); record what was acknowledged to whom."""
    n = 0
    while not stop.is_set():
        n += 1
        request_id = f"{kiosk}-{n}"
        while True:
            try:
                response = await c.request(
                    kiosk, "ticket.take", {"service": service}, request_id=request_id, timeout=3
                )
            except TimeoutError:
                continue
            if response["ok"]:
                acknowledged[request_id] = response["result"]["ticket"]["no"]
                await asyncio.sleep(0.1)  # about ten a second each: under the day's 999
                break
            assert response["error"]["code"] == "unavailable", response
            await asyncio.sleep(0.1)


@pytest.mark.timeout(400)
async def test_sentinel_failovers_under_load_lose_no_acknowledged_ticket(
    private_redis: PrivateRedisFactory, hall_file: Callable[..., Path], hall_id: str
) -> None:
    master = private_redis()
    replicas = [private_redis(f"--replicaof {master.host} {master.port}") for _ in range(2)]
    await in_sync(master, 2)
    sentinel = start_sentinel(private_redis, master)
    ask = aredis.Redis(host=sentinel.host, port=sentinel.port, decode_responses=True)
    try:

        async def replicas_known() -> bool:
            known = await ask.execute_command("SENTINEL", "REPLICAS", SERVICE)
            return sum(r.get("flags") == "slave" for r in known) == 2

        await eventually(replicas_known, "the sentinel sees both replicas", timeout=FAILOVER_S)
        url = f"redis+sentinel://{sentinel.host}:{sentinel.port}/{SERVICE}/0"
        config = hall_file(store={"url": url, "wait_replicas": 2})
        async with hall_with_client(config, hall_id) as (_running, c):
            acknowledged: dict[str, str] = {}
            stop = asyncio.Event()
            kiosks = [
                asyncio.create_task(take_until_stopped(c, k, service, stop, acknowledged))
                for k, service in (("kiosk-1", "B"), ("kiosk-2", "C"))
            ]
            try:
                for _ in range(2):
                    await asyncio.sleep(1.0)
                    before = await master_port(ask)
                    await failover(ask)

                    async def switched(before: int = before) -> bool:
                        return await master_port(ask) != before

                    await eventually(switched, "a new master named", timeout=FAILOVER_S)

                    async def all_back() -> bool:
                        return await replicas_in_place(ask) == 2

                    await eventually(all_back, "both replicas following it", timeout=120)
                    await asyncio.sleep(1.0)  # tickets taken on the new master too
            finally:
                stop.set()
                await asyncio.wait_for(asyncio.gather(*kiosks), 60)
            numbers = list(acknowledged.values())
            assert len(numbers) > 10
            assert len(set(numbers)) == len(numbers), "a number acknowledged twice"
            new_master = aredis.Redis(
                host=master.host, port=await master_port(ask), decode_responses=True
            )
            try:
                stored = set(await new_master.hkeys(*await ticket_days(new_master, hall_id)))
            finally:
                await new_master.aclose()
            assert set(numbers) <= stored, sorted(set(numbers) - stored)
    finally:
        await ask.aclose()
        del replicas


async def master_port(ask: aredis.Redis) -> int:
    _host, port = await ask.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)
    return int(port)


async def replicas_in_place(ask: aredis.Redis) -> int:
    known = await ask.execute_command("SENTINEL", "REPLICAS", SERVICE)
    return sum(r.get("flags") == "slave" and r.get("master-link-status") == "ok" for r in known)


async def ticket_days(client: aredis.Redis, hall_id: str) -> list[str]:
    days = [k async for k in client.scan_iter(match=f"{{hall:{hall_id}}}:tickets:*")]
    assert len(days) == 1, days
    return days
