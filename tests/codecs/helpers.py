"""Shared strategies and checks for the codec tests: chunked feeding and protocol-ish noise."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import strategies as st

from devices.codecs import BadFrame, CodecError


def split(data: bytes, cuts: Sequence[int]) -> list[bytes]:
    """`data` cut at the given positions (taken modulo its length + 1)."""
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def feed_chunks(decoder: Any, chunks: Sequence[bytes]) -> list[Any]:
    events: list[Any] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    return events


def noise(fragments: Sequence[bytes]) -> st.SearchStrategy[bytes]:
    """Random bytes mixed with pieces of the protocol (markers, headers, whole frames)."""
    piece = st.one_of(st.binary(max_size=24), st.sampled_from(list(fragments)))
    return st.lists(piece, max_size=30).map(b"".join)


cuts_strategy = st.lists(st.integers(min_value=0, max_value=10_000), max_size=40)


def check_garbage(
    make: Callable[[], Any], data: bytes, cuts: Sequence[int], event_types: tuple[type, ...]
) -> None:
    """Any bytes, in any chunks: only events come out, the same as when fed whole."""
    try:
        whole = make().feed(data)
        chunked = feed_chunks(make(), split(data, cuts))
        bytewise = feed_chunks(make(), [data[i : i + 1] for i in range(len(data))])
    except CodecError:  # allowed by the contract, though no decoder here raises
        return
    assert chunked == whole
    assert bytewise == whole
    for event in whole:
        assert isinstance(event, (*event_types, BadFrame)), event
