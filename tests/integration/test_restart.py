"""A hub that stops and starts again on the same configuration and Redis carries on."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import pytest

from tests.support import hall_run

from .conftest import running_hub
from .contract_client import ContractClient

pytestmark = pytest.mark.usefixtures("redis_client")

RESTART_TIMEOUT_S = 15.0


def is_online(data: object) -> bool:
    return isinstance(data, dict) and data.get("state") == "online"


def is_offline(data: object) -> bool:
    return isinstance(data, dict) and data.get("state") == "offline"


async def test_a_restarted_hub_carries_on_where_it_stopped(
    hall_config_path: Path, hall_id: str, mqtt_host_port: tuple[str, int]
) -> None:
    host, port = mqtt_host_port
    async with ContractClient(host, port, hall_id, f"test-{hall_id}-{os.getpid()}") as c:
        hub_status = c.topic("hub/status")
        async with running_hub(hall_config_path):
            epoch = (await c.wait_latest(hub_status, is_online))["epoch"]
            await c.ok("pad-1", "window.open", {"staff": "S001"})
            await c.ok("pad-2", "window.open", {"staff": "S002"})
            # A002 is served and rated at window 2 before the restart.
            for _ in range(3):
                await c.ok("kiosk-1", "ticket.take", {"service": "A"})
            taken = await c.request("kiosk-2", "ticket.take", {"service": "A"}, request_id="t-4")
            assert taken["result"]["ticket"]["no"] == "A004"
            assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A001"
            assert (await c.ok("pad-1", "call.recall"))["ticket"]["recalls"] == 1
            assert (await c.ok("pad-2", "call.next"))["ticket"]["no"] == "A002"
            await c.ok("pad-2", "ticket.finish")
            await c.ok("pad-2", "eval.submit", {"ticket": "A002", "level": 5})

        # While no hub runs, a kiosk asks for a ticket (QoS 1): the broker keeps it for the hub.
        res = c.topic("res", "kiosk-1")
        mark = c.count(res)
        request = {"id": "while-down", "op": "ticket.take", "args": {"service": "A"}}
        await c.send_raw("kiosk-1", json.dumps(request))

        async with running_hub(hall_config_path):
            answer = await c.response_to("kiosk-1", "while-down", mark, RESTART_TIMEOUT_S)
            assert answer["ok"], answer
            # Numbering goes on from where it was.
            assert answer["result"]["ticket"]["no"] == "A005"
            status = await c.wait_latest(
                hub_status, lambda d: is_online(d) and d["epoch"] > epoch, RESTART_TIMEOUT_S
            )
            assert isinstance(status["epoch"], int)

            # The called ticket is still in hand at window 1, recalls and all.
            await c.wait_latest(c.topic("state", "led-1"), lambda d: d["ticket"] == "A001")
            a001 = (await c.ok("kiosk-1", "ticket.status", {"no": "A001"}))["ticket"]
            assert a001["state"] == "called" and a001["window"] == "1" and a001["recalls"] == 1
            # The waiting ones keep their places.
            a003 = (await c.ok("kiosk-1", "ticket.status", {"no": "A003"}))["ticket"]
            assert a003["state"] == "waiting" and a003["ahead"] == 0
            a004 = (await c.ok("kiosk-1", "ticket.status", {"no": "A004"}))["ticket"]
            assert a004["state"] == "waiting" and a004["ahead"] == 1
            assert (await c.ok("kiosk-2", "ticket.take", {"service": "A"}))["ticket"]["no"] == (
                "A006"
            )
            # A request repeated after the restart is still known, and not carried out again.
            again = await c.request("kiosk-2", "ticket.take", {"service": "A"}, request_id="t-4")
            assert again == taken
            # The rating given before the restart still counts.
            assert await c.error("pad-2", "eval.submit", {"ticket": "A002", "level": 1}) == (
                "invalid_state"
            )
            assert (await c.ok("pad-1", "call.recall"))["ticket"]["recalls"] == 2
            assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A003"
            assert (await c.ok("kiosk-1", "ticket.status", {"no": "A001"}))["ticket"][
                "state"
            ] == "done"


async def test_a_hub_process_killed_and_started_again(
    hall_config_path: Path, hall_id: str, mqtt_host_port: tuple[str, int], tmp_path: Path
) -> None:
    """A power cut: the broker tells everyone the hub is offline (its will); the next hub
    process takes over with everything committed, and a stopped one says goodbye."""
    host, port = mqtt_host_port
    log = tmp_path / "hall.log"
    async with ContractClient(host, port, hall_id, f"test-{hall_id}-{os.getpid()}") as c:
        hub_status = c.topic("hub/status")
        async with hall_run(hall_config_path, log) as first:
            epoch = (await c.wait_latest(hub_status, is_online, RESTART_TIMEOUT_S))["epoch"]
            await c.ok("pad-1", "window.open", {"staff": "S001"})
            for _ in range(3):
                await c.ok("kiosk-1", "ticket.take", {"service": "A"})
            assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A001"
            first.send_signal(signal.SIGKILL)
            await asyncio.wait_for(first.wait(), RESTART_TIMEOUT_S)
            await c.wait_latest(hub_status, is_offline, RESTART_TIMEOUT_S)

        async with hall_run(hall_config_path, log) as second:
            status = await c.wait_latest(
                hub_status, lambda d: is_online(d) and d["epoch"] > epoch, RESTART_TIMEOUT_S
            )
            assert isinstance(status["epoch"], int)
            a001 = (await c.ok("kiosk-1", "ticket.status", {"no": "A001"}))["ticket"]
            assert a001["state"] == "called" and a001["window"] == "1"
            a002 = (await c.ok("kiosk-1", "ticket.status", {"no": "A002"}))["ticket"]
            assert a002["state"] == "waiting" and a002["ahead"] == 0
            assert (await c.ok("kiosk-2", "ticket.take", {"service": "A"}))["ticket"]["no"] == (
                "A004"
            )
            # Stopped in good order, the hub says it is offline.
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), RESTART_TIMEOUT_S) == 0, log.read_text()
            await c.wait_latest(hub_status, is_offline, RESTART_TIMEOUT_S)
