"""A running hub per test, on the real broker and Redis, with its own hall id."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hall.config import load_config
from hall.runtime import Running, hall_services

from .contract_client import ContractClient


@contextlib.asynccontextmanager
async def running_hub(config_path: Path) -> AsyncIterator[Running]:
    config = load_config(config_path)
    async with hall_services(config) as running:
        task = asyncio.create_task(running.hub.run())
        try:
            await asyncio.wait_for(running.hub.ready.wait(), 10)
            yield running
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


@pytest.fixture
async def hub(hall_config_path: Path) -> AsyncIterator[Running]:
    async with running_hub(hall_config_path) as running:
        yield running


@pytest.fixture
async def client(hub: Running, hall_id: str) -> AsyncIterator[ContractClient]:
    endpoint = hub.endpoint
    async with ContractClient(
        endpoint.host, endpoint.port, hall_id, f"test-{hall_id}-{os.getpid()}"
    ) as outside:
        yield outside
