"""A clerk signs in on a wired caller keypad, end to end: the real hub, the real broker, the
keypad bus on a pseudo-terminal. Staff number, confirm, PIN, confirm opens the window; a
wrong PIN shows 401, and after repeated ones the locked staff number shows 423 and the
minutes left."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from hall.hub.runtime import Running
from hall.hub.staff import LOCK_AFTER
from hall.web.sessions import hash_password
from tests.integration.contract_client import ContractClient
from tests.integration.halls import online_client

from .fakes import FakeKeypadBus
from .ptys import Pty
from .test_gateway_e2e import online, running_gateway, write_gateway

pytestmark = pytest.mark.integration

PIN = "4711"
BLANK = bytes([0x0A] * 3)


@pytest.fixture
def hall_config_path(hall_file: Callable[..., Path]) -> Path:
    clerk = {
        "name": "li", "password_hash": hash_password("not-for-the-dashboard"), "role": "clerk",
        "staff": "1001", "pin_hash": hash_password(PIN),
    }  # fmt: skip
    return hall_file(users=[clerk])


@pytest.fixture
async def client(hub: Running, hall_id: str) -> AsyncIterator[ContractClient]:
    async with online_client(hub, hall_id) as outside:
        yield outside


async def test_a_clerk_signs_in_on_a_wired_keypad_and_is_locked_after_wrong_pins(
    client: ContractClient, hall_id: str, mqtt_url: str, tmp_path: Path
) -> None:
    pty = Pty()
    bus = FakeKeypadBus(pty)
    entries = f"""
[[serial]]
port = "{pty.name}"
protocol = "keypad485"
devices = {{ "1" = "caller-1" }}
"""
    path = write_gateway(tmp_path, hall_id, mqtt_url, entries)
    state = client.topic("state", "caller-1")
    async with running_gateway(path):
        await client.wait_latest(client.topic("status", "caller-1"), online)
        await client.wait_latest(state, lambda s: s.get("state") == "closed")
        bus.type_digits(1, "1001")
        bus.type_digits(1, "0000")
        await bus.wait_for(lambda: len(bus.shown(1)) == 2)
        assert bus.shown(1) == [bytes([0, 0, 1]) + BLANK, bytes([4, 0, 1]) + BLANK]
        bus.type_digits(1, "1001")
        bus.type_digits(1, PIN)
        await client.wait_latest(
            state, lambda s: s.get("state") == "open" and s.get("staff") == "1001"
        )
        await bus.wait_for(lambda: bus.shown(1)[-1:] == [BLANK + BLANK])

        await client.ok("pad-1", "window.close")
        await client.wait_latest(state, lambda s: s.get("state") == "closed")
        shown = len(bus.shown(1))
        for attempt in range(LOCK_AFTER):
            bus.type_digits(1, "1001")
            bus.type_digits(1, f"99{attempt:02d}")
            await bus.wait_for(lambda n=shown + 2 * (attempt + 1): len(bus.shown(1)) == n)
            assert bus.shown(1)[-1] == bytes([4, 0, 1]) + BLANK
        bus.type_digits(1, "1001")
        bus.type_digits(1, PIN)  # the right PIN, but the staff number is locked
        await bus.wait_for(lambda: len(bus.shown(1)) == shown + 2 * LOCK_AFTER + 2)
        assert bus.shown(1)[-1] == bytes([4, 2, 3, 0x0A, 1, 5])  # 423, 15 minutes left
    pty.close()
