"""Halls of a test's own configuration, and the outside clients that talk to them."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from hall.runtime import Running

from .conftest import running_hub
from .contract_client import ContractClient


def outside_client(running: Running, hall_id: str, name: str = "") -> ContractClient:
    """A new outside client of this hall (not yet connected); `name` keeps client ids apart."""
    endpoint = running.endpoint
    client_id = f"test-{hall_id}-{os.getpid()}{'-' + name if name else ''}"
    return ContractClient(endpoint.host, endpoint.port, hall_id, client_id)


@contextlib.asynccontextmanager
async def hall_with_client(
    config_path: Path, hall_id: str
) -> AsyncIterator[tuple[Running, ContractClient]]:
    """A hub on `config_path` and an outside client connected to its broker."""
    async with running_hub(config_path) as running, outside_client(running, hall_id) as client:
        await client.wait_latest(
            client.topic("hub/status"), lambda d: isinstance(d, dict) and d.get("state") == "online"
        )
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
