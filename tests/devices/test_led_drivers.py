"""BX-6 and line-protocol LED drivers against pseudo-terminals with fake cards."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.codecs import bx6, lineproto
from devices.drivers import DRIVERS
from devices.drivers.base import Binding, DriverEnv, PortSpec
from devices.drivers.bx6 import Bx6Driver
from devices.drivers.lineproto import LineProtoDriver
from displays.bitmap import HexFont, unpack_bx6

from .conftest import running
from .fakes import FakeBx6Card, FakeLineStrip, FakeLink
from .ptys import Pty, SwappablePort, wait_until

CALLED = {
    "window": "1",
    "state": "open",
    "ticket": "A001",
    "ticket_state": "called",
    "text": "请A001号",
}
SERVING = {**CALLED, "ticket_state": "serving", "text": "A001 办理中"}


def make_bx6(port: str, link: FakeLink, env: DriverEnv, **options: object) -> Bx6Driver:
    info = DRIVERS["bx6"]
    driver = info.create(
        PortSpec(port, 9600, "bx6"),
        Binding({link.device_id: link}),
        info.parse_options(options),
        env,
    )
    assert isinstance(driver, Bx6Driver)
    return driver


def make_lineproto(port: str, link: FakeLink, env: DriverEnv, **options: object) -> LineProtoDriver:
    info = DRIVERS["lineproto"]
    driver = info.create(
        PortSpec(port, 9600, "lineproto"),
        Binding({link.device_id: link}),
        info.parse_options(options),
        env,
    )
    assert isinstance(driver, LineProtoDriver)
    return driver


def shown(card: FakeBx6Card, index: int = -1) -> tuple[int, int, bytes]:
    update = card.updates[index]
    return update.width, update.height, update.pages[0]


async def test_bx6_draws_the_state_text_as_pixels(env: DriverEnv, font: HexFont) -> None:
    pty = Pty()
    card = FakeBx6Card(pty)
    link = FakeLink("led-1")
    driver = make_bx6(pty.name, link, env)
    async with running(driver):
        await link.push("state", CALLED)
        await card.wait_for(lambda: len(card.updates) == 1)
        update = card.updates[0]
        assert (update.area_id, update.x, update.y, update.width, update.height) == (
            0,
            0,
            0,
            64,
            16,
        )
        assert update.voice is None
        drawn = unpack_bx6(update.pages[0], 64, 16)
        assert drawn == font.render("请A001号", 64, 16, align="center"), drawn.to_text()
        await wait_until(driver.news, lambda: driver.shown == "请A001号")
        # The same text again sends nothing; a new text is drawn.
        await link.push("state", CALLED)
        await link.push("state", SERVING)
        await card.wait_for(lambda: len(card.updates) == 2)
        assert unpack_bx6(card.updates[1].pages[0], 64, 16) == font.render(
            "A001 办理中", 64, 16, align="center"
        )
    pty.close()


async def test_bx6_geometry_address_and_voice_come_from_options(
    env: DriverEnv, font: HexFont
) -> None:
    pty = Pty()
    card = FakeBx6Card(pty)
    link = FakeLink("led-2")
    driver = make_bx6(
        pty.name,
        link,
        env,
        width=96,
        height=32,
        x=40,
        area=3,
        screen=7,
        device_type="BX-6E1",
        align="left",
        speak=True,
    )
    async with running(driver):
        await link.push("state", CALLED)
        await card.wait_for(lambda: len(card.updates) == 1)
    update = card.updates[0]
    assert (update.area_id, update.x, update.width, update.height) == (3, 40, 96, 32)
    assert update.voice == "请A001号".encode("gbk")
    assert unpack_bx6(update.pages[0], 96, 32, 40) == font.render("请A001号", 96, 32)
    raw = bytes(card.received)
    frame = bx6.parse_frame(raw[raw.index(b"\xa5") : raw.index(b"\x5a", raw.index(b"\xa5")) + 1])
    assert frame.header.dst == 7 and frame.header.device_type == 0x0174
    pty.close()


async def test_bx6_sends_again_after_a_nak(env: DriverEnv) -> None:
    pty = Pty()
    card = FakeBx6Card(pty)
    card.refuse = [3]  # busy
    link = FakeLink("led-1")
    driver = make_bx6(pty.name, link, env)
    async with running(driver):
        await link.push("state", CALLED)
        await wait_until(driver.news, lambda: len(card.updates) == 2 and driver.shown == "请A001号")
    assert card.updates[0] == card.updates[1]
    pty.close()


async def test_bx6_skips_garbage_and_keeps_working(
    env: DriverEnv, caplog: pytest.LogCaptureFixture
) -> None:
    pty = Pty()
    card = FakeBx6Card(pty)
    link = FakeLink("led-1")
    driver = make_bx6(pty.name, link, env)
    async with running(driver):
        # Noise, then a frame with a broken CRC, then noise again.
        broken = bytearray(bx6.encode_ack())
        broken[-2] ^= 0x01
        card.send(b"\x00\xffnoise" + bytes(broken) + b"\x5a\x13")
        await link.push("state", CALLED)
        await wait_until(driver.news, lambda: driver.shown == "请A001号")
        assert driver.bad_frames >= 1
        await link.push("state", SERVING)
        await wait_until(driver.news, lambda: driver.shown == "A001 办理中")
    assert "skipped a malformed frame" in caplog.text
    pty.close()


async def test_bx6_reopens_a_vanished_port_and_shows_the_text_again(
    env: DriverEnv, font: HexFont, tmp_path: Path
) -> None:
    port = SwappablePort(tmp_path / "ttyUSB0")
    card = FakeBx6Card(port.plug())
    link = FakeLink("led-1")
    driver = make_bx6(str(port.path), link, env)
    async with running(driver):
        await link.push("state", CALLED)
        await wait_until(driver.news, lambda: driver.shown == "请A001号")
        # Unplugged: the pty goes away and so does its stable name.
        card.unplug()
        port.unplug()
        await wait_until(driver.news, lambda: driver.open_failures >= 2)
        # A text that comes while unplugged is kept.
        await link.push("state", SERVING)
        card = FakeBx6Card(port.plug())
        await card.wait_for(lambda: len(card.updates) >= 1, 10)
        assert driver.opened == 2
        assert unpack_bx6(card.updates[-1].pages[0], 64, 16) == font.render(
            "A001 办理中", 64, 16, align="center"
        )
    port.unplug()


async def test_bx6_board_shows_the_latest_calls(env: DriverEnv, font: HexFont) -> None:
    pty = Pty()
    card = FakeBx6Card(pty)
    link = FakeLink("board-1")
    driver = make_bx6(pty.name, link, env, show="board", window_names={"4": "综合窗口"})
    async with running(driver):
        board = {
            "calls": [
                {"ticket": "C002", "window": "4", "at": "2024-05-06T09:31:00+08:00"},
                {"ticket": "A001", "window": "1", "at": "2024-05-06T09:30:00+08:00"},
                {"ticket": "B001", "window": "3", "at": "2024-05-06T09:29:00+08:00"},
            ],
            "waiting": {"A": 1},
        }
        await link.push("hall/t/board", board)
        await card.wait_for(lambda: len(card.updates) == 1)
    update = card.updates[0]
    assert (update.width, update.height) == (128, 32)
    expected = font.render_lines(["C002 → 综合窗口", "A001 → 1号窗口"], 128, 32, align="center")
    assert unpack_bx6(update.pages[0], 128, 32) == expected
    pty.close()


async def test_lineproto_sends_the_state_text(env: DriverEnv) -> None:
    pty = Pty()
    strip = FakeLineStrip(pty)
    link = FakeLink("led-3")
    driver = make_lineproto(pty.name, link, env, address=5)
    async with running(driver):
        await link.push("state", CALLED)
        await wait_until(driver.news, lambda: driver.shown == "请A001号")
        await link.push("state", {**CALLED, "text": "暂停服务 午休", "state": "paused"})
        await wait_until(driver.news, lambda: driver.shown == "暂停服务 午休")
    assert strip.texts == [
        lineproto.TextFrame(5, "请A001号"),
        lineproto.TextFrame(5, "暂停服务 午休"),
    ]
    pty.close()


async def test_lineproto_cuts_to_cells_skips_garbage_and_survives_unplugging(
    env: DriverEnv, tmp_path: Path
) -> None:
    port = SwappablePort(tmp_path / "ttyUSB1")
    strip = FakeLineStrip(port.plug())
    link = FakeLink("led-3")
    driver = make_lineproto(str(port.path), link, env, cells=8)
    async with running(driver):
        strip.send(b"\x00garbage\x99")
        await link.push("state", {**CALLED, "text": "暂停服务 午休"})
        await wait_until(driver.news, lambda: driver.shown == "暂停服务 午休")
        assert strip.texts[-1].text == "暂停服务"
        strip.unplug()
        port.unplug()
        await wait_until(driver.news, lambda: driver.open_failures >= 1)
        strip = FakeLineStrip(port.plug())
        await strip.wait_for(lambda: len(strip.texts) == 1, 10)
        assert strip.texts == [lineproto.TextFrame(0, "暂停服务")]
    port.unplug()
