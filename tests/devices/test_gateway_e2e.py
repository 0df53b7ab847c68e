"""The gateway end to end: the real hub, the real broker, devices on pseudo-terminals.

A wired caller keypad calls the next ticket and window 1's BX-6 strip draws it; the hall's
LED board shows the calls with the hall file's window names; an ID card on the kiosk's reader
takes a ticket that the kiosk's ESC/POS printer prints, and the card's number appears nowhere:
the kiosk's own request carries it sealed to the hub's key.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from devices.codecs import bx6, escpos, idcard
from devices.gateway import Gateway
from devices.gateway_config import load_gateway_config
from displays.bitmap import HexFont, bx6_renderer, unpack_bx6
from hall.contract.sealing import Opener
from hall.hub.runtime import Running
from tests.integration.contract_client import ContractClient
from tests.integration.halls import online_client
from tests.support import eventually

from .conftest import FAST_BACKOFF
from .fakes import FakeBx6Card, FakeIdReader, FakeKeypadBus, FakePrinter, card_text
from .ptys import Pty

pytestmark = pytest.mark.integration

ID_NUMBER = "11010519491231002X"


@pytest.fixture
async def client(hub: Running, hall_id: str) -> AsyncIterator[ContractClient]:
    async with online_client(hub, hall_id) as outside:
        yield outside


def write_gateway(tmp_path: Path, hall_id: str, mqtt_url: str, entries: str) -> Path:
    path = tmp_path / "gateway.toml"
    path.write_text(
        f'[gateway]\nhall = "{hall_id}"\nbroker = "{mqtt_url}"\n\n{entries}', encoding="utf-8"
    )
    return path


@contextlib.asynccontextmanager
async def running_gateway(path: Path) -> AsyncIterator[Gateway]:
    gateway = await Gateway.create(load_gateway_config(path))
    for driver in gateway.drivers:
        driver.backoff_initial_s, driver.backoff_max_s = FAST_BACKOFF
    task = asyncio.create_task(gateway.run())
    try:
        await gateway.ready()
        yield gateway
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def online(data: Any) -> bool:
    return isinstance(data, dict) and data.get("state") == "online"


async def test_a_wired_keypad_calls_and_the_bx6_strip_shows_the_ticket(
    client: ContractClient, hall_id: str, mqtt_url: str, tmp_path: Path, font: HexFont
) -> None:
    keypad_pty, led_pty = Pty(), Pty()
    bus = FakeKeypadBus(keypad_pty)
    card = FakeBx6Card(led_pty)
    entries = f"""
[[serial]]
port = "{keypad_pty.name}"
protocol = "keypad485"
devices = {{ "1" = "caller-1" }}

[[serial]]
port = "{led_pty.name}"
protocol = "bx6"
device = "led-1"
options = {{ width = 64, height = 16 }}
"""
    path = write_gateway(tmp_path, hall_id, mqtt_url, entries)
    async with running_gateway(path):
        for device in ("caller-1", "led-1"):
            await client.wait_latest(client.topic("status", device), online)
        # The strip shows the closed window first (the retained state).
        await card.wait_for(lambda: len(card.updates) >= 1)
        await client.ok("pad-1", "window.open", {"staff": "s1"})
        taken = (await client.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]
        assert taken["no"] == "A001"

        bus.press(1, 0x0C)  # the keypad's call key

        state_topic = client.topic("state", "led-1")
        await client.wait_latest(
            state_topic, lambda s: s.get("ticket") == "A001" and s.get("ticket_state") == "called"
        )
        expected = font.render("请A001号", 64, 16, align="center")

        def drawn() -> list[Any]:
            return [unpack_bx6(u.pages[0], u.width, u.height) for u in card.updates]

        await card.wait_for(lambda: expected in drawn())
        assert drawn()[-1] == expected, drawn()[-1].to_text()
        # Byte for byte what the renderer callback gives encode_update_area.
        area = bx6.DynamicArea(area_id=0, x=0, y=0, width=64, height=16)
        assert card.updates[-1].pages[0] == bx6_renderer(font)("请A001号", area)
        # The keypad showed the called number and the hub's window is serving nobody else.
        await bus.wait_for(lambda: bytes([0x0A, 0x0A, 0x0A, 0, 0, 1]) in bus.shown(1))
        window = (await client.ok("pad-1", "ticket.status", {"no": "A001"}))["ticket"]
        assert window["state"] == "called" and window["window"] == "1"
    # Stopped: every device the gateway spoke for is offline.
    for device in ("caller-1", "led-1"):
        await client.wait_latest(
            client.topic("status", device), lambda d: d.get("state") == "offline"
        )
    keypad_pty.close()
    led_pty.close()


async def test_the_led_board_names_windows_as_the_hall_file_does(
    client: ContractClient, hall_id: str, mqtt_url: str, tmp_path: Path, font: HexFont
) -> None:
    # Window 4 is named 综合窗口 in the hall file only: the gateway file names no window.
    board_pty = Pty()
    card = FakeBx6Card(board_pty)
    entries = f"""
