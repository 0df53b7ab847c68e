"""What the wait estimate learned survives a restart: a hub that stopped and started again
on the same Redis still knows how long its clerks' lunches last, and estimates a wait behind
a window paused for lunch from that, not from the usual ten minutes of a hub that knows
nothing (shown by the same restart with the stored learning deleted)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hall.domain.occupancy import USUAL_PAUSE_S

from .conftest import running_hub
from .halls import online_client

ONE_WINDOW = {"windows": [{"id": "1", "services": ["A"]}]}
LUNCH = "午餐 lunch"


async def test_a_restarted_hub_estimates_from_what_it_learned_before(
    hall_file: Callable[..., Path], hall_id: str, redis_client: Any
) -> None:
    path = hall_file(**ONE_WINDOW)
    learned_key = f"{{hall:{hall_id}}}:learned"

    # The first hub: window 1's clerk takes a (very short) lunch.
    async with running_hub(path) as first, online_client(first, hall_id) as c:
        await c.ok("pad-1", "window.open", {"staff": "S001"})
        await c.ok("pad-1", "window.pause", {"reason": LUNCH})
        await c.ok("pad-1", "window.resume")
    stored = json.loads(await redis_client.get(learned_key))
    assert stored["pauses_today"][LUNCH][1] == 1, stored

    # The hub starts again; the clerk goes to lunch; a citizen takes a ticket for A.
    async with running_hub(path) as second, online_client(second, hall_id, "2") as c:
        await c.ok("pad-1", "window.pause", {"reason": LUNCH})
        taken = (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]
    # Lunches here are short, as learned before the restart: well under the usual pause.
    assert taken["eta_s"] is not None and taken["eta_s"] < 0.75 * USUAL_PAUSE_S, taken

    # The same restart with the stored learning gone: the usual pause length again.
    await redis_client.delete(learned_key)
    async with running_hub(path) as third, online_client(third, hall_id, "3") as c:
        again = (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]
    assert again["eta_s"] is not None and again["eta_s"] > 0.9 * USUAL_PAUSE_S, again


@pytest.mark.parametrize("broken", [b"not json", b'{"version": 99}'])
async def test_a_broken_snapshot_is_ignored_and_replaced(
    hall_file: Callable[..., Path], hall_id: str, redis_client: Any, broken: bytes
) -> None:
    learned_key = f"{{hall:{hall_id}}}:learned"
    await redis_client.set(learned_key, broken)
    async with running_hub(hall_file(**ONE_WINDOW)) as hub, online_client(hub, hall_id) as c:
        taken = (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]
        assert taken["eta_s"] is None and taken["eta_reason"] == "no_window_open", taken
    stored = json.loads(await redis_client.get(learned_key))
    assert stored["version"] == 1 and stored["pauses_today"] == {}, stored
