"""kill -9 of the hub, of Redis and of the broker while kiosks take tickets: every request is
acknowledged once (the kiosks retry by request id), no number is given twice or skipped, and
every acknowledged ticket is in the store afterwards."""

from __future__ import annotations

import asyncio
import signal

import pytest

from tests.support import hall_run

from .conftest import FaultHall
from .load import Ledger, assert_nothing_lost, kiosks, load

PER_KIOSK = 30  # tickets each of the three kiosks takes
KILL_AFTER = 20  # acknowledged tickets before the kill: the load is well under way
DOWN_S = 1.0  # how long the killed server stays down
FINISH_S = 90.0  # the whole load, faults included


async def test_kill_9_of_the_hub_under_load(fault_hall: FaultHall) -> None:
    hall = fault_hall
    ledger = Ledger()
    async with hall_run(hall.config, hall.log) as first, kiosks(hall.endpoint, hall.hall_id) as k:
        work = asyncio.create_task(load(k, PER_KIOSK, ledger, "hub"))
        try:
            await ledger.until(KILL_AFTER)
            first.send_signal(signal.SIGKILL)
            await asyncio.wait_for(first.wait(), 10)
            acknowledged_before = len(ledger.acknowledged)
            async with hall_run(hall.config, hall.log):
                await asyncio.wait_for(asyncio.shield(work), FINISH_S)
        finally:
            work.cancel()
    assert acknowledged_before < 3 * PER_KIOSK, "the kill came after the load"
    await assert_nothing_lost(ledger, hall.redis.url, hall.hall_id, 3 * PER_KIOSK)


@pytest.mark.parametrize(
    ("server", "label", "log_is_clean"),
    [
        # Redis with `appendfsync always` killed and started again: the hub holds requests
        # through the gap (or answers `unavailable`), and nothing it acknowledged is lost.
        pytest.param("redis", "redis", True, id="redis"),
        # The broker killed and started again: hub and kiosks reconnect, the kiosks send again
        # what was not answered, and every request is carried out once.
        pytest.param("mosquitto", "broker", False, id="broker"),
    ],
)
async def test_kill_9_of_a_server_under_load(
    fault_hall: FaultHall, server: str, label: str, log_is_clean: bool
) -> None:
    hall = fault_hall
    killed = getattr(hall, server)
    ledger = Ledger()
    async with hall_run(hall.config, hall.log), kiosks(hall.endpoint, hall.hall_id) as k:
        work = asyncio.create_task(load(k, PER_KIOSK, ledger, label))
        try:
            await ledger.until(KILL_AFTER)
            killed.kill()
            acknowledged_before = len(ledger.acknowledged)
            await asyncio.sleep(DOWN_S)
            killed.start()
            await asyncio.wait_for(asyncio.shield(work), FINISH_S)
        finally:
            work.cancel()
    assert acknowledged_before < 3 * PER_KIOSK, "the kill came after the load"
    await assert_nothing_lost(ledger, hall.redis.url, hall.hall_id, 3 * PER_KIOSK)
    if log_is_clean:
        assert "Traceback" not in hall.log.read_text(errors="replace"), hall.log_tail()
