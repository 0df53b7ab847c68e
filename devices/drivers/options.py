"""Reading a driver's `options = {...}` table, with errors that name the key.

`Options(raw, accepted)` refuses keys a driver does not know; its getters check each value's
type and range and raise `OptionError(key, problem)`, which the gateway's configuration
loader turns into `file:line: serial[N].options.key: problem`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class OptionError(ValueError):
    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


class Options:
    def __init__(self, raw: Mapping[str, Any], accepted: Iterable[str]) -> None:
        self.raw = dict(raw)
        allowed = tuple(accepted)
        for key in self.raw:
            if key not in allowed:
                shown = ", ".join(allowed) or "none"
                raise OptionError(key, f"unknown option (accepted here: {shown})")

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise OptionError(key, f"expected an integer from {low} to {high}, got {_show(value)}")
        return value

    def number(self, key: str, default: float, low: float, high: float) -> float:
        value = self.raw.get(key, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (low <= value <= high)
        ):
            raise OptionError(key, f"expected a number from {low} to {high}, got {_show(value)}")
        return float(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            raise OptionError(key, f"expected true or false, got {_show(value)}")
        return value

    def string(self, key: str, default: str, *, max_len: int = 200) -> str:
        value = self.raw.get(key, default)
        if not isinstance(value, str) or not value.strip() or len(value) > max_len:
            raise OptionError(
                key,
                f"expected a non-empty text of at most {max_len} characters, got {_show(value)}",
            )
        return value

    def optional_string(self, key: str, *, max_len: int = 200) -> str | None:
        if key not in self.raw:
            return None
        return self.string(key, "", max_len=max_len)

    def choice(self, key: str, default: str, choices: Iterable[str]) -> str:
        allowed = tuple(choices)
        value = self.raw.get(key, default)
        if value not in allowed:
            shown = ", ".join(_show(c) for c in allowed)
            raise OptionError(key, f"expected one of {shown}, got {_show(value)}")
        return str(value)

    def string_map(self, key: str) -> dict[str, str]:
        value = self.raw.get(key, {})
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise OptionError(
                key, f'expected a table of texts, e.g. {{ "4" = "综合窗口" }}, got {_show(value)}'
            )
        return dict(value)
