"""Fake devices (decoding real frames with the codecs) and a fake contract link for drivers."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devices.codecs import bx6, idcard, lineproto
from devices.codecs import keypad485 as kp
from devices.codecs.base import BadFrame
from hall.contract.device import NoHubKey
from hall.contract.sealing import HubKey, Opener, new_secret, seal

from .ptys import FakeSerialDevice, Pty

# ----------------------------------------------------------------------------- BX-6 card


@dataclass(frozen=True)
class AreaUpdate:
    """An A7 00 request as the card reads it."""

    area_id: int
    x: int
    y: int
    width: int
    height: int
    voice: bytes | None
    pages: list[bytes]


def parse_update_area(data: bytes) -> AreaUpdate:
    """The data field of an A7 00 frame (one area), by the manual's layout."""
    assert data[:3] == b"\x01\xa7\x00", data[:3].hex()
    pos = 3 + 2
    area_count, area_len = struct.unpack_from("<HI", data, pos)
    pos += 6
    assert area_count == 1
    params_end = pos + area_len  # AreaDataLen: parameters and page records, not page data
    area_id, _run, _timeout, _relate_all, related = struct.unpack_from("<BBHBH", data, pos)
    pos += 7 + 2 * related + 1 + 4  # serials, ImmePlay, reserved
    area_type, x, y, width, height = struct.unpack_from("<BHHHH", data, pos)
    pos += 9
    assert area_type == 0x10
    assert data[pos] == 0, "border fields are not expected"
    pos += 1 + 3  # AreaFFlag, BackGroundFlag, Transparency, AreaEqual
    voice = None
    if data[pos]:
        pos += 1 + 4 + 8  # flag, person/volume/speed/mode, replays, delay
        reserved_len = data[pos]
        pos += 1 + reserved_len
        (voice_len,) = struct.unpack_from("<I", data, pos)
        pos += 4
        voice = data[pos : pos + voice_len]
        pos += voice_len
    else:
        pos += 1
    pos += 5
    (page_count,) = struct.unpack_from("<H", data, pos)
    pos += 2
    records = []
    for _ in range(page_count):
        record = struct.unpack_from("<IBBBBHBH9xII", data, pos)
        assert record[0] == 26
        records.append(record)
        pos += 30
    assert pos == params_end, f"AreaDataLen {area_len} != parameters {pos - params_end + area_len}"
    pages = [data[pos + r[-2] : pos + r[-2] + r[-1]] for r in records]
    return AreaUpdate(area_id, x, y, width, height, voice, pages)


class FakeBx6Card(FakeSerialDevice):
    """Takes every A7 00 frame, answers ACK (or the NAK queued in `refuse`)."""

    def __init__(self, pty: Pty) -> None:
        super().__init__(pty)
        self.frames = bx6.FrameDecoder()
        self.updates: list[AreaUpdate] = []
        self.bad: list[BadFrame] = []
        self.refuse: list[int] = []  # NAK error numbers to answer with, in turn

    def handle(self, data: bytes) -> None:
        for item in self.frames.feed(data):
            if isinstance(item, BadFrame):
                self.bad.append(item)
                continue
            self.updates.append(parse_update_area(item.data))
            self.send(bx6.encode_nak(self.refuse.pop(0)) if self.refuse else bx6.encode_ack())


class FakeLineStrip(FakeSerialDevice):
    def __init__(self, pty: Pty) -> None:
        super().__init__(pty)
        self.frames = lineproto.FrameDecoder()
        self.texts: list[lineproto.TextFrame] = []

    def handle(self, data: bytes) -> None:
        for item in self.frames.feed(data):
            if isinstance(item, lineproto.TextFrame):
                self.texts.append(item)
                self.send(lineproto.encode_ack())


class FakePrinter(FakeSerialDevice):
    """Answers DLE EOT n with `status[n]`; everything else is what it printed. A GS v 0 raster
    image is read whole by its header (its dots are never taken for a command, as a printer
    reads them) into `images`: (bytes a row, rows, the dots)."""

    _STARTS = (b"\x1dv0", b"\x10\x04")

    def __init__(self, pty: Pty, status: dict[int, int] | None = None) -> None:
        super().__init__(pty)
        self.status = {1: 0x12, 4: 0x12} if status is None else status
        self.printed = bytearray()
        self.requests: list[int] = []
        self.images: list[tuple[int, int, bytes]] = []
        self._pending = bytearray()

    def handle(self, data: bytes) -> None:
        self._pending += data
        while self._step():
            pass

    def _step(self) -> bool:
        """Take one thing off the pending bytes; False when more bytes are needed."""
        pending = self._pending
        found = [(at, start) for start in self._STARTS if (at := pending.find(start)) >= 0]
        if not found:
            # Keep what may be the start of a command split across reads.
            keep = max(
                (n for start in self._STARTS for n in (1, 2) if pending.endswith(start[:n])),
                default=0,
            )
            self.printed += pending[: len(pending) - keep]
            del pending[: len(pending) - keep]
            return False
        at, start = min(found)
        self.printed += pending[:at]
        del pending[:at]
        if start == b"\x10\x04":
            if len(pending) < 3:
                return False
            n = pending[2]
            del pending[:3]
            self.requests.append(n)
            if n in self.status:
                self.send(bytes([self.status[n]]))
            return True
        if len(pending) < 8:
            return False
        x, y = int.from_bytes(pending[4:6], "little"), int.from_bytes(pending[6:8], "little")
        if len(pending) < 8 + x * y:
            return False
        self.images.append((x, y, bytes(pending[8 : 8 + x * y])))
        self.printed += pending[: 8 + x * y]
        del pending[: 8 + x * y]
        return True

    def raster(self) -> tuple[int, bytes]:
        """Every image printed so far, one under the other: (bytes a row, the dots)."""
        widths = {x for x, _y, _dots in self.images}
        assert len(widths) <= 1, widths
        return (widths.pop() if widths else 0), b"".join(dots for _x, _y, dots in self.images)


