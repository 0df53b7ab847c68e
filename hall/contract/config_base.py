"""What every configuration checker shares: reading the file, TOML syntax errors, the checks of
single values, and how values and key paths are written in messages.

Three checkers build on `Checks`: the hall file's (`config_check.py`), the serial gateway's
(`devices/gateway_config.py`) and a driver's ``options = {...}`` table
(`devices/drivers/options.py`). A check names what it expected and what it got; where the
problem is, each checker says through `error()`: the two files name the file, the line and the
key (`FileChecker`), driver options name the option, which the gateway's checker then places
under ``serial[N].options``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hall.contract.config import ConfigError
from hall.contract.config_lines import KeyPath, LineMap

__all__ = [
    "Checks",
    "FileChecker",
    "format_key",
    "parse_toml",
    "quote",
    "read_config_text",
    "show",
]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END = re.compile(r"\s*\(at end of document\)\s*$")
SHOWN_TEXT_MAX = 60  # longer texts are cut in messages


# ----- writing keys and values in messages ---------------------------------------------------
def format_key(path: KeyPath) -> str:
    """``("windows", 1, "services")`` -> ``windows[2].services`` (entries counted from 1)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            name = part if _BARE_KEY.fullmatch(part) else quote(part)
            out += f".{name}" if out else name
    return out


def quote(text: str) -> str:
    """A text as a short TOML basic string: escaped, control characters visible."""
    if len(text) > SHOWN_TEXT_MAX:
        text = text[: SHOWN_TEXT_MAX - 3] + "..."
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + '"'


def show(value: object) -> str:
    """A value as it would be written in TOML, short, for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "an empty array" if not value else "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date/time"


# ----- reading -------------------------------------------------------------------------------
def read_config_text(path: str | Path) -> str:
    """The text of a configuration file; ConfigError when it cannot be read or is not UTF-8."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(name, None, "", f"cannot read the file ({exc.strerror or exc})") from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(name, line, "", "the file is not UTF-8 text") from exc


def parse_toml(text: str, name: str) -> dict[str, Any]:
    """The TOML document in `text`; a syntax error is a ConfigError with tomllib's line."""
    text = text.removeprefix("\ufeff")  # a byte order mark left by some Windows editors
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(name, text, exc) from None
    except RecursionError:
        raise ConfigError(name, None, "", "TOML syntax error: values nested too deeply") from None


def _syntax_error(name: str, text: str, exc: tomllib.TOMLDecodeError) -> ConfigError:
    message = str(exc)
    at = _TOML_AT.search(message)
    end = _TOML_END.search(message)
    problem = message[: at.start() if at else end.start() if end else len(message)]
    problem = problem[:1].lower() + problem[1:]
    if at:
        return ConfigError(name, int(at[1]), "", f"TOML syntax error at column {at[2]}: {problem}")
    if end:
        last = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
        return ConfigError(name, last, "", f"TOML syntax error at the end of the file: {problem}")
    return ConfigError(name, None, "", f"TOML syntax error: {problem}")


# ----- checking ------------------------------------------------------------------------------
class Checks:
    """Checks of single values; each returns the value, typed, or raises `self.error(...)`.

    `path` is the key path of the value (see `config_lines.py`); `at`, when given, is the key
    path whose line the problem is reported at.
    """

    key_word = "key"  # what a name in a table is called in messages: "unknown key"

    def error(self, path: KeyPath, problem: str, *, at: KeyPath | None = None) -> Exception:
        raise NotImplementedError

    def table(self, value: object, path: KeyPath, keys: Iterable[str]) -> dict[str, Any]:
        accepted = tuple(keys)
        if not isinstance(value, dict):
            raise self.error(path, f"expected a table, got {show(value)}")
        for key in value:
            if key not in accepted:
                shown = ", ".join(accepted) or "none"
                raise self.error((*path, key), f"unknown {self.key_word} (accepted here: {shown})")
        return value

    def present(self, table: dict[str, Any], path: KeyPath, key: str) -> object:
        if key not in table:
            raise self.error((*path, key), "missing required key")
        return table[key]

    def nonempty_string(self, value: object, path: KeyPath, *, max_len: int | None = None) -> str:
        if max_len is None:
            if not isinstance(value, str) or not value.strip():
                raise self.error(path, f"expected a non-empty string, got {show(value)}")
        elif not isinstance(value, str) or not value.strip() or len(value) > max_len:
            raise self.error(
                path,
                f"expected a non-empty text of at most {max_len} characters, got {show(value)}",
            )
        return value

    def opt_string(self, table: dict[str, Any], path: KeyPath, key: str) -> str | None:
        return self.nonempty_string(table[key], (*path, key)) if key in table else None

    def identifier(
        self, value: object, path: KeyPath, pattern: re.Pattern[str], max_len: int
    ) -> str:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise self.error(
                path, f"expected 1 to {max_len} characters a-z, 0-9 or -, got {show(value)}"
            )
        return value

    def int_in(self, value: object, path: KeyPath, low: int, high: int | None) -> int:
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value < low
            or (high is not None and value > high)
        ):
            wanted = f"an integer >= {low}" if high is None else f"an integer from {low} to {high}"
            raise self.error(path, f"expected {wanted}, got {show(value)}")
        return value

    def number_in(self, value: object, path: KeyPath, low: float, high: float) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            raise self.error(path, f"expected a number from {low} to {high}, got {show(value)}")
        return float(value)

    def flag(self, value: object, path: KeyPath) -> bool:
        if not isinstance(value, bool):
            raise self.error(path, f"expected true or false, got {show(value)}")
        return value

    def one_of(self, value: object, path: KeyPath, choices: Iterable[str]) -> str:
        allowed = tuple(choices)
        if not isinstance(value, str) or value not in allowed:
            raise self.error(path, f"expected one of {', '.join(allowed)}, got {show(value)}")
        return value


class FileChecker(Checks):
    """Checks of one configuration file: errors name the file, the line and the key."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.lines = LineMap(text)

    def error(self, path: KeyPath, problem: str, *, at: KeyPath | None = None) -> ConfigError:
        line = self.lines.line_of(at if at is not None else path)
        return ConfigError(self.name, line, format_key(path), problem)

    def integer(
        self, table: dict[str, Any], path: KeyPath, key: str, low: int, high: int | None
    ) -> int | None:
        """An optional integer key: None when it is not written."""
        return self.int_in(table[key], (*path, key), low, high) if key in table else None

    def optional_table(self, doc: dict[str, Any], key: str, keys: Iterable[str]) -> dict[str, Any]:
        return self.table(doc[key], (key,), keys) if key in doc else {}

    def entries(self, doc: dict[str, Any], key: str, keys: Iterable[str]) -> list[dict[str, Any]]:
        """The entries of an array of tables such as ``[[windows]]``."""
        value = doc.get(key, [])
        if not isinstance(value, list):
            raise self.error((key,), f"expected [[{key}]] entries, got {show(value)}")
        return [self.table(entry, (key, i), keys) for i, entry in enumerate(value)]
