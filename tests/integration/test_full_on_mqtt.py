"""A service full for today is said so on the broker's retained guidance the moment its last
ticket is taken, before any kiosk is refused: an MQTT kiosk of any vendor can grey it out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hall.hub.runtime import Running

from .contract_client import ContractClient
from .halls import outside_client

pytestmark = pytest.mark.usefixtures("redis_client")


@pytest.fixture
def hall_config_path(hall_file: Callable[..., Path]) -> Path:
    return hall_file(
        services=[
            {"code": "A", "name": "社保医保"},
            {"code": "B", "name": "不动产登记", "daily_cap": 2},
            {"code": "C", "name": "企业开办"},
        ]
    )


def full_of(guidance: Any) -> dict[str, bool]:
    return {s["code"]: s["full"] for s in guidance["services"]}


async def test_guidance_says_a_service_is_full_once_its_cap_is_issued(
    hub: Running, client: ContractClient
) -> None:
    c = client
    await c.ok("kiosk-1", "ticket.take", {"service": "B"})
    guidance = await c.wait_latest(c.topic("services"), lambda d: d["services"][1]["issued"] == 1)
    assert full_of(guidance) == {"A": False, "B": False, "C": False}

    await c.ok("kiosk-2", "ticket.take", {"service": "B"})
    guidance = await c.wait_latest(c.topic("services"), lambda d: full_of(d)["B"])
    assert full_of(guidance) == {"A": False, "B": True, "C": False}
    by_code = {s["code"]: s for s in guidance["services"]}
    assert by_code["B"]["issued"] == 2 and by_code["B"]["daily_cap"] == 2
    assert by_code["B"]["accepting"] is True  # not closed: full, which says why

    # A kiosk that joins now learns it from the retained message alone.
    async with outside_client(hub, c.hall, "late") as late:
        retained = await late.wait_latest(late.topic("services"), lambda d: True)
        assert late.topic("services") in late.retained
        assert full_of(retained)["B"] is True
    refused = await c.request("kiosk-1", "ticket.take", {"service": "B"})
    assert refused["ok"] is False and refused["error"]["code"] == "daily_cap_reached"
