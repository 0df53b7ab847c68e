"""RS-485 caller keypads and rating pads: one bus, many pads, each bound to a contract device.

`devices = {"1" = "caller-1", "2" = "eval-1"}` binds bus addresses to devices (a keypad to a
`caller`, a rating pad to an `evaluator` of the same window). Every well-formed frame from a
bound address is answered as the pads expect (its echo; a rating: function 01 and the value).
A key becomes its hall operation (`keypad485.KEY_TO_OP`) for that device; a paused window is
resumed first (keypads have no resume key; the pause key on a paused window resumes it).
After a call or recall the keypad shows the called number (blank: nobody waiting). A rating
becomes `eval.submit` for the ticket being served at the window, or else the last one served
there, as the device's retained `state` told.

A clerk signs in at a closed window with digits (staff number, confirm, PIN, confirm): the
keypad shows the staff number's last three digits while it waits for the PIN, then the
driver asks `window.open` with `staff` and `pin` (confirm alone, without a PIN, for a hall
that signs in without one). Signed in, the display clears; refused, it beeps and shows an
error code on its left half: `401` wrong staff number or PIN, `423` locked (the right half:
minutes left), `400` anything else. The cancel key, or `PIN_WAIT_S` without a PIN, forgets
the staff number. The PIN is never logged or shown.

Options: `pause_reason` (the reason a keypad's pause key gives, "暂时离开"),
`transfer_service` (the service the transfer key sends a ticket to; without it the key is
ignored), `show_ticket` (true).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devices.codecs import keypad485 as kp
from devices.drivers.base import (
    Binding,
    DriverEnv,
    DriverInfo,
    HallLink,
    PortSpec,
    SerialDriver,
    SerialPort,
    Throttle,
)
from devices.drivers.options import OptionError, Options
from hall.contract.device import DeviceError, RequestTimeout

OPTION_KEYS = ("pause_reason", "transfer_service", "show_ticket")
QUEUE_PER_PAD = 8
SHOWN_AFTER = frozenset({"call.next", "call.recall"})
PIN_WAIT_S = 60.0  # a staff number typed waits this long for its PIN
# The codes a keypad shows when a sign-in is refused (its display has digits only).
SIGN_IN_CODES = {"bad_credentials": "401", "account_locked": "423"}
OTHER_REFUSAL = "400"
Entry = kp.KeyPress | kp.Rating | kp.DigitEntry


@dataclass(frozen=True)
class KeypadOptions:
    pause_reason: str = "暂时离开"
    transfer_service: str | None = None
    show_ticket: bool = True


def parse_options(raw: Mapping[str, Any]) -> KeypadOptions:
    opts = Options(raw, OPTION_KEYS)
    service = opts.optional_string("transfer_service", max_len=1)
    if service is not None and not ("A" <= service <= "Z"):
        raise OptionError(
            "transfer_service", f'expected a service code such as "B", got "{service}"'
        )
    return KeypadOptions(
        pause_reason=opts.string("pause_reason", "暂时离开", max_len=64),
        transfer_service=service,
        show_ticket=opts.boolean("show_ticket", True),
    )


class Pad:
    """One address on the bus: its device's link and what its window's state says."""

    def __init__(self, address: int, link: HallLink) -> None:
        self.address = address
        self.link = link
        self.state: dict[str, Any] = {}
        self.last_in_hand: str | None = None
        self.last_served: str | None = None
        self.staff_typed: str | None = None  # a staff number waiting for its PIN
        self.staff_typed_at = 0.0
        link.listeners.append(self._on_message)

    def _on_message(self, topic: str, data: dict[str, Any]) -> None:
        if topic != self.link.topic("state"):
            return
        self.state = data
        ticket = data.get("ticket")
        if isinstance(ticket, str):
            self.last_in_hand = ticket
            if data.get("ticket_state") == "serving":
                self.last_served = ticket

    @property
    def paused(self) -> bool:
        return self.state.get("state") == "paused"

    @property
    def closed(self) -> bool:
        """Nobody signed in: digits typed are a sign-in."""
        return bool(self.state.get("state", "closed") == "closed")

    def ticket_to_rate(self) -> str | None:
        ticket = self.state.get("ticket")
        if isinstance(ticket, str) and self.state.get("ticket_state") == "serving":
            return ticket
        return self.last_served or self.last_in_hand


class Keypad485Driver(SerialDriver):
    def __init__(
        self, spec: PortSpec, binding: Binding, options: KeypadOptions, env: DriverEnv
    ) -> None:
        super().__init__(spec, binding)
        self.options = options
        self.pads = {
            address: Pad(address, binding.links[device])
            for address, device in binding.addresses.items()
        }
        self._unknown_log = Throttle(60.0)

    async def session(self, port: SerialPort) -> None:
        queues: dict[int, asyncio.Queue[Entry]] = {
            address: asyncio.Queue(QUEUE_PER_PAD) for address in self.pads
        }
        async with asyncio.TaskGroup() as group:
            group.create_task(self._read(port, queues))
            for address, queue in queues.items():
                group.create_task(self._work(port, self.pads[address], queue))

    async def _read(self, port: SerialPort, queues: Mapping[int, asyncio.Queue[Entry]]) -> None:
        decoder = kp.Decoder()
        while True:
            for event in decoder.feed(await port.read()):
                if isinstance(event, kp.BadFrame):
                    self.bad_frame(event)
                    continue
                queue = queues.get(event.address)
                if queue is None:
                    if self._unknown_log.allow():
                        self.log.warning(
                            "%s: a pad at address %d is not in this entry's devices; add it",
                            self.label,
                            event.address,
                        )
                    continue
                await port.write(kp.encode_ack(self._frame_of(event)))
                if isinstance(event, kp.UnknownKey):
                    self.log.debug("%s: pad %d sent %s", self.label, event.address, event.data)
                    continue
                try:
                    queue.put_nowait(event)
                except asyncio.QueueFull:
                    self.log.warning("%s: pad %d: too many keys at once", self.label, event.address)

    @staticmethod
    def _frame_of(event: Entry | kp.UnknownKey) -> kp.KeypadFrame:
        function = kp.FUNC_RATING if isinstance(event, kp.Rating) else event.function
        return kp.KeypadFrame(event.address, function, event.data)

    async def _work(self, port: SerialPort, pad: Pad, queue: asyncio.Queue[Entry]) -> None:
        while True:
            event = await queue.get()
            if isinstance(event, kp.Rating):
                await self.rate(pad, event)
            elif isinstance(event, kp.DigitEntry):
                await self.sign_in(port, pad, event.digits)
            elif pad.closed and event.key in (kp.Key.CANCEL, *kp.CONFIRM_COMBINATIONS.values()):
                if event.key is kp.Key.CANCEL:
                    pad.staff_typed = None
                    await port.write(kp.encode_show_digits(pad.address))
                else:  # one digit and confirm, at a closed window: a sign-in's digits
                    await self.sign_in(port, pad, kp.typed_digits(event.data) or "")
            else:
                await self.key(port, pad, event.key)

    async def key(self, port: SerialPort, pad: Pad, key: kp.Key) -> None:
        op = kp.KEY_TO_OP.get(key)
        if op is None:
            self.log.info(
                "%s: %s: the %s key has no hall operation", self.label, pad.link.device_id, key
            )
            return
        args: dict[str, Any] = {}
        if key is kp.Key.PAUSE:
            args = {"reason": self.options.pause_reason}
        elif key is kp.Key.TRANSFER:
            if self.options.transfer_service is None:
                self.log.info("%s: transfer key ignored: no transfer_service option", self.label)
                return
            args = {"service": self.options.transfer_service}
        if pad.paused:
            resumed = await self.call(pad, "window.resume", {})
            if key is kp.Key.PAUSE or resumed is None:
                return
        result = await self.call(pad, op, args)
        if op in SHOWN_AFTER and self.options.show_ticket and result is not None:
            ticket = result.get("ticket") if isinstance(result, dict) else None
            if isinstance(ticket, dict) and isinstance(ticket.get("no"), str):
                frame = kp.encode_show_ticket(pad.address, ticket["no"])
            else:
                frame = kp.encode_show_digits(pad.address)  # blank: nobody waiting
            await port.write(frame)

    async def sign_in(self, port: SerialPort, pad: Pad, digits: str) -> None:
        """The staff number, then the PIN: `window.open` once both are typed."""
        if not pad.closed:
            self.log.info("%s: %s: digits typed at an open window", self.label, pad.link.device_id)
            return
        now = asyncio.get_running_loop().time()
        if pad.staff_typed is None or now - pad.staff_typed_at > PIN_WAIT_S:
            pad.staff_typed = None
            if digits:
                pad.staff_typed, pad.staff_typed_at = digits, now
                await port.write(kp.encode_show_digits(pad.address, digits[-3:], ""))
            return
        args: dict[str, Any] = {"staff": pad.staff_typed}
        if digits:
            args["pin"] = digits
        pad.staff_typed = None
        device = pad.link.device_id
        try:
            await pad.link.call("window.open", args)
        except DeviceError as exc:
            self.log.info("%s: %s: sign-in of %s refused: %s", self.label, device,
                          args["staff"], exc.code)  # fmt: skip
            minutes = ""
            if exc.code == "account_locked" and exc.retry_after_s:
                minutes = str(min(999, -(-exc.retry_after_s // 60)))
            code = SIGN_IN_CODES.get(exc.code, OTHER_REFUSAL)
            await port.write(kp.encode_show_digits(pad.address, code, minutes))
            await port.write(kp.encode_beep(pad.address))
            return
        except RequestTimeout:
            self.log.warning("%s: %s window.open: the hub did not answer", self.label, device)
            await port.write(kp.encode_show_digits(pad.address, OTHER_REFUSAL, ""))
            return
        self.log.info("%s: %s: staff %s signed in", self.label, device, args["staff"])
        await port.write(kp.encode_show_digits(pad.address))

    async def rate(self, pad: Pad, rating: kp.Rating) -> None:
        ticket = pad.ticket_to_rate()
        if ticket is None:
            self.log.info("%s: %s: a rating, but no ticket to rate", self.label, pad.link.device_id)
            return
        await self.call(pad, "eval.submit", {"ticket": ticket, "level": rating.level})

    async def call(self, pad: Pad, op: str, args: dict[str, Any]) -> Any | None:
        """`op` for the pad's device; None when the hub refused it or did not answer."""
        device = pad.link.device_id
        try:
            result = await pad.link.call(op, args)
        except DeviceError as exc:
            self.log.info("%s: %s %s refused: %s", self.label, device, op, exc)
            return None
        except RequestTimeout:
            self.log.warning("%s: %s %s: the hub did not answer", self.label, device, op)
            return None
        self.log.info("%s: %s %s done", self.label, device, op)
        return result if result is not None else {}


INFO = DriverInfo(name="keypad485", parse_options=parse_options, create=Keypad485Driver, bus=True)