[[serial]]
port = "{board_pty.name}"
protocol = "bx6"
device = "board-1"
options = {{ show = "board" }}
"""
    path = write_gateway(tmp_path, hall_id, mqtt_url, entries)
    assert "综合窗口" not in path.read_text(encoding="utf-8")
    async with running_gateway(path):
        await client.wait_latest(client.topic("status", "board-1"), online)
        for pad in ("pad-1", "pad-4"):
            await client.ok(pad, "window.open", {"staff": f"s-{pad}"})
        await client.ok("kiosk-1", "ticket.take", {"service": "A"})
        await client.ok("kiosk-2", "ticket.take", {"service": "C"})
        assert (await client.ok("pad-1", "call.next"))["ticket"]["no"] == "A001"
        assert (await client.ok("pad-4", "call.next"))["ticket"]["no"] == "C001"
        board = await client.wait_latest(client.topic("board"), lambda d: len(d["calls"]) == 2)
        assert [(c["window_name"], c["text"]) for c in board["calls"]] == [
            ("综合窗口", "C001 → 综合窗口"),
            ("1号窗口", "A001 → 1号窗口"),
        ]
        expected = font.render_lines(["C001 → 综合窗口", "A001 → 1号窗口"], 128, 32, align="center")

        def drawn() -> list[Any]:
            return [unpack_bx6(u.pages[0], u.width, u.height) for u in card.updates]

        await card.wait_for(lambda: expected in drawn())
    board_pty.close()


async def test_an_id_card_takes_a_printed_ticket_and_its_number_stays_private(
    hub: Running,
    client: ContractClient,
    hall_id: str,
    mqtt_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    reader_pty, printer_pty = Pty(), Pty()
    reader = FakeIdReader(reader_pty)
    printer = FakePrinter(printer_pty)
    entries = f"""
[[serial]]
port = "{reader_pty.name}"
baud = 115200
protocol = "idcard"
device = "kiosk-1"
options = {{ service = "A", poll_interval_s = 0.05 }}

[[serial]]
port = "{printer_pty.name}"
protocol = "escpos"
device = "printer-1"
"""
    path = write_gateway(tmp_path, hall_id, mqtt_url, entries)
    async with running_gateway(path) as gateway:
        await client.wait_latest(
            client.topic("status", "printer-1"),
            lambda d: d == {"state": "online", "online": True, "paper": "ok", "dots": 576},
        )
        await reader.wait_for(lambda: idcard.FIND_CARD in reader.commands)
        reader.card = card_text(id_number=ID_NUMBER)
        driver = gateway.drivers[0]
        await eventually(
            lambda: len(getattr(driver, "tickets", ())) == 1, timeout=10, news=driver.news
        )
        await printer.wait_for(lambda: b"A001" in printer.printed)
        ticket = (await client.ok("kiosk-1", "ticket.status", {"no": "A001"}))["ticket"]
        assert ticket["state"] == "waiting"
    assert escpos.CHINESE_ON in printer.printed
    assert "社保医保".encode("gb18030") in printer.printed
    # The number went only to the hub, sealed in the kiosk's own request: the hub's secret
    # key opens it, and no message on the broker holds it in clear.
    request_topic = client.topic("req", "kiosk-1")
    [request] = [m for m in client.messages[request_topic] if m["op"] == "ticket.take"]
    secret = await hub.store.client.get(hub.store.keys.sealing_key)
    assert Opener(secret).open(request["args"]["id_sealed"]) == ID_NUMBER
    for topic, messages in client.messages.items():
        assert ID_NUMBER not in json.dumps(messages, ensure_ascii=False), topic
    assert ID_NUMBER not in caplog.text
    assert "110*************2X" in caplog.text
    reader_pty.close()
    printer_pty.close()
