"""RS-485 keypads: the production system's frames byte for byte, keys, ratings, garbage."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.codecs import keypad485 as kp
from devices.codecs.base import BadFrame
from tests.codecs.helpers import check_garbage, cuts_strategy, feed_chunks, noise, split

CONTRACT_OPS = {
    "call.next",
    "call.recall",
    "call.no_show",
    "ticket.start",
    "ticket.finish",
    "ticket.transfer",
    "window.pause",
    "window.resume",
    "window.open",
    "window.close",
}


def frame(text: str) -> bytes:
    return bytes.fromhex(text)


# ----------------------------------------------------------------------------- hub → keypad


def test_show_ticket_as_the_production_system_sends_it() -> None:
    # Ticket A001 to keypad 1: L 08 (address, function, 6 digits), function 02, left half
    # blank 0A 0A 0A, right half 0 0 1; checksum 01+02+0A+0A+0A+00+00+01 = 0x22.
    want = frame("ff 68 08 08 68 01 02 0a 0a 0a 00 00 01 22 16")
    assert kp.encode_show_ticket(1, "A001") == want


def test_show_waiting_count() -> None:
    # 12 waiting, keypad 1: left half 0 1 2, right half blank; 01+02+00+01+02+1E = 0x24.
    assert kp.encode_show_waiting(1, 12) == frame("ff 68 08 08 68 01 02 00 01 02 0a 0a 0a 24 16")
    assert kp.encode_show_waiting(1, 5000)[7:10] == bytes([9, 9, 9])


def test_beep_open_rating_and_stars() -> None:
    assert kp.encode_beep(5) == frame("ff 68 02 02 68 05 03 08 16")  # 05+03 = 08
    assert kp.encode_open_rating(5) == frame("ff 68 03 03 68 05 01 0b 11 16")  # 05+01+0B
    assert kp.encode_set_stars(5, 5) == frame("ff 68 03 03 68 05 02 05 0c 16")  # 05+02+05


def test_display_limits() -> None:
    with pytest.raises(kp.KeypadError):
        kp.encode_show_digits(1, "1234")
    with pytest.raises(kp.KeypadError):
        kp.encode_show_ticket(1, "ABC")
    with pytest.raises(kp.KeypadError):
        kp.encode_set_stars(1, 6)
    with pytest.raises(kp.KeypadError):
        kp.encode_frame(256, 1)


# ----------------------------------------------------------------------------- keypad → hub


CALL_FROM_3 = frame("ff 68 03 03 68 03 01 0c 10 16")  # 03+01+0C = 0x10
NO_SHOW_FROM_3 = frame("ff 68 04 04 68 03 01 06 0f 19 16")  # 6 then confirm: 03+01+06+0F
RATING_2_FROM_7 = frame("ff 68 03 03 68 07 11 02 1a 16")  # rating pad: 07+11+02 = 0x1A


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ("0c", kp.Key.CALL),
        ("0d", kp.Key.RECALL),
        ("0b", kp.Key.RATE),
        ("0e", kp.Key.CANCEL),
        ("11", kp.Key.ONE_METRE),
        ("12", kp.Key.PAUSE),
        ("13", kp.Key.TRANSFER),
        ("06 0f", kp.Key.NO_SHOW),
        ("00 0f", kp.Key.HOLD),
        ("03 0f", kp.Key.CALL_BACK),
        ("01 0f", kp.Key.START),
        ("09 0f", kp.Key.CLOSE),
    ],
)
def test_keys(data: str, key: kp.Key) -> None:
    raw = kp.encode_frame(9, 0x01, bytes.fromhex(data))
    assert kp.Decoder().feed(raw) == [kp.KeyPress(9, key, 0x01, bytes.fromhex(data))]


def test_hand_computed_key_frames() -> None:
    events = kp.Decoder().feed(CALL_FROM_3 + NO_SHOW_FROM_3)
    assert [e.key for e in events if isinstance(e, kp.KeyPress)] == [kp.Key.CALL, kp.Key.NO_SHOW]


@pytest.mark.parametrize("data", ["05", "", "01 0c 0f"])
def test_unknown_keys(data: str) -> None:
    raw = kp.encode_frame(9, 0x01, bytes.fromhex(data))
    assert kp.Decoder().feed(raw) == [kp.UnknownKey(9, 0x01, bytes.fromhex(data))]


@pytest.mark.parametrize(
    ("data", "digits"), [("02 0f", "2"), ("06 06 0f", "66"), ("01 00 00 01 0f", "1001"), ("0f", "")]
)
def test_digits_typed_and_confirmed_are_a_digit_entry(data: str, digits: str) -> None:
    raw = kp.encode_frame(9, 0x01, bytes.fromhex(data))
    assert kp.Decoder().feed(raw) == [kp.DigitEntry(9, digits, 0x01, bytes.fromhex(data))]
    assert kp.typed_digits(bytes.fromhex(data)) == digits


def test_rating_and_its_answer() -> None:
    [event] = kp.Decoder().feed(RATING_2_FROM_7)
    assert event == kp.Rating(address=7, level=4, value=2, data=b"\x02")
    # The production system answers a rating with function 01 and the value, its checksum
    # being the received one less 0x10: 0x1A - 0x10 = 0x0A.
    parsed = kp.parse_frame(RATING_2_FROM_7)
    assert kp.encode_ack(parsed) == frame("ff 68 03 03 68 07 01 02 0a 16")


def test_other_frames_are_acknowledged_by_echo() -> None:
    assert kp.encode_ack(kp.parse_frame(CALL_FROM_3)) == CALL_FROM_3


def test_four_key_mapping_and_unknown_values() -> None:
    levels = [kp.Decoder().feed(kp.encode_frame(1, 0x11, bytes([v])))[0] for v in range(4)]
    assert [e.level for e in levels if isinstance(e, kp.Rating)] == [2, 3, 4, 5]
    [bad] = kp.Decoder().feed(kp.encode_frame(1, 0x11, b"\x07"))
    assert isinstance(bad, BadFrame) and "rating value 7" in bad.reason
    five = kp.Decoder(rating_map={v: v + 1 for v in range(5)})
    assert five.feed(kp.encode_frame(1, 0x11, b"\x04")) == [kp.Rating(1, 5, 4, b"\x04")]
    with pytest.raises(kp.KeypadError):
        kp.Decoder(rating_map={0: 6})


def test_key_to_op_names_contract_operations() -> None:
    assert set(kp.KEY_TO_OP.values()) <= CONTRACT_OPS
    assert kp.KEY_TO_OP[kp.Key.CALL] == "call.next"
    assert kp.KEY_TO_OP[kp.Key.RECALL] == "call.recall"
    assert kp.KEY_TO_OP[kp.Key.NO_SHOW] == "call.no_show"


def test_bad_frames_are_reported_and_the_next_one_found() -> None:
    bad_sum = bytearray(CALL_FROM_3)
    bad_sum[-2] ^= 0x01
    bad_end = bytearray(CALL_FROM_3)
    bad_end[-1] = 0x17
    events = kp.Decoder().feed(b"\x00\xff" + bytes(bad_sum) + bytes(bad_end) + CALL_FROM_3)
    assert [type(e) for e in events] == [BadFrame, BadFrame, kp.KeyPress]
    first = events[0]
    assert isinstance(first, BadFrame) and "checksum" in first.reason


def test_header_with_differing_lengths_is_skipped() -> None:
    decoder = kp.Decoder()
    events = decoder.feed(frame("ff 68 03 04 68") + CALL_FROM_3)
    assert events == [kp.KeyPress(3, kp.Key.CALL, 0x01, b"\x0c")]
    assert decoder.skipped == 5


def test_a_false_header_does_not_hide_a_real_frame() -> None:
    # FF 68 05 05 68 promises 12 bytes; the real frame starts inside them.
    stream = frame("ff 68 05 05 68") + CALL_FROM_3 + bytes(8)
    events = kp.Decoder().feed(stream)
    assert [type(e) for e in events] == [BadFrame, kp.KeyPress]


@given(
    address=st.integers(0, 255),
    function=st.integers(0, 255),
    data=st.binary(max_size=14),
    cuts=cuts_strategy,
)
def test_round_trip_in_any_chunks(
    address: int, function: int, data: bytes, cuts: list[int]
) -> None:
    raw = kp.encode_frame(address, function, data)
    want = kp.KeypadFrame(address, function, data)
    assert kp.parse_frame(raw) == want
    assert feed_chunks(kp.FrameDecoder(), split(raw, cuts)) == [want]


FRAGMENTS = [b"\xff", b"\xff\x68", frame("ff 68 03 03 68"), CALL_FROM_3, RATING_2_FROM_7, b"\x16"]


@given(data=noise(FRAGMENTS), cuts=cuts_strategy)
def test_garbage_in_any_chunks_gives_only_events(data: bytes, cuts: list[int]) -> None:
    check_garbage(kp.Decoder, data, cuts, (kp.KeyPress, kp.Rating, kp.UnknownKey))
    check_garbage(kp.FrameDecoder, data, cuts, (kp.KeypadFrame,))


@given(garbage=st.binary(max_size=200).map(lambda b: b.replace(b"\xff", b"")))
def test_a_good_frame_after_garbage_without_headers_is_found(garbage: bytes) -> None:
    assert kp.Decoder().feed(garbage + CALL_FROM_3)[-1] == kp.KeyPress(
        3, kp.Key.CALL, 0x01, b"\x0c"
    )
