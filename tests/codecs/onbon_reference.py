"""A7 00 frames built step by step the way Onbon's SDK builds them, to compare byte for byte.

Onbon's dynamic-area SDK (GitHub onbonlab/bx.dual.dyn.java) appends values one by one to a
little-endian byte list (`BxByteArray`). This module follows its classes step for step, written
independently of `devices.codecs.bx6_area` so that a change there that departs from the
vendor's layout fails the comparison:

- `BxAreaDynamic.build` -> `area_para_and_data`: the area's parameters with every page's
  record, and the pages' data apart;
- `BxPage.buildPara` -> `page_para`;
- `BxReqSendDynArea.build` -> `send_dyn_area_fields`: reserved u16, AreaNum u16 = 1,
  `para.length` as u32, the parameters, the data;
- `BxReq.pack` -> `pack`: the 12 header bytes of `BxFrameHeader.build`, DataLen = fields + 3,
  RtnReq 1, group A7, command 00, then `BxFrameWrapper.wrap`. The SDK's `pack` sends no CRC;
  the manual's frame carries CRC-16 (its `BxUtils.CRC16` table) before the end marker, which
  `pack` adds when `with_crc` is true.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class ByteList:
    """`BxByteArray`: bytes, shorts and ints appended little-endian."""

    def __init__(self) -> None:
        self.out = bytearray()

    def byte(self, value: int) -> None:
        self.out.append(value & 0xFF)

    def short(self, value: int) -> None:
        self.out += (value & 0xFFFF).to_bytes(2, "little")

    def int32(self, value: int) -> None:
        self.out += (value & 0xFFFFFFFF).to_bytes(4, "little")

    def raw(self, data: bytes) -> None:
        self.out += data


@dataclass
class VendorPage:
    """`BxPage` fields, with the page's finished dot-matrix data."""

    data: bytes
    disp_mode: int = 0x00
    clear_mode: int = 0x00
    speed: int = 0x00
    hold_time: int = 100  # 10 ms units
    repeat_time: int = 0x01


@dataclass
class VendorArea:
    """`BxAreaDynamic` fields."""

    area_id: int
    x: int
    y: int
    w: int
    h: int
    run_mode: int = 0
    timeout: int = 0
    attach_to_all: bool = False
    attached: list[int] = field(default_factory=list)
    stop_pro_to_play: bool = False
    pages: list[VendorPage] = field(default_factory=list)


def page_para(page: VendorPage, w: int) -> bytes:
    out = ByteList()
    out.byte(0x00)  # page type
    out.byte(page.disp_mode)
    out.byte(page.clear_mode)
    out.byte(page.speed)
    out.short(page.hold_time)
    out.byte(page.repeat_time)
    out.short(w)  # valid length: the area width
    out.raw(bytes(9))
    return bytes(out.out)


def area_para_and_data(area: VendorArea) -> tuple[bytes, bytes]:
    out = ByteList()
    out.byte(area.area_id)
    out.byte(area.run_mode)
    out.short(area.timeout)
    out.byte(int(area.attach_to_all))
    out.short(len(area.attached))
    for serial in area.attached:
        out.short(serial)
    out.byte(int(area.stop_pro_to_play))
    out.raw(bytes(4))
    out.byte(0x10)
    for value in (area.x, area.y, area.w, area.h):
        out.short(value)
    out.byte(0)  # frame flag
    out.byte(0)  # background
    out.byte(0)  # transparency
    out.byte(0)  # areaEqual
    out.byte(0)  # voice off
    out.raw(bytes(5))
    out.short(len(area.pages))
    data = ByteList()
    offset = 0
    for page in area.pages:
        para = page_para(page, area.w)
        out.int32(len(para) + 8)
        out.raw(para)
        out.int32(offset)
        out.int32(len(page.data))
        offset += len(page.data)
        data.raw(page.data)
    return bytes(out.out), bytes(data.out)


def send_dyn_area_fields(area: VendorArea) -> bytes:
    para, data = area_para_and_data(area)
    out = ByteList()
    out.raw(bytes(2))
    out.short(0x01)
    out.int32(len(para))
    out.raw(para)
    out.raw(data)
    return bytes(out.out)


def crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def wrap(src: bytes) -> bytes:
    out = bytearray(b"\xa5" * 8)
    for byte in src:
        if byte == 0xA5:
            out += b"\xa6\x02"
        elif byte == 0xA6:
            out += b"\xa6\x01"
        elif byte == 0x5A:
            out += b"\x5b\x02"
        elif byte == 0x5B:
            out += b"\x5b\x01"
        else:
            out.append(byte)
    out.append(0x5A)
    return bytes(out)


def pack(
    fields: bytes,
    *,
    dst: int,
    device_type: int,
    group: int = 0xA7,
    cmd: int = 0x00,
    with_crc: bool = True,
) -> bytes:
    out = ByteList()
    out.short(dst)
    out.short(0x8000)
    out.byte(0xF0)
    out.byte(0x00)
    out.short(device_type)
    out.raw(bytes(4))
    out.int32(len(fields) + 3)
    out.byte(1)  # return wanted
    out.byte(group)
    out.byte(cmd)
    out.raw(fields)
    body = bytes(out.out)
    if with_crc:
        body += crc16(body).to_bytes(2, "little")
    return wrap(body)
