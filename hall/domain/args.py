"""Checking a request's arguments: every refusal is a `bad_request` naming the argument."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import DomainError

# ASCII digits: `\d` would also take "A١٢٣" and "A１２３", which no hall ever issues.
TICKET_NO = re.compile(r"[A-Z][0-9]{3}")
# A staff number as halls write them ("1001", "S001"): ASCII only, so that no look-alike
# ("１００１") passes for another clerk and nothing a spreadsheet would run ("=...") is kept.
STAFF_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def _bad(message: str) -> DomainError:
    return DomainError("bad_request", message)


# Control and format characters (U+202E turns the text after it around), and the line and
# paragraph separators U+2028/U+2029 (a line break to every screen and log).
_HIDDEN_CATEGORIES = frozenset(("Cc", "Cf", "Zl", "Zp"))


def hidden_char(value: str) -> str | None:
    """The first control, format or line-breaking character in `value`, as U+XXXX; None
    when there is none."""
    for char in value:
        if unicodedata.category(char) in _HIDDEN_CATEGORIES:
            return f"U+{ord(char):04X}"
    return None


def plain_text(value: str, name: str) -> str:
    """`value` when it holds no control or format character, else a `bad_request`: a name
    shown to people must look like what it is."""
    hidden = hidden_char(value)
    if hidden is not None:
        raise _bad(
            f"args.{name} must not hold control, format or line-separator characters "
            f"(found {hidden})"
        )
    return value


def required_str(args: Mapping[str, Any], name: str, max_len: int) -> str:
    value = args.get(name)
    if value is None:
        raise _bad(f"args.{name} is required")
    if not isinstance(value, str):
        raise _bad(f"args.{name} must be a string, got {type(value).__name__}")
    value = value.strip()
    if not value:
        raise _bad(f"args.{name} must not be empty")
    if len(value) > max_len:
        raise _bad(f"args.{name} is longer than {max_len} characters")
    # Every text a device sends may be shown, printed, spoken or relayed: none may hide a
    # control character (a line break in a pause reason, an escape to a printer).
    return plain_text(value, name)


def optional_str(args: Mapping[str, Any], name: str, max_len: int) -> str | None:
    if args.get(name) is None:
        return None
    return required_str(args, name, max_len)


def optional_choice(
    args: Mapping[str, Any], name: str, choices: Sequence[str], default: str
) -> str:
    value = args.get(name)
    if value is None:
        return default
    if not isinstance(value, str) or value not in choices:
        raise _bad(f"args.{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def required_int(args: Mapping[str, Any], name: str, low: int, high: int) -> int:
    value = args.get(name)
    if value is None:
        raise _bad(f"args.{name} is required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"args.{name} must be an integer {low}-{high}, got {value!r}")
    if not low <= value <= high:
        raise _bad(f"args.{name} must be {low}-{high}, got {value}")
    return value


def ticket_number(args: Mapping[str, Any], name: str) -> str:
    value = required_str(args, name, 4)
    if not TICKET_NO.fullmatch(value):
        raise _bad(f"args.{name} must be a ticket number like A001, got {value!r}")
    return value


def staff_id(args: Mapping[str, Any], name: str) -> str:
    value = required_str(args, name, 64)
    if not STAFF_ID.fullmatch(value):
        raise _bad(
            f"args.{name} must be a staff number: ASCII letters and digits (and - _ . after "
            f"the first), at most 64, got {value!r}"
        )
    return value


def optional_staff_id(args: Mapping[str, Any], name: str) -> str | None:
    return None if args.get(name) is None else staff_id(args, name)
