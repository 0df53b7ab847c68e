"""The raster a pad sends for a copy (binary PBM) and the printer's link to it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hall.domain.copies import (
    Raster,
    check_copy_link,
    dots_problem,
    parse_pbm,
    pbm,
    sign_copy_link,
)
from hall.domain.documents import DocumentError, link_key, sign_link

KEY = link_key(bytes(32))
COPY = "ab" * 16


def test_a_pbm_is_read_with_comments_and_any_whitespace() -> None:
    raster = parse_pbm(b"P4\n# drawn by the pad\n10  3\n" + bytes.fromhex("800000 40ffc0"))
    assert raster == Raster(10, 3, bytes.fromhex("800000 40ffc0"))
    assert raster.row_bytes == 2


@given(st.integers(1, 300), st.integers(1, 40), st.data())
def test_pbm_round_trip(width: int, height: int, data: st.DataObject) -> None:
    rows = data.draw(
        st.binary(min_size=(width + 7) // 8 * height, max_size=(width + 7) // 8 * height)
    )
    raster = Raster(width, height, rows)
    assert parse_pbm(pbm(raster)) == raster


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n", "binary PBM"),
        (b"P1\n1 1\n1", "binary PBM"),
        (b"P4\n8\n", "P4, the width and the height"),
        (b"P4 8 1", "end with one whitespace byte"),
        (b"P4\n8 1\n", "has 1 bytes of dots, this one 0"),
        (b"P4\n8 1\n\x00\x00", "this one 2"),
        (b"P4\n0 1\n", "1 to 2040 dots wide"),
        (b"P4\n8 5000\n", "1 to 4000 rows high"),
        (b"P4\n9999999 1\n", "P4, the width and the height"),
        (b"P4" + b" " * 100 + b"8 1\n\x00", "P4, the width and the height"),
    ],
)
def test_a_bad_raster_is_refused_with_the_reason(data: bytes, message: str) -> None:
    with pytest.raises(DocumentError, match=message) as refused:
        parse_pbm(data)
    assert refused.value.status == 400


@given(st.binary(max_size=200))
def test_any_bytes_are_read_or_refused_never_an_error(data: bytes) -> None:
    try:
        parse_pbm(b"P4" + data)
    except DocumentError as exc:
        assert exc.status == 400


def test_a_copy_link_is_checked_for_its_path_signature_and_expiry() -> None:
    link = sign_copy_link(KEY, COPY, 2000)
    path, query = link.split("?")
    assert path == f"/copies/{COPY}"
    params = dict(p.split("=") for p in query.split("&"))
    check_copy_link(KEY, COPY, params["expires"], params["sig"], 1999)
    with pytest.raises(DocumentError) as expired:
        check_copy_link(KEY, COPY, params["expires"], params["sig"], 2001)
    assert expired.value.status == 410
    forged = params["sig"][:-1] + ("0" if params["sig"][-1] != "0" else "1")
    with pytest.raises(DocumentError) as bad:
        check_copy_link(KEY, COPY, params["expires"], forged, 1999)
    assert bad.value.status == 403
    # A page's link to the same id does not open a copy (the path is signed).
    page_sig = sign_link(KEY, COPY, 2000).split("sig=")[1]
    with pytest.raises(DocumentError) as other:
        check_copy_link(KEY, COPY, "2000", page_sig, 1999)
    assert other.value.status == 403


@pytest.mark.parametrize(
    ("dots", "problem"),
    [
        (576, None),
        (384, None),
        (64, None),
        (2040, None),
        (577, "multiple of 8 from 64 to 2040, not 577"),
        (8, "not 8"),
        (56, "not 56"),
        (2048, "not 2048"),
        (True, "whole number"),
        ("576", "whole number"),
        (576.0, "whole number"),
    ],
)
def test_a_printer_width_is_a_whole_number_of_bytes_within_bounds(
    dots: object, problem: str | None
) -> None:
    said = dots_problem(dots)
    assert said is None if problem is None else (said is not None and problem in said)
