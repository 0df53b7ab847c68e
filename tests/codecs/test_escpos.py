"""ESC/POS: the ticket byte for byte, the QR command, status bytes and their decoder."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.codecs import escpos
from devices.codecs.base import BadFrame
from tests.codecs.helpers import check_garbage, cuts_strategy, feed_chunks, split

TICKET = escpos.PrintTicket(
    hall_name="示例政务中心",
    service_name="社保医保",
    number="A001",
    ahead=3,
    eta_min=12,
    issued_at="2024-05-06 09:12",
    qr_url="https://h.example/t/A001",
    footer="请留意叫号",
)


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def test_ticket_byte_for_byte() -> None:
    url = b"https://h.example/t/A001"  # 24 bytes: store length 24 + 3 = 27 (1B 00)
    want = b"".join(
        [
            h("1b 40"),  # ESC @ initialise
            h("1c 26"),  # FS & Chinese character mode on
            h("1b 61 01 1b 45 01 1d 21 11"),  # centre, bold, double width and height
            h("ca be c0 fd d5 fe ce f1 d6 d0 d0 c4 0a"),  # 示例政务中心 (GB18030) LF
            h("1b 45 00 1d 21 00"),  # bold off, normal size
            h("c9 e7 b1 a3 d2 bd b1 a3 0a"),  # 社保医保 LF
            h("0a 1d 21 33 1b 45 01"),  # blank line, 4× width and height, bold
            b"A001\n",
            h("1b 45 00 1d 21 00 0a"),  # bold off, normal size, blank line
            h("c7 b0 c3 e6 bb b9 d3 d0") + b" 3 " + h("c8 cb 0a"),  # 前面还有 3 人
            h("d4 a4 bc c6 b5 c8 b4 fd d4 bc") + b" 12 " + h("b7 d6 d6 d3 0a"),  # 预计等待约…分钟
            h("c8 a1 ba c5 ca b1 bc e4") + b" 2024-05-06 09:12\n",  # 取号时间
            h("0a"),
            h("1d 28 6b 04 00 31 41 32 00"),  # QR fn 165: model 2
            h("1d 28 6b 03 00 31 43 06"),  # fn 167: module size 6
            h("1d 28 6b 03 00 31 45 31"),  # fn 169: error correction M
            h("1d 28 6b 1b 00 31 50 30") + url,  # fn 180: store 24 bytes
            h("1d 28 6b 03 00 31 51 30"),  # fn 181: print
            h("0a"),
            h("c9 a8 c2 eb b2 e9 bf b4 c5 c5 b6 d3 bd f8 b6 c8 0a"),  # 扫码查看排队进度
            h("0a c7 eb c1 f4 d2 e2 bd d0 ba c5 0a"),  # 请留意叫号
            h("1b 61 00 1b 64 03"),  # left, feed 3 lines
            h("1d 56 42 00"),  # GS V 66 0: feed to the cutter and cut partially
        ]
    )
    assert escpos.render_ticket(TICKET) == want


def test_optional_lines_are_left_out() -> None:
    bare = escpos.PrintTicket("厅", "业务", "B002", 0, None, "09:00")
    out = escpos.render_ticket(bare)
    assert "预计等待".encode("gb18030") not in out
    assert b"\x1d(k" not in out
    assert out.endswith(b"\x1dVB\x00")


@pytest.mark.parametrize("encoding", ["gb18030", "GBK", "gb2312", "cp936"])
def test_chinese_mode_for_gb_encodings(encoding: str) -> None:
    assert escpos.render_ticket(TICKET, encoding).startswith(b"\x1b@\x1c&")


def test_chinese_mode_off_for_utf8() -> None:
    out = escpos.render_ticket(TICKET, "utf-8")
    assert out.startswith(b"\x1b@\x1c.")
    assert "示例政务中心".encode() in out


def test_unencodable_text_is_a_clear_error() -> None:
    rare = escpos.PrintTicket("𠀀厅", "业务", "A001", 0, None, "09:00")  # U+20000: not in GBK
    with pytest.raises(escpos.EscPosError, match=r"hall name.*gbk"):
        escpos.render_ticket(rare, "gbk")
    assert "𠀀".encode("gb18030") in escpos.render_ticket(rare, "gb18030")
    with pytest.raises(escpos.EscPosError, match="unknown encoding"):
        escpos.render_ticket(rare, "no-such-codec")


def test_control_characters_cannot_inject_commands() -> None:
    sneaky = escpos.PrintTicket("A\x1bdB", "业务", "A001", 0, None, "09:00")
    assert b"A dB\n" in escpos.render_ticket(sneaky)


def test_bad_ticket_values() -> None:
    with pytest.raises(escpos.EscPosError):
        escpos.render_ticket(escpos.PrintTicket("厅", "业务", "A001", -1, None, "09:00"))
    with pytest.raises(escpos.EscPosError):
        escpos.encode_qr("", module_size=6)
    with pytest.raises(escpos.EscPosError):
        escpos.encode_qr("x", error_level="Z")


@given(st.text(st.characters(codec="utf-8"), min_size=1, max_size=300))
def test_qr_store_length_counts_the_data(data: str) -> None:
    out = escpos.encode_qr(data)
    payload = data.encode()
    store = b"\x1d(k" + (len(payload) + 3).to_bytes(2, "little") + b"\x31\x50\x30" + payload
    assert store in out


# ----------------------------------------------------------------------------- status


def test_status_requests() -> None:
    assert [escpos.encode_status_request(n) for n in (1, 2, 3, 4)] == [
        h("10 04 01"),
        h("10 04 02"),
        h("10 04 03"),
        h("10 04 04"),
    ]
    with pytest.raises(escpos.EscPosError):
        escpos.encode_status_request(5)


@pytest.mark.parametrize(
    ("n", "byte", "want"),
    [
        (1, 0x12, escpos.PrinterStatus(online=True)),  # fixed bits only
        (1, 0x1A, escpos.PrinterStatus(online=False)),  # bit 3: offline
        (2, 0x12, escpos.PrinterStatus(cover_open=False, paper_out=False, error=False)),
        (2, 0x16, escpos.PrinterStatus(cover_open=True, paper_out=False, error=False)),
        (2, 0x32, escpos.PrinterStatus(cover_open=False, paper_out=True, error=False)),
        (2, 0x52, escpos.PrinterStatus(cover_open=False, paper_out=False, error=True)),
        (3, 0x1A, escpos.PrinterStatus(error=True)),  # bit 3: autocutter error
        (3, 0x12, escpos.PrinterStatus(error=False)),
        (4, 0x1E, escpos.PrinterStatus(paper_near_end=True, paper_out=False)),  # bits 2, 3
        (4, 0x72, escpos.PrinterStatus(paper_near_end=False, paper_out=True)),  # bits 5, 6
    ],
)
def test_parse_status(n: int, byte: int, want: escpos.PrinterStatus) -> None:
    assert escpos.parse_status(n, byte) == want


@pytest.mark.parametrize("byte", [0x00, 0x13, 0x92, 0xFF])
def test_parse_status_refuses_non_status_bytes(byte: int) -> None:
    with pytest.raises(escpos.EscPosError):
        escpos.parse_status(1, byte)


def test_status_merges() -> None:
    status = escpos.parse_status(1, 0x12).merged(escpos.parse_status(4, 0x1E))
    assert status == escpos.PrinterStatus(online=True, paper_near_end=True, paper_out=False)


def test_decoder_pairs_answers_with_requests() -> None:
    decoder = escpos.Decoder()
    for n in (1, 4):
        decoder.sent(n)
    events = decoder.feed(b"\x12\x72\x12")
    assert events[0] == escpos.StatusReport(1, 0x12, escpos.PrinterStatus(online=True))
    assert events[1] == escpos.StatusReport(
        4, 0x72, escpos.PrinterStatus(paper_near_end=False, paper_out=True)
    )
    assert isinstance(events[2], BadFrame)


@given(
    requests=st.lists(st.integers(1, 4), max_size=20),
    data=st.binary(max_size=40),
    cuts=cuts_strategy,
)
def test_any_bytes_in_any_chunks_give_only_events(
    requests: list[int], data: bytes, cuts: list[int]
) -> None:
    def make() -> escpos.Decoder:
        decoder = escpos.Decoder()
        for n in requests:
            decoder.sent(n)
        return decoder

    check_garbage(make, data, cuts, (escpos.StatusReport,))
    assert len(feed_chunks(make(), split(data, cuts))) == len(data)
