"""`compact_json` gives the very text `json.dumps` with the same options gives: stored records
are compared as text, so one byte of difference would refuse every commit after an upgrade."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hall.domain.compact import compact_json

VALUES: list[Any] = [
    {"no": "A001", "name": "张*三", "at": 1764662400.123, "rank": 2, "done": None, "ok": True},
    [1, 2.5, -0.0, 'a"b\\c\n', "\u2028", "😀"],
    {"nested": {"list": [{"x": 1}, []], "empty": {}}, "big": 10**20},
    "纯文本",
    3.0,
]


@pytest.mark.parametrize("value", VALUES)
def test_the_same_text_as_json_dumps(value: Any) -> None:
    assert compact_json(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def test_refuses_what_json_refuses() -> None:
    with pytest.raises(TypeError):
        compact_json({"when": object()})
    with pytest.raises(TypeError):
        compact_json({(1, 2): "tuple key"})
