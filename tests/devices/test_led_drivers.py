"""BX-6 and line-protocol LED drivers against pseudo-terminals with fake cards."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.codecs import bx6, lineproto
from devices.drivers import DRIVERS
from devices.drivers.base import Binding, DriverEnv
from devices.drivers.bx6 import Bx6Driver
from devices.drivers.lineproto import LineProtoDriver
from devices.drivers.options import OptionError
from displays.bitmap import HexFont, unpack_bx6
from displays.board import compose_board
from tests.support import eventually

from .conftest import make_driver, running
from .fakes import FakeBx6Card, FakeLineStrip, FakeLink
from .ptys import Pty, SwappablePort

CALLED = {
    "window": "1",
    "state": "open",
    "ticket": "A001",
    "ticket_state": "called",
    "text": "请A001号",
}
SERVING = {**CALLED, "ticket_state": "serving", "text": "A001 办理中"}


def make_bx6(port: str, link: FakeLink, env: DriverEnv, **options: object) -> Bx6Driver:
    return make_driver(Bx6Driver, "bx6", port, Binding({link.device_id: link}), env, options)


def make_lineproto(port: str, link: FakeLink, env: DriverEnv, **options: object) -> LineProtoDriver:
    binding = Binding({link.device_id: link})
    return make_driver(LineProtoDriver, "lineproto", port, binding, env, options)


def bx6_on_pty(
    env: DriverEnv, device: str, **options: object
) -> tuple[Pty, FakeBx6Card, FakeLink, Bx6Driver]:
    """A BX-6 driver of `device` on a new pseudo-terminal, a fake card at its other end."""
    pty = Pty()
    link = FakeLink(device)
    return pty, FakeBx6Card(pty), link, make_bx6(pty.name, link, env, **options)


def lineproto_on_pty(
    env: DriverEnv, device: str, **options: object
) -> tuple[Pty, FakeLineStrip, FakeLink, LineProtoDriver]:
    """A line-protocol driver of `device` on a new pseudo-terminal, a fake strip at its other
    end."""
    pty = Pty()
    link = FakeLink(device)
    return pty, FakeLineStrip(pty), link, make_lineproto(pty.name, link, env, **options)


def shown(card: FakeBx6Card, index: int = -1) -> tuple[int, int, bytes]:
    update = card.updates[index]
    return update.width, update.height, update.pages[0]


async def test_bx6_draws_the_state_text_as_pixels(env: DriverEnv, font: HexFont) -> None:
    pty, card, link, driver = bx6_on_pty(env, "led-1")
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
        await eventually(lambda: driver.shown == "请A001号", news=driver.news)
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
    pty, card, link, driver = bx6_on_pty(env, "led-1")
    card.refuse = [3]  # busy
    async with running(driver):
        await link.push("state", CALLED)
        await eventually(
            lambda: len(card.updates) == 2 and driver.shown == "请A001号", news=driver.news
        )
    assert card.updates[0] == card.updates[1]
    pty.close()


async def test_bx6_skips_garbage_and_keeps_working(
    env: DriverEnv, caplog: pytest.LogCaptureFixture
) -> None:
    pty, card, link, driver = bx6_on_pty(env, "led-1")
    async with running(driver):
        # Noise, then a frame with a broken CRC, then noise again.
        broken = bytearray(bx6.encode_ack())
        broken[-2] ^= 0x01
        card.send(b"\x00\xffnoise" + bytes(broken) + b"\x5a\x13")
        await link.push("state", CALLED)
        await eventually(lambda: driver.shown == "请A001号", news=driver.news)
        assert driver.bad_frames >= 1
        await link.push("state", SERVING)
        await eventually(lambda: driver.shown == "A001 办理中", news=driver.news)
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
        await eventually(lambda: driver.shown == "请A001号", news=driver.news)
        # Unplugged: the pty goes away and so does its stable name.
        card.unplug()
        port.unplug()
        await eventually(lambda: driver.open_failures >= 2, news=driver.news)
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
    pty, card, link, driver = bx6_on_pty(env, "board-1", show="board")
    async with running(driver):
        # The board as the hub makes it: window 4 named 综合窗口 in the hall file.
        board = compose_board(
            [
                ("C002", "4", "2024-05-06T09:31:00+08:00"),
                ("A001", "1", "2024-05-06T09:30:00+08:00"),
                ("B001", "3", "2024-05-06T09:29:00+08:00"),
            ],
            {"A": 1},
            window_name=lambda window: "综合窗口" if window == "4" else f"{window}号窗口",
        )
        await link.push("hall/t/board", dict(board))
        await card.wait_for(lambda: len(card.updates) == 1)
    update = card.updates[0]
    assert (update.width, update.height) == (128, 32)
    expected = font.render_lines(["C002 → 综合窗口", "A001 → 1号窗口"], 128, 32, align="center")
    assert unpack_bx6(update.pages[0], 128, 32) == expected
    pty.close()


async def test_lineproto_sends_the_state_text(env: DriverEnv) -> None:
    pty, strip, link, driver = lineproto_on_pty(env, "led-3", address=5)
    async with running(driver):
        await link.push("state", CALLED)
        await eventually(lambda: driver.shown == "请A001号", news=driver.news)
        await link.push("state", {**CALLED, "text": "暂停服务 午休", "state": "paused"})
        await eventually(lambda: driver.shown == "暂停服务 午休", news=driver.news)
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
        await eventually(lambda: driver.shown == "暂停服务 午休", news=driver.news)
        assert strip.texts[-1].text == "暂停服务"
        strip.unplug()
        port.unplug()
        await eventually(lambda: driver.open_failures >= 1, news=driver.news)
        strip = FakeLineStrip(port.plug())
        await strip.wait_for(lambda: len(strip.texts) == 1, 10)
        assert strip.texts == [lineproto.TextFrame(0, "暂停服务")]
    port.unplug()


async def test_a_strip_shows_the_state_text_as_given_and_builds_none(env: DriverEnv) -> None:
    pty, strip, link, driver = lineproto_on_pty(env, "led-3")
    async with running(driver):
        # A state without a text: the strip has nothing to show (it makes no text itself).
        await link.push("state", {k: v for k, v in CALLED.items() if k != "text"})
        # Whatever the hub writes is shown, even when the fields would say otherwise.
        await link.push("state", {**CALLED, "text": "请A001号 稍候"})
        await eventually(lambda: driver.shown == "请A001号 稍候", news=driver.news)
    assert strip.texts == [lineproto.TextFrame(0, "请A001号 稍候")]
    pty.close()


async def test_a_board_strip_shows_the_board_lines_as_given(env: DriverEnv) -> None:
    pty, strip, link, driver = lineproto_on_pty(env, "board-2", show="board")
    async with running(driver):
        calls = [
            {
                "ticket": "C002",
                "window": "4",
                "at": "",
                "window_name": "东厅",
                "text": "C002 → 东厅",
            },
            {
                "ticket": "A001",
                "window": "1",
                "at": "",
                "window_name": "西厅",
                "text": "A001 → 西厅",
            },
        ]
        await link.push("hall/t/board", {"calls": calls, "waiting": {}})
        await eventually(lambda: driver.shown is not None, news=driver.news)
    assert strip.texts == [lineproto.TextFrame(0, "C002 → 东厅  A001 → 西厅")]
    pty.close()


@pytest.mark.parametrize("protocol", ["bx6", "lineproto"])
def test_window_names_in_the_gateway_file_are_refused(protocol: str) -> None:
    with pytest.raises(OptionError) as caught:
        DRIVERS[protocol].parse_options({"show": "board", "window_names": {"4": "综合窗口"}})
    assert caught.value.key == "window_names"
    assert "hall file" in caught.value.problem
