"""Compact JSON text with Chinese kept as is: the form of every stored record, event and
message payload.

One encoder serves them all: `json.dumps` with options builds a new encoder at every call,
a cost paid several times per request.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["compact_json"]

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def compact_json(value: Any) -> str:
    """`json.dumps(value, ensure_ascii=False, separators=(",", ":"))`, the same text."""
    return _ENCODER.encode(value)
