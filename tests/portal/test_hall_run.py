"""`hall run` with [portal]: the relay runs beside the hub, and a hub killed (SIGKILL) between
sending a case and hearing the answer sends it again, with the same webhook-id, when it is
started again; the back office stores it once."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import redis.asyncio as aredis

from tests.integration.contract_client import ContractClient
from tests.integration.halls import served
from tests.support import eventually, hall_run

from .conftest import OfficeServer

pytestmark = pytest.mark.usefixtures("redis_client")

STOP_TIMEOUT_S = 15.0


def online(epoch: int) -> Callable[[object], bool]:
    def check(data: object) -> bool:
        return isinstance(data, dict) and data.get("state") == "online" and data["epoch"] > epoch

    return check


async def test_a_killed_hub_sends_the_case_again_and_it_is_stored_once(
    portal_config_path: Path,
    hall_id: str,
    back_office: OfficeServer,
    mqtt_host_port: tuple[str, int],
    redis_client: aredis.Redis,
    tmp_path: Path,
) -> None:
    office = back_office
    await office.control("hold")  # stores the case, then is slow to answer
    host, port = mqtt_host_port
    log = tmp_path / "hall-run.log"
    async with ContractClient(host, port, hall_id, f"test-{hall_id}-{os.getpid()}") as c:
        status = c.topic("hub/status")
        async with hall_run(portal_config_path, log) as first:
            epoch = (await c.wait_latest(status, online(0), timeout=15))["epoch"]
            await c.ok("pad-1", "window.open", {"staff": "S001"})
            no = await served(c, "kiosk-1", "pad-1")
            await eventually(lambda: office.office.stats.held == 1, "the case sent, answer held")
            first.kill()  # a power cut, between sending and hearing back
            await asyncio.wait_for(first.wait(), STOP_TIMEOUT_S)
        await office.control("ok")

        async with hall_run(portal_config_path, log) as second:
            await c.wait_latest(status, online(epoch), timeout=15)
            await eventually(
                lambda: office.office.stats.duplicates == 1, "the case sent again after restart"
            )
            outbox = f"{{hall:{hall_id}}}:outbox"

            async def drained() -> bool:
                return int(await redis_client.xlen(outbox)) == 0

            await eventually(drained, "the outbox drained")
            assert second.returncode is None
    (sent,) = {r["webhook_id"] for r in office.office.requests}
    assert [r["outcome"] for r in office.requests_for(sent)] == ["stored, held", "duplicate"]
    assert office.arrival() == [("case", no)]
    assert "relaying cases and ratings to the back office" in log.read_text()
