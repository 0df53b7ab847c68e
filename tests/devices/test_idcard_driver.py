"""The ID card reader driver against a fake SAM reader on a pseudo-terminal."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from devices.codecs import idcard
from devices.drivers import DRIVERS
from devices.drivers.base import Binding, DriverEnv, PortSpec
from devices.drivers.idcard import IdCardDriver
from hall.device_link import DeviceError

from .conftest import running
from .fakes import FakeIdReader, FakeLink, card_text
from .ptys import Pty, SwappablePort, wait_until

ID_NUMBER = "11010519491231002X"
FAST = {"poll_interval_s": 0.05, "answer_timeout_s": 0.2}


def kiosk_hub(op: str, args: dict[str, Any]) -> Any:
    return {"ticket": {"no": "A001", "service": args.get("service"), "state": "waiting"}}


def make(port: str, link: FakeLink, env: DriverEnv, **options: object) -> IdCardDriver:
    info = DRIVERS["idcard"]
    driver = info.create(
        PortSpec(port, 115200, "idcard"),
        Binding({link.device_id: link}),
        info.parse_options({**FAST, **options}),
        env,
    )
    assert isinstance(driver, IdCardDriver)
    return driver


async def test_a_card_takes_one_ticket_and_its_number_is_never_logged(
    env: DriverEnv, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pty = Pty()
    reader = FakeIdReader(pty)
    kiosk = FakeLink("kiosk-1", respond=kiosk_hub)
    driver = make(pty.name, kiosk, env, service="A", debounce_s=30)
    async with running(driver):
        await reader.wait_for(lambda: idcard.FIND_CARD in reader.commands)
        reader.card = card_text(id_number=ID_NUMBER)
        await wait_until(driver.news, lambda: list(driver.tickets) == ["A001"])
        # The card stays on the reader: it is read again and again, but takes one ticket.
        reads = reader.commands.count(idcard.READ_CARD)
        await reader.wait_for(lambda: reader.commands.count(idcard.READ_CARD) >= reads + 3)
        assert kiosk.calls == [("ticket.take", {"id_no": ID_NUMBER, "service": "A"})]
    assert "张*丰" in caplog.text and "110*************2X" in caplog.text
    assert ID_NUMBER not in caplog.text
    assert ID_NUMBER.lower() not in caplog.text.lower()
    assert "张三丰" not in caplog.text
    pty.close()


async def test_the_same_card_after_the_debounce_takes_another_ticket(env: DriverEnv) -> None:
    pty = Pty()
    reader = FakeIdReader(pty, card=card_text())
    kiosk = FakeLink("kiosk-1", respond=kiosk_hub)
    driver = make(pty.name, kiosk, env, debounce_s=0.05, priority="green")
    async with running(driver):
        await wait_until(driver.news, lambda: len(driver.tickets) == 1)
        reader.card = None
        await reader.wait_for(lambda: reader.commands[-3:] == [idcard.FIND_CARD] * 3)
        # The card has been off the reader for longer than the debounce: a new visit.
        reader.card = card_text()
        await wait_until(driver.news, lambda: len(driver.tickets) == 2)
    assert kiosk.calls[0] == ("ticket.take", {"id_no": ID_NUMBER, "priority": "green"})


async def test_a_refused_ticket_garbage_and_a_vanished_reader(
    env: DriverEnv, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    port = SwappablePort(tmp_path / "ttyUSB0")
    reader = FakeIdReader(port.plug())
    refuse = [DeviceError("daily_cap_reached", "no more tickets today")]
    kiosk = FakeLink(
        "kiosk-1", respond=lambda op, args: refuse.pop() if refuse else kiosk_hub(op, args)
    )
    driver = make(str(port.path), kiosk, env, service="A", debounce_s=0.05)
    async with running(driver):
        # A corrupted read answer (bad checksum) holding a card's text: skipped, not logged.
        broken = bytearray(idcard.encode_response(0x90, b"\x01\x00\x04\x00" + card_text()))
        broken[-1] ^= 0xFF
        reader.send(b"\x00junk" + bytes(broken))
        reader.card = card_text()
        await wait_until(kiosk.changed, lambda: len(kiosk.calls) >= 1)
        assert not driver.tickets  # refused: daily cap
        reader.unplug()
        port.unplug()
        await wait_until(driver.news, lambda: driver.open_failures >= 1)
        reader = FakeIdReader(port.plug(), card=card_text())
        await wait_until(driver.news, lambda: len(driver.tickets) == 1, 10)
    assert driver.bad_frames >= 1
    assert "daily_cap_reached" in caplog.text
    assert "skipped a malformed frame" in caplog.text
    assert ID_NUMBER not in caplog.text
    assert ID_NUMBER[:6].encode("utf-16-le").hex(" ") not in caplog.text  # nor its bytes
    port.unplug()
