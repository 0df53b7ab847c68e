"""Checking a request's arguments: every refusal is a `bad_request` naming the argument."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import DomainError

TICKET_NO = re.compile(r"[A-Z]\d{3}")


def _bad(message: str) -> DomainError:
    return DomainError("bad_request", message)


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
    return value


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
