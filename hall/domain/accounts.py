"""Staff accounts as the dashboard changes them: what a new or changed user may hold, and
what each change records in the audit. Pure: the hashing is the caller's, the store applies
a change atomically (`hall.store.users.StoredUsers.change`).

- A name is 1-64 printable characters, no control or format ones (U+202E), and unique
  once NFKC-normalized and case-folded (ａｄｍｉｎ, Admin and admin are one name); a staff
  number 1-16 digits (a caller keypad types it); a role one of `roles.ROLES`.
- A dashboard role (auditor, manager, administrator) signs in with a password of at least
  `MIN_PASSWORD` characters; a clerk with a PIN of `PIN_DIGITS` digits at a window, and has
  a staff number. A staff card is optional (its id, digested by the hub).
- The audit names the fields a change touched, never their values when they are secrets.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from .args import hidden_char
from .config import UserConfig
from .roles import CLERK, DASHBOARD_ROLES, ROLES, canonical_role

__all__ = [
    "MIN_PASSWORD",
    "PIN_DIGITS",
    "SECRET_FIELDS",
    "AccountError",
    "Secrets",
    "changed_fields",
    "check_complete",
    "name_key",
    "name_taken",
    "read_secrets",
    "valid_name",
    "valid_role",
    "valid_staff",
]

MIN_PASSWORD: Final = 8
MAX_PASSWORD: Final = 256
PIN_DIGITS: Final = (4, 8)  # a PIN has 4 to 8 digits
SECRET_FIELDS: Final = ("password", "pin", "card")
_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,64}")
_STAFF = re.compile(r"[0-9]{1,16}")
_PIN = re.compile(f"[0-9]{{{PIN_DIGITS[0]},{PIN_DIGITS[1]}}}")
_CARD = re.compile(r"[!-~]{1,64}")  # what a card reader sends: printable ASCII


class AccountError(ValueError):
    """A user form that cannot be saved; the message says what to change."""


@dataclass(frozen=True)
class Secrets:
    """The secrets a form sets (None: left as they are), still in clear: hash them next."""

    password: str | None = None
    pin: str | None = None
    card: str | None = None


def valid_name(value: object) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value) or value != value.strip():
        raise AccountError("name: 1 to 64 characters, no spaces around it")
    hidden = hidden_char(value)
    if hidden is not None:
        raise AccountError(f"name: no control or format characters (found {hidden})")
    return value


def name_key(name: str) -> str:
    """What two names must not share: ＡＤＭＩＮ (full width), Admin and admin are one name."""
    return unicodedata.normalize("NFKC", name).casefold()


def name_taken(name: str, others: Iterable[str]) -> str | None:
    """The existing name `name` would be confused with, or None."""
    key = name_key(name)
    return next((other for other in others if name_key(other) == key), None)


def valid_role(value: object) -> str:
    if not isinstance(value, str) or canonical_role(value) not in ROLES:
        raise AccountError(f"role: one of {', '.join(ROLES)}")
    return canonical_role(value)


def valid_staff(value: object) -> str | None:
    """A staff number, or None for a form that leaves it out (empty)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _STAFF.fullmatch(value):
        raise AccountError("staff: a staff number is 1 to 16 digits")
    return value


def read_secrets(body: Mapping[str, Any]) -> Secrets:
    """The password, PIN and card a form sets; empty or absent ones are left unset."""
    found: dict[str, str] = {}
    for key in SECRET_FIELDS:
        value = body.get(key)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise AccountError(f"{key}: expected text")
        found[key] = value
    password, pin, card = found.get("password"), found.get("pin"), found.get("card")
    if password is not None and not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(f"password: at least {MIN_PASSWORD} characters")
    if pin is not None and not _PIN.fullmatch(pin):
        raise AccountError(f"pin: {PIN_DIGITS[0]} to {PIN_DIGITS[1]} digits")
    if card is not None and not _CARD.fullmatch(card):
        raise AccountError("card: the card's id as its reader sends it (1-64 characters)")
    return Secrets(password, pin, card)


def check_complete(user: UserConfig) -> None:
    """Can this user sign in where the role signs in? Raises AccountError otherwise."""
    role = canonical_role(user.role)
    if role in DASHBOARD_ROLES and not user.password_hash:
        raise AccountError("password: a dashboard role signs in with a password: set one")
    if role == CLERK:
        if user.staff is None:
            raise AccountError("staff: a clerk signs in at a window with a staff number")
        if user.pin_hash is None and user.card_hash is None:
            raise AccountError("pin: a clerk signs in with a PIN (or a staff card): set one")


def changed_fields(before: UserConfig | None, after: UserConfig | None) -> list[str]:
    """The fields a change touched, by name (a secret's name only, never its hash)."""
    names = {
        "role": "role",
        "staff": "staff",
        "disabled": "disabled",
        "password_hash": "password",
        "pin_hash": "pin",
        "card_hash": "card",
    }
    out: list[str] = []
    for attr, shown in names.items():
        old = getattr(before, attr) if before is not None else None
        new = getattr(after, attr) if after is not None else None
        if old != new and (old or new):
            out.append(shown)
    return out
