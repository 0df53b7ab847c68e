"""Reading a driver's `options = {...}` table, with errors that name the key.

`Options(raw, accepted)` refuses keys a driver does not know; its getters check each value's
type and range with the checks every configuration checker shares (`hall.contract.config_base`)
and raise `OptionError(key, problem)`, which the gateway's configuration loader turns into
`file:line: serial[N].options.key: problem`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hall.contract.config_base import Checks
from hall.contract.config_lines import KeyPath


class OptionError(ValueError):
    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


class Options(Checks):
    key_word = "option"

    def __init__(self, raw: Mapping[str, Any], accepted: Iterable[str]) -> None:
        self.raw = self.table(dict(raw), (), accepted)

    def error(self, path: KeyPath, problem: str, *, at: KeyPath | None = None) -> OptionError:
        return OptionError(str(path[0]) if path else "", problem)

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        return self.int_in(self.raw.get(key, default), (key,), low, high)

    def number(self, key: str, default: float, low: float, high: float) -> float:
        return self.number_in(self.raw.get(key, default), (key,), low, high)

    def boolean(self, key: str, default: bool) -> bool:
        return self.flag(self.raw.get(key, default), (key,))

    def string(self, key: str, default: str, *, max_len: int = 200) -> str:
        return self.nonempty_string(self.raw.get(key, default), (key,), max_len=max_len)

    def optional_string(self, key: str, *, max_len: int = 200) -> str | None:
        if key not in self.raw:
            return None
        return self.string(key, "", max_len=max_len)

    def choice(self, key: str, default: str, choices: Iterable[str]) -> str:
        return self.one_of(self.raw.get(key, default), (key,), choices)
