"""What every incremental decoder shares: the `BadFrame` event and the decoder interface.

Decoders are sans-I/O: a driver reads bytes from its port and hands them to `feed`, in chunks
of any size, and gets back the events that the bytes completed. Feeding the same bytes in one
piece or byte by byte gives the same events. A malformed frame is reported as a `BadFrame`
event (to be logged and skipped), never raised; bytes between frames that cannot start one are
skipped silently and counted in the decoder's `skipped` attribute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

EventT_co = TypeVar("EventT_co", covariant=True)


@dataclass(frozen=True, slots=True)
class BadFrame:
    """A frame that was delimited but could not be accepted: `reason` says why, `raw` is it."""

    reason: str
    raw: bytes


class IncrementalDecoder(Protocol[EventT_co]):
    """The shape of every codec's `Decoder`."""

    @property
    def skipped(self) -> int: ...

    def feed(self, data: bytes) -> Sequence[EventT_co]: ...


def hexdump(data: bytes, limit: int = 64) -> str:
    """`data` as spaced hex for log lines, cut after `limit` bytes."""
    text = data[:limit].hex(" ")
    return text + (" …" if len(data) > limit else "")
