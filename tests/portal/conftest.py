"""The reference back office in-process, a hall configured to relay to it, and relays to run."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from hall.domain.config import PortalConfig
from hall.hub.runtime import Running
from portal_link.reference import BackOffice, make_app
from portal_link.relay import OutboxRelay, RelayTimings
from tests.integration.contract_client import ContractClient
from tests.integration.halls import hall_with_client
from tests.support import WAIT_S, eventually

SECRET = "whsec_" + base64.b64encode(b"hall portal link tests: 32 bytes").decode()
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=5)
STOP_S = 5.0

# Small delays, so that outages and retries play out in a test's time.
FAST = RelayTimings(
    request_timeout_s=0.5,
    backoff_base_s=0.02,
    backoff_cap_s=0.2,
    block_ms=100,
    stats_interval_s=0.1,
    reconnect_cap_s=0.5,
)


@dataclass
class OfficeServer:
    office: BackOffice
    url: str  # where it listens
    portal_url: str  # what the hall file names: a path prefix under it

    async def control(self, mode: str, retry_after: str | None = None) -> None:
        """Switch its behaviour through its control endpoint, as an outside test would."""
        body: dict[str, Any] = {"mode": mode}
        if retry_after is not None:
            body["retry_after"] = retry_after
        async with (
            aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as session,
            session.post(self.url + "/_control", json=body) as response,
        ):
            assert response.status == 200, await response.text()

    async def get(self, path: str) -> Any:
        async with (
            aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as session,
            session.get(self.url + path) as response,
        ):
            assert response.status == 200, await response.text()
            return await response.json()

    def stored(self) -> int:
        return self.office.stats.stored

    def requests_for(self, webhook_id: str) -> list[dict[str, Any]]:
        return [r for r in self.office.requests if r["webhook_id"] == webhook_id]

    def arrival(self) -> list[tuple[str, str]]:
        """(kind, ticket) of everything stored, in arrival order."""
        rows = [
            (row["seq"], kind, row["ticket"])
            for kind in ("case", "evaluation")
            for row in self.office.store.list(kind)
        ]
        return [(kind, ticket) for _seq, kind, ticket in sorted(rows)]


@pytest.fixture
async def back_office() -> AsyncIterator[OfficeServer]:
    office = BackOffice(SECRET)
    runner = web.AppRunner(make_app(office), access_log=None, shutdown_timeout=2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    url = f"http://{host}:{port}"
    try:
        yield OfficeServer(office, url, url + "/hall-api")
    finally:
        await runner.cleanup()


@pytest.fixture
def portal_config_path(hall_file: Callable[..., Path], back_office: OfficeServer) -> Path:
    """The demo hall, relaying to the in-process back office."""
    return hall_file(portal={"url": back_office.portal_url, "secret": SECRET})


@dataclass
class RelayRun:
    relay: OutboxRelay
    task: asyncio.Task[None]

    async def until(self, check: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
        await eventually(check, what, timeout, tasks=[self.task])


@contextlib.asynccontextmanager
async def relaying(
    running: Running,
    relay: OutboxRelay | None = None,
    *,
    timings: RelayTimings = FAST,
    consumer: str | None = None,
) -> AsyncIterator[RelayRun]:
    """Run a relay for the running hub (a new one with `timings` unless given); stop it after."""
    if relay is None:
        store = running.store
        portal = running.hub.config.portal
        assert isinstance(portal, PortalConfig)
        relay = OutboxRelay(
            store.outbox(),
            running.hub.config.hall.id,
            portal,
            timings=timings,
            consumer=consumer,
            epoch=lambda: store.epoch,
            documents=running.hub.documents,
        )
    task = asyncio.create_task(relay.run())
    try:
        yield RelayRun(relay, task)
    finally:
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=STOP_S)
        if not done:
            task.print_stack()
            pytest.fail(f"the relay did not stop within {STOP_S:g} s of being cancelled")
        with contextlib.suppress(asyncio.CancelledError):
            task.result()


@contextlib.asynccontextmanager
async def relayed_hall(
    config_path: Path,
    hall_id: str,
    *,
    staff: str | None = "S001",
    timings: RelayTimings = FAST,
    consumer: str | None = None,
) -> AsyncIterator[tuple[Running, ContractClient, RelayRun]]:
    """A hub on `config_path` with an outside client and a relay running; window 1 is open
    (pad-1 signed in by `staff`) unless `staff` is None."""
    async with (
        hall_with_client(config_path, hall_id) as (running, client),
        relaying(running, timings=timings, consumer=consumer) as run,
    ):
        if staff is not None:
            await client.ok("pad-1", "window.open", {"staff": staff})
        yield running, client, run