class FakeKeypadBus(FakeSerialDevice):
    """The pads of one RS-485 bus: `press` sends a key; `frames` is what the hub sent."""

    def __init__(self, pty: Pty) -> None:
        super().__init__(pty)
        self.decoder = kp.FrameDecoder()
        self.frames: list[kp.KeypadFrame] = []

    def handle(self, data: bytes) -> None:
        for item in self.decoder.feed(data):
            if isinstance(item, kp.KeypadFrame):
                self.frames.append(item)

    def press(self, address: int, key_code: int) -> bytes:
        frame = kp.encode_frame(address, 0x01, bytes([key_code]))
        self.send(frame)
        return frame

    def type_digits(self, address: int, digits: str) -> bytes:
        """Digits typed on the keypad, then its confirm key: one frame, as keypads send it."""
        frame = kp.encode_frame(address, 0x01, bytes(int(c) for c in digits) + bytes([kp.CONFIRM]))
        self.send(frame)
        return frame

    def beeps(self, address: int) -> int:
        return sum(1 for f in self.frames if f.address == address and f.function == kp.FUNC_BEEP)

    def rate(self, address: int, value: int) -> bytes:
        frame = kp.encode_frame(address, kp.FUNC_RATING, bytes([value]))
        self.send(frame)
        return frame

    def shown(self, address: int) -> list[bytes]:
        """The digit cells the hub showed on the keypad at `address`, in order."""
        return [
            f.data for f in self.frames if f.address == address and f.function == kp.FUNC_DISPLAY
        ]


def card_text(
    name: str = "张三丰", id_number: str = "11010519491231002X", address: str = "北京市东城区"
) -> bytes:
    """The 256-byte text block of a card (UCS-2 LE, space padded)."""
    values = {
        "name": name,
        "sex": "1",
        "nation": "01",
        "birth": "19491231",
        "address": address,
        "id_number": id_number,
        "issuer": "北京市公安局东城分局",
        "valid_from": "20200101",
        "valid_to": "20400101",
    }
    block = b"".join(
        values[field].ljust(size // 2).encode("utf-16-le") for field, size in idcard.TEXT_FIELDS
    )
    return block + bytes(idcard.TEXT_LEN - len(block))


class FakeIdReader(FakeSerialDevice):
    """A SAM reader: answers find/select/read for the card in `card` (None: no card)."""

    def __init__(self, pty: Pty, card: bytes | None = None) -> None:
        super().__init__(pty)
        self.card = card
        self.commands: list[tuple[int, int]] = []
        self._buf = bytearray()

    def handle(self, data: bytes) -> None:
        self._buf += data
        while True:
            start = self._buf.find(idcard.PREAMBLE)
            if start < 0 or len(self._buf) < start + 7:
                return
            length = int.from_bytes(self._buf[start + 5 : start + 7], "big")
            end = start + 7 + length
            if len(self._buf) < end:
                return
            frame = bytes(self._buf[start:end])
            del self._buf[:end]
            command = (frame[7], frame[8])
            self.commands.append(command)
            self.send(self.answer(command))

    def answer(self, command: tuple[int, int]) -> bytes:
        if self.card is None:
            return idcard.encode_response(0x80)
        if command == idcard.FIND_CARD:
            return idcard.encode_response(0x9F, b"\x00" * 4)
        if command == idcard.SELECT_CARD:
            return idcard.encode_response(0x90, b"\x00" * 8)
        if command == idcard.READ_CARD:
            body = (256).to_bytes(2, "big") + (1024).to_bytes(2, "big")
            return idcard.encode_response(0x90, body + self.card + bytes(1024))
        return idcard.encode_response(0x21)


# ----------------------------------------------------------------------------- contract link

Responder = Callable[[str, dict[str, Any]], Any]
# The hub a fake link seals ID numbers for: tests open what a driver sent with HUB.open().
HUB = Opener(new_secret())


class FakeLink:
    """A contract device link without a broker: records calls, answers with `respond`."""

    def __init__(
        self,
        device_id: str,
        hall: str = "t",
        respond: Responder | None = None,
        hub_key: HubKey | None = HUB.key,
    ) -> None:
        self.device_id = device_id
        self.hub_key = hub_key
        self.hall = hall
        self.listeners: list[Any] = []
        self.last: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.status: dict[str, Any] = {}
        self.respond = respond or (lambda op, args: {})
        self.changed = asyncio.Event()

    def topic(self, leaf: str) -> str:
        return f"hall/{self.hall}/dev/{self.device_id}/{leaf}"

    async def push(self, topic_or_leaf: str, data: dict[str, Any]) -> None:
        topic = topic_or_leaf if "/" in topic_or_leaf else self.topic(topic_or_leaf)
        self.last[topic] = data
        for listener in list(self.listeners):
            result = listener(topic, data)
            if result is not None:
                await result

    async def call(self, op: str, args: dict[str, Any] | None = None, **kw: Any) -> Any:
        self.calls.append((op, dict(args or {})))
        self.changed.set()
        result = self.respond(op, dict(args or {}))
        if isinstance(result, BaseException):
            raise result
        return result

    async def seal_id(self, id_no: str, timeout: float = 5.0) -> str:
        if self.hub_key is None:
            raise NoHubKey(f"{self.device_id}: the hub has published no key")
        return seal(self.hub_key, id_no)

    def update_status(self, **fields: Any) -> None:
        self.status.update(fields)
        self.changed.set()
