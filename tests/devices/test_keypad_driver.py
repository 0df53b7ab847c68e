"""The RS-485 keypad driver against a fake bus of pads on a pseudo-terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from devices.codecs import keypad485 as kp
from devices.drivers.base import Binding, DriverEnv
from devices.drivers.keypad485 import Keypad485Driver
from hall.contract.device import DeviceError
from tests.support import eventually

from .conftest import make_driver, running
from .fakes import FakeKeypadBus, FakeLink
from .ptys import Pty, SwappablePort

SERVING = {"window": "1", "state": "open", "ticket": "A001", "ticket_state": "serving"}
CALL, RECALL, RATE, PAUSE, TRANSFER = 0x0C, 0x0D, 0x0B, 0x12, 0x13


def hub(op: str, args: dict[str, Any]) -> Any:
    """What a hub answers the keypad's operations with."""
    if op in ("call.next", "call.recall"):
        return {"ticket": {"no": "A007", "state": "called", "window": "1"}}
    if op == "eval.submit":
        return {"evaluation": {"ticket": args["ticket"], "level": args["level"]}}
    return {"window": {"id": "1", "state": "open"}}


def make(
    port: str, links: dict[int, FakeLink], env: DriverEnv, **options: object
) -> Keypad485Driver:
    binding = Binding(
        links={link.device_id: link for link in links.values()},
        addresses={address: link.device_id for address, link in links.items()},
    )
    return make_driver(Keypad485Driver, "keypad485", port, binding, env, options)


async def test_a_call_key_calls_next_acks_and_shows_the_number(env: DriverEnv) -> None:
    pty = Pty()
    bus = FakeKeypadBus(pty)
    caller = FakeLink("caller-1", respond=hub)
    driver = make(pty.name, {1: caller}, env)
    async with running(driver):
        pressed = bus.press(1, CALL)
        await bus.wait_for(lambda: len(bus.shown(1)) == 1)
        assert caller.calls == [("call.next", {})]
        echo = bus.frames[0]
        assert kp.encode_frame(echo.address, echo.function, echo.data) == pressed
        assert bus.shown(1) == [bytes([0x0A, 0x0A, 0x0A, 0, 0, 7])]
        bus.press(1, RECALL)
        await bus.wait_for(lambda: len(bus.shown(1)) == 2)
        assert caller.calls[-1] == ("call.recall", {})
    pty.close()


async def test_nobody_waiting_blanks_the_display_and_refusals_are_logged(env: DriverEnv) -> None:
    pty = Pty()
    bus = FakeKeypadBus(pty)
    answers: dict[str, Any] = {
        "call.next": {"ticket": None},
        "call.recall": DeviceError("no_ticket", "nothing to recall"),
    }
    caller = FakeLink("caller-1", respond=lambda op, args: answers[op])
    driver = make(pty.name, {1: caller}, env)
    async with running(driver):
        bus.press(1, CALL)
        await bus.wait_for(lambda: len(bus.shown(1)) == 1)
        assert bus.shown(1) == [bytes([0x0A] * 6)]
        bus.press(1, RECALL)
        await eventually(lambda: len(caller.calls) == 2, news=caller.changed)
        bus.press(1, CALL)
        await bus.wait_for(lambda: len(bus.shown(1)) == 2)  # the driver went on
    pty.close()


async def test_pause_transfer_and_a_paused_window(env: DriverEnv) -> None:
    pty = Pty()
    bus = FakeKeypadBus(pty)
    caller = FakeLink("caller-1", respond=hub)
    driver = make(pty.name, {1: caller}, env, pause_reason="午休", transfer_service="B")
    async with running(driver):
        bus.press(1, PAUSE)
        await eventually(lambda: len(caller.calls) == 1, news=caller.changed)
        assert caller.calls == [("window.pause", {"reason": "午休"})]
        await caller.push("state", {"window": "1", "state": "paused", "ticket": None})
        # Any key on a paused window resumes it first; pause again only resumes.
        bus.press(1, CALL)
        await eventually(lambda: len(caller.calls) == 3, news=caller.changed)
        assert caller.calls[1:] == [("window.resume", {}), ("call.next", {})]
        bus.press(1, PAUSE)
        await eventually(lambda: len(caller.calls) == 4, news=caller.changed)
        assert caller.calls[3] == ("window.resume", {})
        await caller.push("state", SERVING)
        bus.press(1, TRANSFER)
        await eventually(lambda: len(caller.calls) == 5, news=caller.changed)
        assert caller.calls[4] == ("ticket.transfer", {"service": "B"})
    pty.close()


async def test_a_rating_rates_the_ticket_served_at_the_window(env: DriverEnv) -> None:
    pty = Pty()
    bus = FakeKeypadBus(pty)
    caller = FakeLink("caller-1", respond=hub)
    evaluator = FakeLink("eval-1", respond=hub)
    driver = make(pty.name, {1: caller, 2: evaluator}, env)
    async with running(driver):
        for link in (caller, evaluator):
            await link.push("state", SERVING)
        bus.press(1, RATE)  # the visit ends
        await eventually(lambda: caller.calls == [("ticket.finish", {})], news=caller.changed)
        for link in (caller, evaluator):
            await link.push("state", {"window": "1", "state": "open", "ticket": None})
        bus.rate(2, 3)  # the best of four keys
        await eventually(lambda: len(evaluator.calls) == 1, news=evaluator.changed)
        assert evaluator.calls == [("eval.submit", {"ticket": "A001", "level": 5})]
        await bus.wait_for(lambda: any(f.address == 2 for f in bus.frames))
        assert [f for f in bus.frames if f.address == 2] == [kp.KeypadFrame(2, 0x01, b"\x03")]
    pty.close()


