"""The hub makes its wait forecasts off the request path (`hall/hub/forecasts.py`): a queue
that grows past what the forecast in use may lag behind gets a new one made between the
requests, counted in /metrics, and the tickets' estimates, read at one moment, stay in the
queue's order."""

from __future__ import annotations

import asyncio

import pytest

from hall.hub.runtime import Running

from .contract_client import ContractClient
from .test_hub_robustness import http_get, metric_total

pytestmark = pytest.mark.usefixtures("redis_client")
MADE_WITHIN_S = 20.0


async def forecasts_made(hub: Running) -> float:
    status, text = await http_get(hub.http_url + "/metrics")
    assert status == 200, text
    return metric_total(text, "hall_forecasts_total")


async def test_forecasts_are_made_between_requests(hub: Running, client: ContractClient) -> None:
    c = client
    await c.ok("pad-1", "window.open", {"staff": "S001"})
    first = (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]
    assert first["eta_s"] is not None  # the first forecast, made at once
    before = await forecasts_made(hub)
    taken = [first] + [
        (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"] for _ in range(20)
    ]
    # Each answer was the best estimate at its moment; a forecast made between two answers
    # may correct every wait at once (here: the pace of a window shared by A and B, once it
    # is seen to serve A alone), so the answers are compared below at one moment.
    etas = [t["eta_s"] for t in taken]
    assert all(eta is not None for eta in etas), etas

    deadline = asyncio.get_running_loop().time() + MADE_WITHIN_S
    while await forecasts_made(hub) <= before:
        assert asyncio.get_running_loop().time() < deadline, "no forecast made off the requests"
        await asyncio.sleep(0.1)

    # The new forecast keeps the queue's order, and the next ticket goes after the rest.
    now_etas = [
        (await c.ok("kiosk-1", "ticket.status", {"no": t["no"]}))["ticket"]["eta_s"] for t in taken
    ]
    assert now_etas == sorted(now_etas), now_etas
    last = (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]
    assert last["eta_s"] >= now_etas[-1]
