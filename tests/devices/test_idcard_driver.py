"""The ID card reader driver against a fake SAM reader on a pseudo-terminal."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from devices.codecs import idcard
from devices.drivers.base import Binding, DriverEnv, PortSpec
from devices.drivers.idcard import IdCardDriver
from hall.contract.device import DeviceError
from tests.support import eventually

from .conftest import make_driver, running
from .fakes import HUB, FakeIdReader, FakeLink, card_text
from .ptys import Pty, SwappablePort

ID_NUMBER = "11010519491231002X"
FAST = {"poll_interval_s": 0.05, "answer_timeout_s": 0.2}


def kiosk_hub(op: str, args: dict[str, Any]) -> Any:
    return {"ticket": {"no": "A001", "service": args.get("service"), "state": "waiting"}}


def make(port: str, link: FakeLink, env: DriverEnv, **options: object) -> IdCardDriver:
    spec = PortSpec(port, 115200, "idcard")
    binding = Binding({link.device_id: link})
    return make_driver(IdCardDriver, "idcard", spec, binding, env, {**FAST, **options})


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
        await eventually(lambda: list(driver.tickets) == ["A001"], news=driver.news)
        # The card stays on the reader: it is read again and again, but takes one ticket.
        reads = reader.commands.count(idcard.READ_CARD)
        await reader.wait_for(lambda: reader.commands.count(idcard.READ_CARD) >= reads + 3)
        [(op, args)] = kiosk.calls
        assert (op, sorted(args)) == ("ticket.take", ["id_sealed", "service"])
        assert args["service"] == "A"
        # The number went sealed to the hub's key: only the hub opens it.
        assert HUB.open(args["id_sealed"]) == ID_NUMBER
        assert ID_NUMBER not in json.dumps(kiosk.calls)
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
        await eventually(lambda: len(driver.tickets) == 1, news=driver.news)
        reader.card = None
        await reader.wait_for(lambda: reader.commands[-3:] == [idcard.FIND_CARD] * 3)
        # The card has been off the reader for longer than the debounce: a new visit.
        reader.card = card_text()
        await eventually(lambda: len(driver.tickets) == 2, news=driver.news)
    op, args = kiosk.calls[0]
    assert (op, sorted(args)) == ("ticket.take", ["id_sealed", "priority"])
    assert args["priority"] == "green" and HUB.open(args["id_sealed"]) == ID_NUMBER


async def test_without_the_hub_s_key_a_card_takes_a_plain_ticket(
    env: DriverEnv, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pty = Pty()
    reader = FakeIdReader(pty, card=card_text())
    kiosk = FakeLink("kiosk-1", respond=kiosk_hub, hub_key=None)
    driver = make(pty.name, kiosk, env, service="A", debounce_s=30)
    async with running(driver):
        await eventually(lambda: list(driver.tickets) == ["A001"], news=driver.news)
    assert idcard.READ_CARD in reader.commands
    # Never the number in clear: the ticket is taken without it.
    assert kiosk.calls == [("ticket.take", {"service": "A"})]
    assert "no key from the hub" in caplog.text and ID_NUMBER not in caplog.text
    pty.close()


async def test_without_the_hub_s_key_or_a_service_a_card_takes_nothing(env: DriverEnv) -> None:
    pty = Pty()
    reader = FakeIdReader(pty)
    kiosk = FakeLink("kiosk-1", respond=kiosk_hub, hub_key=None)
    driver = make(pty.name, kiosk, env, debounce_s=30)
    async with running(driver):
        await reader.wait_for(lambda: idcard.FIND_CARD in reader.commands)
        reader.card = card_text()
        reads = reader.commands.count(idcard.READ_CARD)
        await reader.wait_for(lambda: reader.commands.count(idcard.READ_CARD) >= reads + 2)
    assert kiosk.calls == [] and not driver.tickets
    pty.close()


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
        await eventually(lambda: len(kiosk.calls) >= 1, news=kiosk.changed)
        assert not driver.tickets  # refused: daily cap
        reader.unplug()
        port.unplug()
        await eventually(lambda: driver.open_failures >= 1, news=driver.news)
        reader = FakeIdReader(port.plug(), card=card_text())
        await eventually(lambda: len(driver.tickets) == 1, timeout=10, news=driver.news)
    assert driver.bad_frames >= 1
    assert "daily_cap_reached" in caplog.text
    assert "skipped a malformed frame" in caplog.text
    assert ID_NUMBER not in caplog.text
    assert ID_NUMBER[:6].encode("utf-16-le").hex(" ") not in caplog.text  # nor its bytes
    port.unplug()
