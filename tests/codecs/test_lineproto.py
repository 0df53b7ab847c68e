"""Line-protocol LED strips: a hand-computed frame, round trips, ACK/NAK, garbage."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.codecs import lineproto
from devices.codecs.base import BadFrame
from tests.codecs.helpers import check_garbage, cuts_strategy, feed_chunks, noise, split

# 请A001号 to address 01. GBK: 请 C7 EB, A001 41 30 30 31, 号 BA C5.
# Checksum = 01^C7^EB^41^30^30^31^BA^C5: 01^C7=C6, ^EB=2D, ^41=6C, ^30=5C, ^30=6C, ^31=5D,
# ^BA=E7, ^C5=22.
VECTOR = bytes.fromhex("02 01 c7 eb 41 30 30 31 ba c5 03 22")

gbk_text = st.text(
    st.characters(codec="gbk", min_codepoint=0x20, exclude_characters="\x7f"), max_size=40
)


def test_hand_computed_frame() -> None:
    assert lineproto.encode_text(1, "请A001号") == VECTOR
    assert lineproto.parse_frame(VECTOR) == lineproto.TextFrame(1, "请A001号")


def test_empty_text_and_address_bytes_that_look_like_markers() -> None:
    # Address 02, no text: 02 02 03 and the checksum is the address alone.
    assert lineproto.encode_text(2, "") == bytes.fromhex("02 02 03 02")
    events = lineproto.FrameDecoder().feed(bytes.fromhex("02 03 03 03") + VECTOR)
    assert events == [lineproto.TextFrame(3, ""), lineproto.TextFrame(1, "请A001号")]


@pytest.mark.parametrize(("text", "match"), [("请😀", "not in GBK"), ("A\x03B", "control")])
def test_unsendable_text_is_a_clear_error(text: str, match: str) -> None:
    with pytest.raises(lineproto.LineProtoError, match=match):
        lineproto.encode_text(1, text)


def test_address_range() -> None:
    with pytest.raises(lineproto.LineProtoError):
        lineproto.encode_text(256, "A")


def test_replies() -> None:
    decoder = lineproto.Decoder()
    assert decoder.feed(b"\x06\x00\x15") == [lineproto.Ack(), lineproto.Nak()]
    assert decoder.skipped == 1
    assert lineproto.encode_ack() == b"\x06" and lineproto.encode_nak() == b"\x15"


def test_bad_frames_are_reported_and_skipped() -> None:
    bad_sum = VECTOR[:-1] + b"\x00"
    cut = VECTOR[:5]
    events = lineproto.FrameDecoder().feed(b"zz" + bad_sum + cut + VECTOR)
    assert [type(e) for e in events] == [BadFrame, BadFrame, lineproto.TextFrame]
    first = events[0]
    assert isinstance(first, BadFrame) and "checksum" in first.reason and first.raw == bad_sum


def test_overlong_text_is_reported_once() -> None:
    decoder = lineproto.FrameDecoder(max_text=4)
    events = decoder.feed(b"\x02\x01" + b"A" * 10 + b"\x03\x55" + lineproto.encode_text(1, "AB"))
    assert [type(e) for e in events] == [BadFrame, lineproto.TextFrame]


@given(address=st.integers(0, 255), text=gbk_text, cuts=cuts_strategy)
def test_round_trip_in_any_chunks(address: int, text: str, cuts: list[int]) -> None:
    raw = lineproto.encode_text(address, text)
    assert lineproto.parse_frame(raw) == lineproto.TextFrame(address, text)
    events = feed_chunks(lineproto.FrameDecoder(), split(raw, cuts))
    assert events == [lineproto.TextFrame(address, text)]


FRAGMENTS = [b"\x02", b"\x03", b"\x06", b"\x15", VECTOR, VECTOR[:4]]


@given(data=noise(FRAGMENTS), cuts=cuts_strategy)
def test_garbage_in_any_chunks_gives_only_events(data: bytes, cuts: list[int]) -> None:
    check_garbage(lineproto.FrameDecoder, data, cuts, (lineproto.TextFrame,))
    check_garbage(lineproto.Decoder, data, cuts, (lineproto.Ack, lineproto.Nak))


@given(garbage=noise(FRAGMENTS))
def test_a_good_frame_after_garbage_is_always_found(garbage: bytes) -> None:
    # A frame may be waiting for its checksum at the end of the garbage: one byte closes it.
    events = lineproto.FrameDecoder().feed(garbage + b"\x00" + VECTOR)
    assert events[-1] == lineproto.TextFrame(1, "请A001号")
