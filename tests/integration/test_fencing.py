"""Fencing: once a newer hub claims the hall, the older one can no longer write and stops."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hall.contract.config import load_config
from hall.contract.errors import Fenced
from hall.hub.engine import HallEngine
from hall.store.hall_store import HallStore

from .conftest import hall_services_with_web
from .contract_client import ContractClient


async def test_an_older_hub_is_fenced_and_stops(hall_config_path: Path, hall_id: str) -> None:
    config = load_config(hall_config_path)
    async with hall_services_with_web(config) as old:
        old_run = asyncio.create_task(old.hub.run())
        await asyncio.wait_for(old.hub.ready.wait(), 10)
        endpoint = old.endpoint
        async with ContractClient(endpoint.host, endpoint.port, hall_id, f"fence-{hall_id}") as c:
            assert (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"][
                "no"
            ] == "A001"

            # A newer hub (here: its engine alone) claims the hall.
            assert config.store.url is not None
            newer = HallEngine(config, HallStore.connect(config.store.url, hall_id))
            new_epoch = await newer.start()
            assert new_epoch == old.store.epoch + 1

            # The old hub's next write is refused by the store, and the old hub stops.
            await c.send_raw(
                "kiosk-1", '{"id":"after-fence","op":"ticket.take","args":{"service":"A"}}'
            )
            with pytest.raises(BaseExceptionGroup) as stopped:
                await asyncio.wait_for(old_run, 10)
            assert stopped.value.subgroup(Fenced) is not None
            # Nothing was written by the fenced hub: the newer one continues the series.
            assert "A002" not in (await newer.store.load(newer.state.day)).tickets
            await newer.store.close()
