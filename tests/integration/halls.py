"""Hubs on a test's own hall file, and the outside clients that talk to them."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from hall.contract.config import load_config
from hall.domain.config import HallConfig
from hall.hub.runtime import Running, hall_services
from hall.web.app import make_app
from tests.support import background

from .contract_client import ContractClient


def hall_services_with_web(config: HallConfig) -> contextlib.AbstractAsyncContextManager[Running]:
    """The hall's services as `hall run` starts them: with the pages, API and live sockets."""
    return hall_services(config, make_app)


@contextlib.asynccontextmanager
async def running_hub(config_path: Path) -> AsyncIterator[Running]:
    """The hall of `config_path` with its hub running and ready; stopped at the end."""
    config = load_config(config_path)
    async with (
        hall_services_with_web(config) as running,
        background(running.hub.run(), running.hub.ready, quiet=(Exception,)),
    ):
        yield running


def is_online(status: object) -> bool:
    """The hub's retained status says it is online."""
    return isinstance(status, dict) and status.get("state") == "online"


def outside_client(running: Running, hall_id: str, name: str = "") -> ContractClient:
    """A new outside client of this hall (not yet connected); `name` keeps client ids apart."""
    endpoint = running.endpoint
    client_id = f"test-{hall_id}-{os.getpid()}{'-' + name if name else ''}"
    return ContractClient(endpoint.host, endpoint.port, hall_id, client_id)


@contextlib.asynccontextmanager
async def online_client(
    running: Running, hall_id: str, name: str = ""
) -> AsyncIterator[ContractClient]:
    """An outside client connected to the hub's broker that has seen the hub online."""
    async with outside_client(running, hall_id, name) as client:
        await client.wait_latest(client.topic("hub/status"), is_online)
        yield client


@contextlib.asynccontextmanager
async def hall_with_client(
    config_path: Path, hall_id: str
) -> AsyncIterator[tuple[Running, ContractClient]]:
    """A hub on `config_path` and an outside client connected to its broker."""
    async with running_hub(config_path) as running, online_client(running, hall_id) as client:
        yield running, client


async def served(client: ContractClient, kiosk: str, pad: str, service: str = "A") -> str:
    """Take a ticket at `kiosk`, call and serve it to the end at `pad`'s window: its number.

    The window must be open and nobody else may wait for what it calls first.
    """
    taken = (await client.ok(kiosk, "ticket.take", {"service": service}))["ticket"]
    called = (await client.ok(pad, "call.next"))["ticket"]
    assert called["no"] == taken["no"], (called, taken)
    assert (await client.ok(pad, "ticket.start"))["ticket"]["state"] == "serving"
    assert (await client.ok(pad, "ticket.finish"))["ticket"]["state"] == "done"
    return str(taken["no"])
