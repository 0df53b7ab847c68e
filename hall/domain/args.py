"""Checking a request's arguments: every refusal is a `bad_request` naming the argument."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import DomainError

# ASCII digits: `\d` would also take "A١٢٣" and "A１２３", which no hall ever issues.
TICKET_NO = re.compile(r"[A-Z][0-9]{3}")


def _bad(message: str) -> DomainError:
    return DomainError("bad_request", message)


def hidden_char(value: str) -> str | None:
    """The first control or format character (Unicode Cc/Cf, such as U+202E, which turns
    the text after it around) in `value`, as U+XXXX; None when there is none."""
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cf"):
            return f"U+{ord(char):04X}"
    return None


def plain_text(value: str, name: str) -> str:
    """`value` when it holds no control or format character, else a `bad_request`: a name
    shown to people must look like what it is."""
    hidden = hidden_char(value)
    if hidden is not None:
        raise _bad(f"args.{name} must not hold control or format characters (found {hidden})")
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