async def test_garbage_unknown_addresses_and_a_vanished_bus(env: DriverEnv, tmp_path: Path) -> None:
    port = SwappablePort(tmp_path / "ttyUSB0")
    bus = FakeKeypadBus(port.plug())
    caller = FakeLink("caller-1", respond=hub)
    driver = make(str(port.path), {1: caller}, env)
    async with running(driver):
        bad = bytearray(kp.encode_frame(1, 0x01, b"\x0c"))
        bad[-2] ^= 0xFF  # checksum
        bus.send(b"\x00\x01junk" + bytes(bad) + b"\xff\x68")
        bus.press(9, CALL)  # no device at address 9: not answered, not acted on
        bus.press(1, CALL)
        await bus.wait_for(lambda: len(bus.shown(1)) == 1)
        assert driver.bad_frames >= 1
        assert caller.calls == [("call.next", {})]
        assert all(f.address == 1 for f in bus.frames)
        bus.unplug()
        port.unplug()
        await eventually(lambda: driver.open_failures >= 1, news=driver.news)
        bus = FakeKeypadBus(port.plug())
        await eventually(lambda: driver.connected.is_set(), timeout=10, news=driver.news)
        bus.press(1, CALL)
        await bus.wait_for(lambda: len(bus.shown(1)) == 1)
        assert len(caller.calls) == 2
    port.unplug()


def sign_in_hub(locked_after: int) -> Any:
    """A hub that knows staff 1001 with PIN 4711 and locks it after `locked_after` failures."""
    failures = [0]

    def respond(op: str, args: dict[str, Any]) -> Any:
        assert op == "window.open", op
        if failures[0] >= locked_after:
            return DeviceError("account_locked", "try again later", retry_after_s=14 * 60 + 5)
        if args == {"staff": "1001", "pin": "4711"}:
            return {"window": {"id": "1", "state": "open", "staff": "1001"}}
        failures[0] += 1
        return DeviceError("bad_credentials", "wrong staff number or PIN")

    return respond


async def test_a_clerk_signs_in_with_staff_number_and_pin_typed_on_the_keypad(
    env: DriverEnv,
) -> None:
    pty = Pty()
    bus = FakeKeypadBus(pty)
    caller = FakeLink("caller-1", respond=sign_in_hub(locked_after=2))
    await caller.push("state", {"window": "1", "state": "closed", "ticket": None})
    driver = make(pty.name, {1: caller}, env)
    blank = bytes([0x0A] * 3)
    async with running(driver):
        bus.type_digits(1, "1001")  # the staff number: shown while the PIN is awaited
        await bus.wait_for(lambda: len(bus.shown(1)) == 1)
        assert bus.shown(1)[-1] == bytes([0, 0, 1]) + blank and caller.calls == []
        bus.type_digits(1, "0000")  # a wrong PIN: 401, and a beep (sent after the digits)
        await bus.wait_for(lambda: len(bus.shown(1)) == 2 and bus.beeps(1) == 1)
        assert caller.calls == [("window.open", {"staff": "1001", "pin": "0000"})]
        assert bus.shown(1)[-1] == bytes([4, 0, 1]) + blank and bus.beeps(1) == 1
        bus.type_digits(1, "1001")
        bus.press(1, 0x0E)  # cancel: the staff number is forgotten
        bus.type_digits(1, "4711")  # so these digits are a staff number, not a PIN
        await bus.wait_for(lambda: len(bus.shown(1)) == 5)
        assert bus.shown(1)[-1] == bytes([7, 1, 1]) + blank and len(caller.calls) == 1
        bus.type_digits(1, "1234")  # the PIN of staff "4711": refused, the second failure
        await bus.wait_for(lambda: len(bus.shown(1)) == 6)
        for digits in ("1001", "4711"):  # locked now: 423 and the minutes left
            bus.type_digits(1, digits)
        await bus.wait_for(lambda: len(bus.shown(1)) == 8)
        assert bus.shown(1)[-1] == bytes([4, 2, 3, 0x0A, 1, 5])
        assert caller.calls[-1] == ("window.open", {"staff": "1001", "pin": "4711"})
    pty.close()


async def test_the_right_pin_opens_the_window_and_one_digit_and_confirm_is_a_digit(
    env: DriverEnv,
) -> None:
    pty = Pty()
    bus = FakeKeypadBus(pty)
    caller = FakeLink("caller-1", respond=sign_in_hub(locked_after=99))
    await caller.push("state", {"window": "1", "state": "closed", "ticket": None})
    driver = make(pty.name, {1: caller}, env)
    async with running(driver):
        bus.type_digits(1, "1001")
        bus.type_digits(1, "4711")
        await bus.wait_for(lambda: len(bus.shown(1)) == 2)
        assert caller.calls == [("window.open", {"staff": "1001", "pin": "4711"})]
        assert bus.shown(1)[-1] == bytes([0x0A] * 6)  # signed in: the display clears
        await caller.push("state", {"window": "1", "state": "closed", "ticket": None})
        bus.type_digits(1, "6")  # 6 + confirm is no-show at an open window; here a digit
        await bus.wait_for(lambda: len(bus.shown(1)) == 3)
        assert bus.shown(1)[-1] == bytes([0x0A, 0x0A, 6, 0x0A, 0x0A, 0x0A])
        assert len(caller.calls) == 1
    pty.close()
