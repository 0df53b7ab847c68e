"""BX-6: the manual's example frame, CRC and escaping known answers, commands, the decoder."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.codecs import bx6
from devices.codecs.base import BadFrame
from devices.codecs.errors import CodecError
from tests.codecs import onbon_reference as onbon
from tests.codecs.helpers import check_garbage, cuts_strategy, feed_chunks, noise, split

# The manual's ping example (section 5.5.1), as printed there.
MANUAL_PING = bytes.fromhex(
    "a5 a5 a5 a5 a5 a5 a5 a5 fe ff 00 80 f0 00 fe ff 00 00 00 00 05 00 00 00"
    " 01 A2 00 00 00 C6 86 5a"
)
# The wildcard header every vector below uses: dst FFFE, src 8000, version F0, reserved 00,
# device type FFFE, four reserved bytes, then the data length (little-endian u32).
HEAD = "a5 a5 a5 a5 a5 a5 a5 a5 fe ff 00 80 f0 00 fe ff 00 00 00 00"


def crc_bitwise(data: bytes) -> int:
    """CRC-16/ARC without the table: reflected polynomial A001, initial value 0."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def blank(text: str, area: bx6.DynamicArea) -> bytes:
    return bytes(area.width * area.height // 8)


# ----------------------------------------------------------------------------- known answers


def test_ping_is_the_manual_example_byte_for_byte() -> None:
    assert bx6.encode_ping() == MANUAL_PING


def test_crc16_known_answers() -> None:
    assert bx6.crc16(b"123456789") == 0xBB3D  # the CRC-16/ARC check value
    assert bx6.crc16(b"") == 0
    # The manual's ping: header and data between the start run and the CRC give 86C6.
    assert bx6.crc16(MANUAL_PING[8:-3]) == 0x86C6


@given(st.binary(max_size=300))
def test_crc16_table_matches_bitwise(data: bytes) -> None:
    assert bx6.crc16(data) == crc_bitwise(data)


def test_escape_each_special_byte() -> None:
    assert bx6.escape(b"\xa5") == b"\xa6\x02"
    assert bx6.escape(b"\xa6") == b"\xa6\x01"
    assert bx6.escape(b"\x5a") == b"\x5b\x02"
    assert bx6.escape(b"\x5b") == b"\x5b\x01"
    # An escape's own bytes are not escaped again.
    assert bx6.escape(b"\xa6\x02\x5b\x01") == b"\xa6\x01\x02\x5b\x01\x01"


@pytest.mark.parametrize("bad", [b"\xa6", b"\xa6\x03", b"\x5b\x00", b"\x01\xa5", b"\x5a"])
def test_unescape_refuses_bad_sequences(bad: bytes) -> None:
    with pytest.raises(bx6.Bx6Error):
        bx6.unescape(bad)


@given(st.binary(max_size=300))
def test_escape_round_trip_and_no_markers_inside(data: bytes) -> None:
    escaped = bx6.escape(data)
    assert 0xA5 not in escaped and 0x5A not in escaped
    assert bx6.unescape(escaped) == data


def test_frame_with_every_special_byte_in_the_data() -> None:
    # Data A5 A6 5A 5B, length 4; CRC-16/ARC of header+data is E12F, sent 2F E1; the data
    # escapes to A6 02 A6 01 5B 02 5B 01.
    want = bytes.fromhex(HEAD + " 04 00 00 00 a6 02 a6 01 5b 02 5b 01 2f e1 5a")
    assert crc_bitwise(bytes.fromhex("feff0080f000feff00000000 04000000 a5a65a5b")) == 0xE12F
    frame = bx6.encode_frame(b"\xa5\xa6\x5a\x5b")
    assert frame == want
    assert bx6.parse_frame(frame).data == b"\xa5\xa6\x5a\x5b"


def test_crc_bytes_are_escaped_too() -> None:
    # Find a one-byte data field whose CRC has a byte that must be escaped.
    head = bytes.fromhex("feff0080f000feff00000000 01000000")
    for value in range(256):
        crc = crc_bitwise(head + bytes([value])).to_bytes(2, "little")
        if set(crc) & {0xA5, 0xA6, 0x5A, 0x5B}:
            break
    frame = bx6.encode_frame(bytes([value]))
    assert frame[:-1][-len(bx6.escape(crc)) :] == bx6.escape(crc) != crc
    assert 0xA5 not in frame[8:-1] and 0x5A not in frame[8:-1]
    assert bx6.parse_frame(frame).data == bytes([value])


def test_brightness_manual_mode() -> None:
    # 01 A2 07, DataLen 0x0031 (mode + 48 values), mode 00, level 0F 48 times: 54 (0x36) bytes.
    want = bytes.fromhex(HEAD + " 36 00 00 00 01 a2 07 31 00 00" + " 0f" * 48 + " cc 0b 5a")
    assert bx6.encode_brightness(15) == want


def test_brightness_schedule_and_limits() -> None:
    levels = [i % 16 for i in range(48)]
    data = bx6.parse_frame(bx6.encode_brightness_schedule(levels)).data
    assert data == bytes([0x01, 0xA2, 0x07, 0x31, 0x00, 0x01, *levels])
    with pytest.raises(bx6.Bx6Error):
        bx6.encode_brightness(16)
    with pytest.raises(bx6.Bx6Error):
        bx6.encode_brightness_schedule(levels[:47])


def test_delete_areas() -> None:
    # 01 A7 01, reserved 00 00, DeleteAreaNum 2, ids 00 03: 8 bytes, CRC 9EDA.
    want = bytes.fromhex(HEAD + " 08 00 00 00 01 a7 01 00 00 02 00 03 da 9e 5a")
    assert bx6.encode_delete_areas([0, 3]) == want
    # DeleteAreaNum FF deletes every area and sends no id.
    want_all = bytes.fromhex(HEAD + " 06 00 00 00 01 a7 01 00 00 ff 7b e1 5a")
    assert bx6.encode_delete_areas(None) == want_all
    with pytest.raises(bx6.Bx6Error):
        bx6.encode_delete_areas([])
    with pytest.raises(bx6.Bx6Error):
        bx6.encode_delete_areas([32])


def test_header_fields_are_little_endian() -> None:
    header = bx6.Header(dst=0x0001, device_type=bx6.DEVICE_TYPES["BX-6Q1"])
    frame = bx6.parse_frame(bx6.encode_ping(header))
    assert frame.header == header
    raw = bx6.encode_ping(header)
    assert raw[8:16] == bytes.fromhex("0100 0080 f0 00 6601")


# ----------------------------------------------------------------------------- dynamic areas


def test_update_area_layout_field_by_field() -> None:
    area = bx6.DynamicArea(area_id=2, x=0, y=16, width=64, height=16, timeout_s=30)
    style = bx6.PageStyle(display_mode=bx6.DisplayMode.MOVE_LEFT, speed=3, stay_ms=5000)
    frame = bx6.encode_update_area(area, "请A001号", render=blank, style=style, speak=True)
    data = bx6.parse_frame(frame).data
    assert data[:7] == bytes.fromhex("01 a7 00 0000 0100")  # request, reserved, AreaNum 1
    (area_len,) = struct.unpack_from("<I", data, 7)
    rest = data[11:]
    # AreaDataLen: the area's parameters and its page record, not the 128 bytes of page data.
    assert area_len == 91 == len(rest) - 128
    # AreaId, RunMode, Timeout 30, RelateAllPro 0, RelateProNum 0, ImmePlay 1, reserved ×4,
    # AreaType 10, X 0, Y 16, W 64, H 16, no border, background 0, transparency 0, equal 0.
    assert rest[:25] == bytes.fromhex(
        "02 00 1e00 00 0000 01 00000000 10 0000 1000 4000 1000 00 00 00 00"
    )
    # SoundFlag 1, person 0, volume 5, speed 5, GBK 01, replays 0, delay 0, 3 reserved
    # parameters (digits 1, language 0, style 0), length 8, GBK of 请A001号.
    spoken = bytes.fromhex("c7eb 41 30 30 31 bac5")
    assert (
        rest[25:54]
        == bytes.fromhex("01 00 05 05 01 00000000 00000000 03 01 00 00 08000000") + spoken
    )
    assert rest[54:61] == bytes(5) + b"\x01\x00"  # reserved ×5, PageNum 1
    page = rest[61:91]
    # PageDataLen 26, PageStyle 0, MOVE_LEFT 03, clear 0, speed 3, stay 500 ×10 ms, repeat 1,
    # ValidLen = width 64, reserved ×9, DataOffset 0, DataLen 128.
    assert page == bytes.fromhex("1a000000 00 03 00 03 f401 01 4000") + bytes(9) + bytes.fromhex(
        "00000000 80000000"
    )
    assert rest[91:] == bytes(128)


def test_update_area_is_the_vendor_sdk_frame_byte_for_byte() -> None:
    # Onbon's App example: area 0 at x 64, 64 x 64, linked to program 0, two pages; here with
    # single-colour page data holding bytes that need escaping, on a BX-6Q2 (0266).
    first = bytes(range(256)) * 2
    second = b"\xa5\x5a\xa6\x5b" * 64
    vendor = onbon.VendorArea(
        area_id=0, x=64, y=0, w=64, h=64, attached=[0],
        pages=[onbon.VendorPage(first), onbon.VendorPage(second, disp_mode=0x03, speed=2)],
    )  # fmt: skip
    expected = onbon.pack(onbon.send_dyn_area_fields(vendor), dst=0xFFFE, device_type=0x0266)
    area = bx6.DynamicArea(
        area_id=0, x=64, y=0, width=64, height=64, immediate=False, related_programs=(0,)
    )
    pages = [  # the vendor's page defaults: display mode 00, speed 0, stay 100 x 10 ms
        bx6.Page(first, bx6.PageStyle(bx6.DisplayMode.RANDOM, speed=0, stay_ms=1000)),
        bx6.Page(second, bx6.PageStyle(bx6.DisplayMode.MOVE_LEFT, speed=2, stay_ms=1000)),
    ]
    header = bx6.Header(device_type=bx6.DEVICE_TYPES["BX-6Q2"])
    assert bx6.encode_update_pages(area, pages, header=header) == expected
    # Without the CRC, what the SDK's `BxReq.pack` sends, the frames differ only there.
    bare = onbon.pack(
        onbon.send_dyn_area_fields(vendor), dst=0xFFFE, device_type=0x0266, with_crc=False
    )
    assert bx6.unescape(expected[8:-1])[:-2] == bx6.unescape(bare[8:-1])


def test_update_area_length_counts_parameters_only() -> None:
    area = bx6.DynamicArea(area_id=1, x=0, y=0, width=32, height=16)
    for page_bytes in (4, 64, 1000):
        data = bx6.parse_frame(bx6.encode_update_pages(area, [bx6.Page(b"\x00" * page_bytes)])).data
        (area_len,) = struct.unpack_from("<I", data, 7)
        assert area_len == len(data) - 11 - page_bytes == 63  # 33 area bytes, 30 page


def test_update_pages_offsets_accumulate() -> None:
    area = bx6.DynamicArea(area_id=0, x=0, y=0, width=32, height=8)
    pages = [bx6.Page(b"\x01" * 10), bx6.Page(b"\x02" * 6)]
    data = bx6.parse_frame(bx6.encode_update_pages(area, pages)).data
    assert data.endswith(b"\x01" * 10 + b"\x02" * 6)
    first = data.index(bytes.fromhex("1a000000"))
    second = data.index(bytes.fromhex("1a000000"), first + 1)
    assert data[first + 22 : first + 30] == bytes.fromhex("00000000 0a000000")
    assert data[second + 22 : second + 30] == bytes.fromhex("0a000000 06000000")


def test_text_outside_gbk_is_a_clear_error() -> None:
    area = bx6.DynamicArea(area_id=0, x=0, y=0, width=32, height=16)
    with pytest.raises(bx6.Bx6Error, match=r"U\+1F600.*not in GBK"):
        bx6.encode_update_area(area, "请😀", render=blank, speak=True)
    # Without speech the text is only drawn, so GBK does not matter.
    assert bx6.encode_update_area(area, "请😀", render=blank)


def test_voice_options_and_own_text() -> None:
    area = bx6.DynamicArea(area_id=0, x=0, y=0, width=32, height=16)
    voice = bx6.Voice(text="请A001号到3号窗口", volume=8, repeat=1)
    data = bx6.parse_frame(bx6.encode_update_area(area, "A001", render=blank, voice=voice)).data
    assert "请A001号到3号窗口".encode("gbk") in data
    spoken = bx6.parse_frame(
        bx6.encode_update_area(area, "A002", render=blank, voice=voice, speak=True)
    ).data
    assert b"A002" in spoken and "窗口".encode("gbk") not in spoken


@pytest.mark.parametrize(
    "kwargs",
    [
        {"area_id": 32, "x": 0, "y": 0, "width": 1, "height": 1},
        {"area_id": 0, "x": -1, "y": 0, "width": 1, "height": 1},
        {"area_id": 0, "x": 0, "y": 0, "width": 0, "height": 1},
        {"area_id": 0, "x": 0, "y": 0, "width": 1, "height": 1, "timeout_s": 70000},
    ],
)
def test_area_limits(kwargs: dict[str, int]) -> None:
    with pytest.raises(bx6.Bx6Error):
        bx6.DynamicArea(**kwargs)  # type: ignore[arg-type]


def test_renderer_must_return_data() -> None:
    area = bx6.DynamicArea(area_id=0, x=0, y=0, width=8, height=8)
    with pytest.raises(bx6.Bx6Error, match="no page data"):
        bx6.encode_update_area(area, "A", render=lambda text, a: b"")
    with pytest.raises(bx6.Bx6Error):
        bx6.encode_update_pages(area, [])


# ----------------------------------------------------------------------------- decoding


def test_decoder_ack_nak_reply() -> None:
    # The brightness query's answer: A2 99, 6 data bytes (current value u32, mode, level).
    reply = bx6.encode_frame(bytes.fromhex("00 a2 99 0000 0000 0600 0a000000 00 0f"))
    events = bx6.Decoder().feed(bx6.encode_ack(0x0001) + bx6.encode_nak(19) + reply)
    assert events == [
        bx6.Ack(src=0x0001),
        bx6.Nak(src=bx6.ADDRESS_ANY, error=19),
        bx6.Reply(
            src=bx6.SOURCE_PC,
            group=0xA2,
            cmd=0x99,
            status=0,
            error=0,
            payload=bytes.fromhex("0a000000 00 0f"),
        ),
    ]
    nak = events[1]
    assert isinstance(nak, bx6.Nak)
    assert nak.reason.startswith("ERR_CONTROLLER_ID")


def test_decoder_reports_bad_frames_and_resynchronises() -> None:
    good = bx6.encode_ack()
    corrupt = bytearray(good)
    corrupt[-3] ^= 0xFF  # break the CRC
    cut = good[:20]  # cut short by the next start run
    short_response = bx6.encode_frame(b"\x00\xa0")
    events = bx6.Decoder().feed(b"junk" + bytes(corrupt) + cut + good + short_response + good)
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["BadFrame", "BadFrame", "Ack", "BadFrame", "Ack"]
    bad = events[0]
    assert isinstance(bad, BadFrame) and "CRC" in bad.reason and bad.raw == bytes(corrupt)


def test_decoder_counts_skipped_bytes() -> None:
    decoder = bx6.Decoder()
    assert decoder.feed(b"\x00\x01\x02" + bx6.encode_ack()) == [bx6.Ack(src=bx6.ADDRESS_ANY)]
    assert decoder.skipped == 3


def test_overlong_frame_is_reported_once() -> None:
    decoder = bx6.FrameDecoder(max_body=25)  # a ping body is 23 bytes
    events = decoder.feed(b"\xa5" + b"\x01" * 30 + b"\x5a" + bx6.encode_ping())
    assert [type(e).__name__ for e in events] == ["BadFrame", "Frame"]


@given(
    data=st.binary(max_size=400),
    dst=st.integers(0, 0xFFFF),
    src=st.integers(0, 0xFFFF),
    device=st.integers(0, 0xFFFF),
    cuts=cuts_strategy,
)
def test_frame_round_trip_in_any_chunks(
    data: bytes, dst: int, src: int, device: int, cuts: list[int]
) -> None:
    header = bx6.Header(dst=dst, src=src, device_type=device)
    raw = bx6.encode_frame(data, header)
    assert bx6.parse_frame(raw) == bx6.Frame(header, data)
    assert feed_chunks(bx6.FrameDecoder(), split(raw, cuts)) == [bx6.Frame(header, data)]


@given(
    area_id=st.integers(0, 31),
    width=st.integers(1, 512),
    height=st.integers(1, 64),
    text=st.text(st.characters(codec="gbk"), max_size=20),
)
def test_update_area_frames_decode(area_id: int, width: int, height: int, text: str) -> None:
    area = bx6.DynamicArea(area_id=area_id, x=0, y=0, width=width, height=height)
    raw = bx6.encode_update_area(area, text, render=lambda t, a: b"\xff" * 4, speak=True)
    [frame] = bx6.FrameDecoder().feed(raw)
    assert isinstance(frame, bx6.Frame)
    assert frame.data[:3] == b"\x01\xa7\x00"


FRAGMENTS = [
    b"\xa5",
    b"\x5a",
    b"\xa6\x02",
    b"\x5b\x01",
    b"\xa5" * 8,
    bx6.encode_ack(),
    bx6.encode_nak(3),
    bx6.encode_ping(),
    bx6.encode_ack()[:-1],
]


@given(data=noise(FRAGMENTS), cuts=cuts_strategy)
def test_garbage_in_any_chunks_gives_only_events(data: bytes, cuts: list[int]) -> None:
    check_garbage(bx6.Decoder, data, cuts, (bx6.Ack, bx6.Nak, bx6.Reply))
    check_garbage(bx6.FrameDecoder, data, cuts, (bx6.Frame,))


@given(garbage=noise(FRAGMENTS))
def test_a_good_frame_after_garbage_is_always_found(garbage: bytes) -> None:
    events = bx6.Decoder().feed(garbage + bx6.encode_ack(0x0042))
    assert events[-1] == bx6.Ack(src=0x0042)


def test_errors_are_codec_errors() -> None:
    assert issubclass(bx6.Bx6Error, CodecError)
    with pytest.raises(CodecError):
        bx6.parse_frame(b"\x00")
