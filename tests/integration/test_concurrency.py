"""Many devices at once: no ticket called twice, no number given twice, no gaps."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from hall.hub.runtime import Running
from tests.support import write_hall_config

from .contract_client import ContractClient
from .halls import hall_with_client

pytestmark = pytest.mark.usefixtures("redis_client")

PADS = ("pad-1", "pad-2", "pad-3", "pad-4")
TIMEOUT_S = 20.0


def numbers(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{n:03d}" for n in range(1, count + 1)]


async def test_four_windows_calling_at_once_never_share_a_ticket(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str
) -> None:
    windows = [{"id": str(n), "services": ["A"]} for n in range(1, 5)]
    config = write_hall_config(tmp_path, hall_id, mqtt_url, redis_url, windows=windows)
    async with hall_with_client(config, hall_id) as (_running, c):
        for pad in PADS:
            await c.ok(pad, "window.open", {"staff": f"S-{pad}"})
        taken = [
            (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]["no"]
            for _ in range(40)
        ]
        assert taken == numbers("A", 40)

        in_hand: dict[str, str] = {}  # ticket -> window, while a window holds it
        overlaps: list[tuple[str, str, str]] = []
        calls: list[tuple[str, str]] = []

        async def serve_all(pad: str, window: str) -> None:
            while True:
                ticket: dict[str, Any] | None = (await c.ok(pad, "call.next", timeout=TIMEOUT_S))[
                    "ticket"
                ]
                if ticket is None:
                    return
                no = ticket["no"]
                assert ticket["window"] == window and ticket["state"] == "called", ticket
                if no in in_hand:
                    overlaps.append((no, in_hand[no], window))
                in_hand[no] = window
                calls.append((no, window))
                finished = (await c.ok(pad, "ticket.finish", timeout=TIMEOUT_S))["ticket"]
                assert finished["no"] == no and finished["state"] == "done", finished
                del in_hand[no]

        await asyncio.wait_for(
            asyncio.gather(*(serve_all(pad, str(n)) for n, pad in enumerate(PADS, 1))),
            TIMEOUT_S * 3,
        )
        assert overlaps == []
        called = [no for no, _window in calls]
        assert sorted(called) == numbers("A", 40)  # every ticket called exactly once
        assert len({window for _no, window in calls}) > 1  # the windows did share the work

        # The events tell the same story: 40 calls, each ticket once.
        events = c.topic("events")

        def of_type(kind: str) -> list[str]:
            return [e["ticket"]["no"] for e in c.messages[events] if e["type"] == kind]

        await c.wait_latest(events, lambda _: len(of_type("ticket.finished")) >= 40, TIMEOUT_S)
        event_calls = of_type("ticket.called")
        assert sorted(event_calls) == numbers("A", 40)
        assert sorted(of_type("ticket.finished")) == numbers("A", 40)
        for no in ("A001", "A040"):
            status = (await c.ok("kiosk-1", "ticket.status", {"no": no}))["ticket"]
            assert status["state"] == "done"


async def test_two_kiosks_taking_at_once_get_unique_gap_free_numbers(
    hub: Running, client: ContractClient
) -> None:
    c = client

    async def take(kiosk: str) -> str:
        response = await c.ok(kiosk, "ticket.take", {"service": "A"}, timeout=TIMEOUT_S)
        return str(response["ticket"]["no"])

    got = await asyncio.wait_for(
        asyncio.gather(*(take(kiosk) for _ in range(100) for kiosk in ("kiosk-1", "kiosk-2"))),
        TIMEOUT_S * 2,
    )
    assert len(got) == 200
    assert sorted(got) == numbers("A", 200)
    assert (await c.ok("kiosk-2", "ticket.take", {"service": "A"}))["ticket"]["no"] == "A201"
    last = (await c.ok("kiosk-1", "ticket.status", {"no": "A200"}))["ticket"]
    assert last["state"] == "waiting" and last["ahead"] == 199
