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


def test_four_byte_characters_print_as_a_defined_fallback() -> None:
    # 𠀀 (U+20000) and 😀 are four bytes in GB18030 (95 32 82 36, 94 39 FC 36) and wide: each
    # prints as ？ (A3 BF); ß (81 30 89 38) is narrow: ?. 厅 (CC FC) and é (A8 A6) stay.
    rare = escpos.PrintTicket("𠀀厅😀", "ß业务é", "A001", 0, None, "09:00")
    out = escpos.render_ticket(rare, "gb18030")
    assert h("1d 21 11 a3 bf cc fc a3 bf 0a 1b 45 00 1d 21 00 3f d2 b5 ce f1 a8 a6 0a") in out
    for four in ("95328236", "9439fc36", "81308938"):
        assert h(four) not in out
    assert escpos.printable_text("𠀀厅😀 ß") == "？厅？ ?"


def test_gb2312_printers_get_the_fallback_for_gbk_characters() -> None:
    # 镕 (U+9555) is GBK E9 46, not GB2312: a printer set to gb2312 gets ？.
    ticket = escpos.PrintTicket("朱镕", "业务", "A001", 0, None, "09:00")
    assert h("d6 ec a3 bf 0a") in escpos.render_ticket(ticket, "gb2312")
    assert h("d6 ec e9 46 0a") in escpos.render_ticket(ticket, "gbk")


def two_byte_stream(data: bytes) -> bool:
    """Whether a printer in Chinese mode reads `data` as whole characters: single bytes
    00-7F and pairs lead 81-FE, trail 40-7E or 80-FE (never GB18030's 30-39)."""
    i = 0
    while i < len(data):
        if data[i] < 0x80:
            i += 1
        elif 0x81 <= data[i] <= 0xFE and i + 1 < len(data) and (
            0x40 <= data[i + 1] <= 0x7E or 0x80 <= data[i + 1] <= 0xFE
        ):  # fmt: skip
            i += 2
        else:
            return False
    return True


@given(st.text(max_size=40), st.sampled_from(["gb18030", "gbk", "gb2312"]))
def test_gb_text_is_always_one_or_two_byte_codes(text: str, encoding: str) -> None:
    printed = escpos.printable_text(text, encoding)
    assert len(printed) == len(text)
    assert two_byte_stream(printed.encode(encoding))
    for before, after in zip(text, printed, strict=True):
        assert after == before or after in ("?", "？", " ")


def test_other_encodings_still_refuse_what_they_lack() -> None:
    rare = escpos.PrintTicket("𠀀厅", "业务", "A001", 0, None, "09:00")
    with pytest.raises(escpos.EscPosError, match=r"hall name.*cp437"):
        escpos.render_ticket(rare, "cp437")
    assert "𠀀厅".encode() in escpos.render_ticket(rare, "utf-8")
    with pytest.raises(escpos.EscPosError, match="unknown encoding"):
        escpos.render_ticket(rare, "no-such-codec")


@pytest.mark.parametrize(
    ("model", "hall", "number"),
    [
        ("generic", "11", "33"),
        ("epson-tm-t88", "11", "33"),
        ("pinnacle-pp7m", "11", "13"),  # width at most 2, height 4
        ("matrix-t5", "11", "11"),  # doubles only
        ("double-only", "11", "11"),
    ],
)
def test_character_sizes_are_limited_to_the_model(model: str, hall: str, number: str) -> None:
    out = escpos.render_ticket(TICKET, model=escpos.PRINTER_MODELS[model])
    generic = escpos.render_ticket(TICKET)
    start = h("1b 61 01 1b 45 01 1d 21") + h(hall) + h("ca be")
    assert start in out
    assert h("0a 0a 1d 21") + h(number) + h("1b 45 01") + b"A001\n" in out
    # Nothing else differs from the generic ticket.
    number_line = h("1b 45 01") + b"A001"
    asked = h("1d 21 33") + number_line
    assert out.replace(h("1d 21") + h(number) + number_line, asked) == generic


def test_encode_size_bits_and_range() -> None:
    generic = escpos.PRINTER_MODELS["generic"]
    assert escpos.encode_size(8, 8, generic) == h("1d 21 77")
    assert escpos.encode_size(3, 1, generic) == h("1d 21 20")
    assert escpos.encode_size(8, 8, escpos.PRINTER_MODELS["pinnacle-pp7m"]) == h("1d 21 17")
    for bad in ((0, 1), (1, 9)):
        with pytest.raises(escpos.EscPosError, match="1-8"):
            escpos.encode_size(*bad)


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


# ----- copies of pages: GS v 0 raster images --------------------------------------------------
def test_a_raster_goes_as_gs_v_0_images_in_bands_with_pbm_bit_order() -> None:
    # 10 dots across (2 bytes a row, 6 bits of the second unused) and 3 rows:
    #   row 0: the leftmost dot only        1000000000 -> 80 00
    #   row 1: the rightmost dot only       0000000001 -> 00 40
    #   row 2: every dot                    1111111111 -> ff c0
    rows = h("80 00 00 40 ff c0")
    want = (
        h("1d 76 30 00 02 00 02 00")  # GS v 0, m 0, x = 2 bytes, y = 2 rows
        + h("80 00 00 40")
        + h("1d 76 30 00 02 00 01 00")  # the rest: one row
        + h("ff c0")
    )
    assert escpos.encode_raster(10, 3, rows, band_rows=2) == want
    assert escpos.encode_raster(10, 3, rows) == h("1d 76 30 00 02 00 03 00") + rows


def test_a_copy_is_initialised_centred_and_cut() -> None:
    rows = bytes([0xAA] * 72 * 600)  # 576 dots, 600 rows: bands of 255, 255 and 90
    out = escpos.render_copy(576, 600, rows, feed_lines=4)
    head = h("1b 40 1b 61 01")
    assert out.startswith(head)
    assert out.endswith(h("1b 61 00 1b 64 04 1d 56 42 00"))
    body = out[len(head) : -10]
    at, bands = 0, []
    while at < len(body):
        assert body[at : at + 4] == h("1d 76 30 00")
        x, y = (
            int.from_bytes(body[at + 4 : at + 6], "little"),
            int.from_bytes(body[at + 6 : at + 8], "little"),
        )
        bands.append((x, y))
        at += 8 + x * y
    assert bands == [(72, 255), (72, 255), (72, 90)]
    # A model that takes fewer rows at once gets smaller bands.
    small = escpos.PrinterModel("small-buffer", 2, 2, "test", dots=384, band_rows=100)
    out = escpos.render_copy(384, 250, bytes(48 * 250), model=small)
    assert out.count(h("1d 76 30 00 30 00")) == 3  # 100 + 100 + 50 rows of 48 bytes


@pytest.mark.parametrize(
    ("width", "height", "size", "message"),
    [
        (0, 1, 0, "1-2040 dots wide"),
        (2048, 1, 256, "1-2040 dots wide"),
        (8, 0, 0, "at least one row"),
        (16, 2, 3, "is 4 bytes of dots, not 3"),
    ],
)
def test_a_raster_that_cannot_be_printed_is_refused(
    width: int, height: int, size: int, message: str
) -> None:
    with pytest.raises(escpos.EscPosError, match=message):
        escpos.encode_raster(width, height, bytes(size))
