"""ID card readers: command vectors from reader sources, responses, the card text, privacy."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.codecs import idcard
from devices.codecs.base import BadFrame
from tests.codecs.helpers import check_garbage, cuts_strategy, feed_chunks, noise, split

# GB 11643's own example number: not a real person's.
ID_NUMBER = "11010519491231002X"


def text_block(
    name: str = "张三丰",
    sex: str = "1",
    nation: str = "01",
    birth: str = "19491231",
    address: str = "北京市朝阳区示例路1号",
    id_number: str = ID_NUMBER,
    issuer: str = "北京市公安局朝阳分局",
    valid_from: str = "20200101",
    valid_to: str = "长期",
) -> bytes:
    fields = [name, sex, nation, birth, address, id_number, issuer, valid_from, valid_to]
    sizes = [size for _, size in idcard.TEXT_FIELDS]
    block = b"".join(
        v.ljust(size // 2).encode("utf-16-le") for v, size in zip(fields, sizes, strict=True)
    )
    return block + b" \x00" * 18  # 36 reserved bytes


def read_answer(block: bytes) -> bytes:
    # SW 00 00 90, text length 0100, photo length 0400, text, photo: 3+4+256+1024+1 = 1288.
    return idcard.encode_response(0x90, bytes.fromhex("0100 0400") + block + bytes(1024))


# ----------------------------------------------------------------------------- commands


@pytest.mark.parametrize(
    ("command", "want"),
    [
        # Each as the reference reader sources send it; len 0003 counts cmd, para, checksum;
        # checksum = 00^03^cmd^para.
        (idcard.FIND_CARD, "aa aa aa 96 69 00 03 20 01 22"),
        (idcard.SELECT_CARD, "aa aa aa 96 69 00 03 20 02 21"),
        (idcard.READ_CARD, "aa aa aa 96 69 00 03 30 01 32"),
        (idcard.SAM_STATUS, "aa aa aa 96 69 00 03 11 ff ed"),
        (idcard.RESET_SAM, "aa aa aa 96 69 00 03 10 ff ec"),
    ],
)
def test_command_vectors(command: tuple[int, int], want: str) -> None:
    assert idcard.encode_command(command) == bytes.fromhex(want)


def test_command_limits() -> None:
    with pytest.raises(idcard.IdCardError):
        idcard.encode_command((0x100, 0))


# ----------------------------------------------------------------------------- responses


def test_find_card_answers() -> None:
    found = bytes.fromhex("aa aa aa 96 69 00 04 00 00 9f 9b")  # 00^04^00^00^9F = 9B
    none = bytes.fromhex("aa aa aa 96 69 00 04 00 00 80 84")  # 00^04^00^00^80 = 84
    assert idcard.encode_response(0x9F) == found
    events = idcard.Decoder().feed(found + none)
    assert events[0] == idcard.CardFound()
    assert events[1] == idcard.Status(code=0x80)
    status = events[1]
    assert isinstance(status, idcard.Status) and status.meaning == "no card found"


def test_select_answer_as_readers_send_it() -> None:
    # SW 00 00 90 and 8 bytes of zeros: length 000C, checksum 0C^90 = 9C.
    selected = bytes.fromhex("aa aa aa 96 69 00 0c 00 00 90 00 00 00 00 00 00 00 00 9c")
    assert idcard.Decoder().feed(selected) == [idcard.CardSelected()]


def test_read_answer() -> None:
    raw = read_answer(text_block())
    assert raw[5:10] == bytes.fromhex("05 08 00 00 90")
    [event] = idcard.Decoder().feed(raw)
    assert isinstance(event, idcard.CardRead)
    card = event.data
    assert (card.name, card.sex, card.nation, card.birth) == ("张三丰", "1", "01", "19491231")
    assert card.address == "北京市朝阳区示例路1号"
    assert (card.issuer, card.valid_from, card.valid_to) == (
        "北京市公安局朝阳分局",
        "20200101",
        "长期",
    )
    assert card.id_number_secret() == ID_NUMBER


def test_answers_read_as_the_command_sent() -> None:
    decoder = idcard.Decoder()
    decoder.sent(idcard.RESET_SAM)
    decoder.sent(idcard.SELECT_CARD)
    decoder.sent(idcard.READ_CARD)
    events = decoder.feed(
        idcard.encode_response(0x90) + idcard.encode_response(0x90) + idcard.encode_response(0x41)
    )
    assert events == [idcard.Status(0x90), idcard.CardSelected(), idcard.Status(0x41)]


def test_bad_frames() -> None:
    good = idcard.encode_response(0x9F)
    bad = bytearray(good)
    bad[-1] ^= 0x01
    events = idcard.Decoder().feed(b"\x00\xaa" + bytes(bad) + good)
    assert [type(e) for e in events] == [BadFrame, idcard.CardFound]
    first = events[0]
    assert isinstance(first, BadFrame) and "checksum" in first.reason
    truncated_read = idcard.encode_response(0x90, bytes.fromhex("0100 0400") + bytes(10))
    [event] = idcard.Decoder().feed(truncated_read)
    assert isinstance(event, idcard.Status)  # inferred: not a read's layout
    decoder = idcard.Decoder()
    decoder.sent(idcard.READ_CARD)
    [event] = decoder.feed(truncated_read)
    assert isinstance(event, BadFrame) and "do not fit" in event.reason


# ----------------------------------------------------------------------------- privacy


def card(**overrides: str) -> idcard.IdCardData:
    return idcard.parse_text(text_block(**overrides))


def test_repr_and_str_never_show_the_id_number() -> None:
    data = card()
    for text in (repr(data), str(data), f"{data}", repr([data])):
        assert ID_NUMBER not in text
        assert "19491231" not in text  # nor the birth date inside it
        assert "110*************2X" in text
        assert "张*丰" in text and "张三丰" not in text
        assert "示例路" not in text


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("张三丰", "张*丰"), ("欧阳娜娜", "欧**娜"), ("张", "*"), ("", "")],
)
def test_masked_name(name: str, masked: str) -> None:
    assert card(name=name).masked_name() == masked


def test_id_number_hash() -> None:
    key = b"hall-secret"
    want = hmac.new(key, ID_NUMBER.encode(), hashlib.sha256).hexdigest()
    assert card().id_number_hash(key) == want
    assert card(id_number=ID_NUMBER.lower()).id_number_hash(key) == want  # x and X alike
    with pytest.raises(idcard.IdCardError):
        card().id_number_hash(b"")


def test_equality_uses_every_field() -> None:
    assert card() == card()
    assert card() != card(id_number="110105194912310039")
    assert card() != card(address="别处")


# ----------------------------------------------------------------------------- properties

cjk = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), max_size=15)


@given(
    name=cjk,
    address=st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), max_size=35),
    cuts=cuts_strategy,
)
def test_read_round_trip_in_any_chunks(name: str, address: str, cuts: list[int]) -> None:
    raw = read_answer(text_block(name=name, address=address))
    events = feed_chunks(idcard.Decoder(), split(raw, cuts))
    assert len(events) == 1 and isinstance(events[0], idcard.CardRead)
    assert (events[0].data.name, events[0].data.address) == (name, address)


@given(
    command=st.tuples(st.integers(0, 255), st.integers(0, 255)),
    data=st.binary(max_size=50),
)
def test_command_frames_check_out(command: tuple[int, int], data: bytes) -> None:
    raw = idcard.encode_command(command, data)
    assert raw.startswith(idcard.PREAMBLE)
    assert int.from_bytes(raw[5:7], "big") == len(raw) - 7
    assert idcard.checksum(raw[5:-1]) == raw[-1]


FRAGMENTS = [
    idcard.PREAMBLE,
    idcard.PREAMBLE[:3],
    idcard.encode_response(0x9F),
    idcard.encode_response(0x90, bytes(8)),
    idcard.encode_response(0x90, bytes.fromhex("0100 0000") + text_block()),
    b"\x00\x04",
]


@given(data=noise(FRAGMENTS), cuts=cuts_strategy)
def test_garbage_in_any_chunks_gives_only_events(data: bytes, cuts: list[int]) -> None:
    check_garbage(
        idcard.Decoder,
        data,
        cuts,
        (idcard.CardFound, idcard.CardSelected, idcard.CardRead, idcard.Status),
    )


@given(garbage=st.binary(max_size=200).map(lambda b: b.replace(b"\xaa", b"")))
def test_a_good_answer_after_garbage_without_preambles_is_found(garbage: bytes) -> None:
    assert idcard.Decoder().feed(garbage + idcard.encode_response(0x9F)) == [idcard.CardFound()]
