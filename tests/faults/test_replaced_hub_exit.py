"""A hub whose hall another hub claimed stops with exit code 3 and says why in one line (not
"unhandled errors in a TaskGroup"), as IT staff read it in the journal."""

from __future__ import annotations

import asyncio

from hall.contract.config import load_config
from hall.hub.engine import HallEngine
from hall.store.hall_store import HallStore
from tests.support import hall_run

from .conftest import FaultHall
from .load import Ledger, kiosks, load


async def test_a_replaced_hub_exits_3_saying_why(fault_hall: FaultHall) -> None:
    hall = fault_hall
    ledger = Ledger()
    async with hall_run(hall.config, hall.log) as process, kiosks(hall.endpoint, hall.hall_id) as k:
        work = asyncio.create_task(load(k, 30, ledger, "hub"))
        try:
            await ledger.until(5)  # the hub serves
            newer = HallEngine(
                load_config(hall.config), HallStore.connect(hall.redis.url, hall.hall_id)
            )
            await newer.start()  # a newer hub claims the hall
            await newer.store.close()
            assert await asyncio.wait_for(process.wait(), 30) == 3
        finally:
            work.cancel()
    lines = [line for line in hall.log_tail(200).splitlines() if line.startswith("hall: ")]
    assert lines, hall.log_tail()
    assert "stopped" in lines[-1] and "TaskGroup" not in lines[-1], lines[-1]
    assert "hub" in lines[-1] and str(hall.hall_id) in lines[-1], lines[-1]
