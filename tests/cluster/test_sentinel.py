"""The store behind Redis Sentinel: a master, its replica and one sentinel of this test's own;
the sentinel fails the master over (`SENTINEL FAILOVER`) and the hub carries on with the new
master, the device retrying its request by the same id, nothing acknowledged lost."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aredis
from redis.exceptions import ResponseError

from tests.conftest import PrivateRedis, PrivateRedisFactory, ServerProcess
from tests.integration.contract_client import ContractClient
from tests.integration.halls import hall_with_client
from tests.support import eventually, free_port

SERVICE = "hallmaster"
RETRY_S = 0.1
# A manual failover ends (the sentinels name the new master) about 10 s after it starts; the
# old master refuses writes meanwhile, and the new one until the old one is its replica.
FAILOVER_S = 40.0
# Writes come back once the sentinels have made the old master the new one's replica: about
# 15 s after the promotion here, and much later on a busy machine (the sentinels check their
# servers' roles only every few seconds). The device retries for as long as a kiosk would.
WRITES_BACK_S = 150.0


def start_sentinel(factory: PrivateRedisFactory, master: PrivateRedis) -> ServerProcess:
    """One sentinel watching `master` (quorum 1), killed with the test's other servers."""
    port = free_port()
    data_dir = factory.data_dir(port)
    conf = data_dir / "sentinel.conf"  # the sentinel rewrites its file: its own, writable
    conf.write_text(
        "\n".join(
            [
                f"port {port}",
                "bind 127.0.0.1",
                "daemonize no",
                f"dir {data_dir}",
                f"sentinel monitor {SERVICE} {master.host} {master.port} 1",
                f"sentinel down-after-milliseconds {SERVICE} 1000",
                f"sentinel failover-timeout {SERVICE} 5000",
                f"sentinel parallel-syncs {SERVICE} 1",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    argv = [factory.binary, str(conf), "--sentinel"]
    return factory.started(ServerProcess("sentinel", argv, port, data_dir))


async def retried_until_ok(
    c: ContractClient, device: str, op: str, args: dict[str, Any], request_id: str
) -> tuple[dict[str, Any], int]:
    """Send the request until it is answered ok, always with the same id, as a device does
    when the hub answers `unavailable` (the retryable code) or does not answer: the answer
    and how many tries."""
    tries = 0
    async with asyncio.timeout(WRITES_BACK_S):
        while True:
            tries += 1
            try:
                response = await c.request(device, op, args, request_id=request_id, timeout=2)
            except TimeoutError:
                continue
            if response["ok"]:
                return response["result"], tries
            assert response["error"]["code"] == "unavailable", response
            await asyncio.sleep(RETRY_S)


@pytest.mark.timeout(400)  # each step's own bound above, added up
async def test_the_hub_follows_a_failover_and_loses_nothing(
    private_redis: PrivateRedisFactory, hall_file: Callable[..., Path], hall_id: str
) -> None:
    # As docs/deployment.md says: with `wait_replicas` the hub answers only once the replica
    # holds the commit (Redis replicates after it answers), and a master that has lost its
    # replica refuses writes; so what a device was told is kept whichever server is promoted.
    safe = "--min-replicas-to-write 1 --min-replicas-max-lag 10"
    master = private_redis(safe)
    replica = private_redis(safe, f"--replicaof {master.host} {master.port}")
    sentinel = start_sentinel(private_redis, master)
    ask = aredis.Redis(host=sentinel.host, port=sentinel.port, decode_responses=True)
    to_master = aredis.Redis.from_url(master.url)
    try:

        async def replica_known() -> bool:
            replicas = await ask.execute_command("SENTINEL", "REPLICAS", SERVICE)
            return any(
                str(r.get("port")) == str(replica.port) and r.get("flags") == "slave"
                for r in replicas
            )

        async def replica_online() -> bool:
            info = await to_master.info("replication")
            return "online" in str(info.get("slave0", ""))

        await eventually(replica_online, "the replica in sync", timeout=FAILOVER_S)
        await eventually(replica_known, "the sentinel sees the replica", timeout=FAILOVER_S)
        url = f"redis+sentinel://{sentinel.host}:{sentinel.port}/{SERVICE}/0"
        config = hall_file(store={"url": url, "wait_replicas": 1})
        async with hall_with_client(config, hall_id) as (_running, c):
            await c.ok("pad-1", "window.open", {"staff": "S001"})
            first = (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]
            assert first["no"] == "A001"
            # Acknowledged, so already on the replica (no waiting here): a failover must keep it.
            assert await stored_tickets(replica, hall_id) == ["A001"]

            await failover(ask)

            async def promoted() -> bool:
                _host, port = await ask.execute_command(
                    "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE
                )
                return int(port) == replica.port

            await eventually(promoted, "the replica promoted", timeout=FAILOVER_S)
            taken, tries = await retried_until_ok(
                c, "kiosk-1", "ticket.take", {"service": "A"}, "after-failover"
            )
            assert taken["ticket"]["no"] == "A002", tries
            # The same id again is the same answer: carried out once, on the new master.
            again = await c.request(
                "kiosk-1", "ticket.take", {"service": "A"}, request_id="after-failover"
            )
            assert again["ok"] and again["result"]["ticket"]["no"] == "A002"
            assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A001"
            assert await stored_tickets(replica, hall_id) == ["A001", "A002"]
    finally:
        await ask.aclose()
        await to_master.aclose()


async def stored_tickets(server: PrivateRedis, hall_id: str) -> list[str]:
    """The ticket numbers of the hall's one day that `server` itself holds, sorted."""
    client = aredis.Redis.from_url(server.url, decode_responses=True)
    try:
        day_keys = [k async for k in client.scan_iter(match=f"{{hall:{hall_id}}}:tickets:*")]
        assert len(day_keys) == 1, day_keys
        return sorted(await client.hkeys(day_keys[0]))
    finally:
        await client.aclose()


async def failover(ask: aredis.Redis) -> None:
    """`SENTINEL FAILOVER`, asked again while the sentinel is not ready for it yet."""

    async def asked() -> bool:
        try:
            await ask.execute_command("SENTINEL", "FAILOVER", SERVICE)
        except ResponseError as exc:  # e.g. NOGOODSLAVE while the replica still syncs
            if "INPROG" in str(exc):
                return True
            return False
        return True

    await eventually(asked, "the sentinel starts a failover", timeout=FAILOVER_S)
