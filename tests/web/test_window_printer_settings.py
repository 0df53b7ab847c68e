"""A window pad with its own printer stays at its window: moving it live from the dashboard
is refused with a message naming the printer (the hall file moves both), so a citizen's
copies never print at another window's printer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from hall.hub.runtime import Running

from .conftest import demo_devices, sign_in
from .test_hall_settings import changed, post, settings


@pytest.fixture
def hall_config_path(hall_file: Callable[..., Path], password_hash: str) -> Path:
    devices = demo_devices()
    for device in devices:
        if device["id"] in ("pad-1", "pad-2"):
            device["printer"] = "pw-" + device["id"][-1]
    devices += [{"id": "pw-1", "kind": "printer"}, {"id": "pw-2", "kind": "printer"}]
    return hall_file(
        users=[{"name": "admin", "password_hash": password_hash, "role": "manager"}],
        devices=devices,
    )


async def test_a_pad_with_its_own_printer_is_not_moved_to_another_window(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    await sign_in(http, web_hub)
    status, body = await post(
        http, web_hub, {"action": "device_window", "device": "pad-2", "window": "1"}
    )
    assert status == 400, body
    message = body["error"]["message"]
    assert "pw-2" in message and "window 2" in message and "hall file" in message
    view = await settings(http, web_hub)
    pad = next(d for d in view["devices"] if d["id"] == "pad-2")
    assert (pad["window"], pad["printer"]) == ("2", "pw-2")
    assert view["audit"] == []
    # Its own window is no move; a pad without a printer still moves.
    await changed(http, web_hub, {"action": "device_window", "device": "pad-2", "window": "2"})
    await changed(http, web_hub, {"action": "device_window", "device": "pad-3", "window": "1"})
    pad3 = next(d for d in (await settings(http, web_hub))["devices"] if d["id"] == "pad-3")
    assert pad3["window"] == "1" and "printer" not in pad3
