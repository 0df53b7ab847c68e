"""RS-485 caller keypads and rating pads: one bus, many pads, each bound to a contract device.

`devices = {"1" = "caller-1", "2" = "eval-1"}` binds bus addresses to devices (a keypad to a
`caller`, a rating pad to an `evaluator` of the same window). Every well-formed frame from a
bound address is answered as the pads expect (its echo; a rating: function 01 and the value).
A key becomes its hall operation (`keypad485.KEY_TO_OP`) for that device; a paused window is
resumed first (keypads have no resume key; the pause key on a paused window resumes it).
After a call or recall the keypad shows the called number (blank: nobody waiting). A rating
becomes `eval.submit` for the ticket being served at the window, or else the last one served
there, as the device's retained `state` told.

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
from hall.device_link import DeviceError, RequestTimeout

OPTION_KEYS = ("pause_reason", "transfer_service", "show_ticket")
QUEUE_PER_PAD = 8
SHOWN_AFTER = frozenset({"call.next", "call.recall"})


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
        queues: dict[int, asyncio.Queue[kp.KeyPress | kp.Rating]] = {
            address: asyncio.Queue(QUEUE_PER_PAD) for address in self.pads
        }
        async with asyncio.TaskGroup() as group:
            group.create_task(self._read(port, queues))
            for address, queue in queues.items():
                group.create_task(self._work(port, self.pads[address], queue))

    async def _read(
        self, port: SerialPort, queues: Mapping[int, asyncio.Queue[kp.KeyPress | kp.Rating]]
    ) -> None:
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
    def _frame_of(event: kp.KeyPress | kp.Rating | kp.UnknownKey) -> kp.KeypadFrame:
        function = kp.FUNC_RATING if isinstance(event, kp.Rating) else event.function
        return kp.KeypadFrame(event.address, function, event.data)

    async def _work(
        self, port: SerialPort, pad: Pad, queue: asyncio.Queue[kp.KeyPress | kp.Rating]
    ) -> None:
        while True:
            event = await queue.get()
            if isinstance(event, kp.Rating):
                await self.rate(pad, event)
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
