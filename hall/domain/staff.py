"""A clerk's sign-in at a window (`window.open` with `staff` and `pin` or `staff_card`).

The hub looks the staff number up in the hall's users, checks the PIN or card digest off
the event loop and reads the account's failed attempts; it hands the outcome here as a
`StaffCheck` (carried by the `Actor`), and this decides, purely, whether the sign-in stands.
The PIN itself never reaches this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import DomainError
from .roles import WINDOW_SIGN_IN, allowed

__all__ = ["StaffCheck", "check_sign_in"]


@dataclass(frozen=True)
class StaffCheck:
    """What the hub found for one sign-in attempt."""

    staff: str  # the staff number sent
    known: bool = False  # a user has this staff number
    active: bool = False  # and is not disabled
    role: str = ""
    has_pin: bool = False  # the user has a PIN: it is required
    pin_ok: bool = False  # the PIN sent matches
    card_ok: bool = False  # the staff card presented (on a pad with a card reader) matches
    locked_for_s: int = 0  # the account is locked by failed attempts for this long


def check_sign_in(require_pin: bool, check: StaffCheck | None) -> None:
    """Raise `account_locked` or `bad_credentials` unless the sign-in stands.

    Without a check (no users with staff numbers, no PIN required) a staff number signs in
    as it always did; so does a known user without a PIN while the hall does not require one.
    """
    if check is None:
        if require_pin:
            raise DomainError("bad_credentials", "this hall signs in with staff number and PIN")
        return
    if check.locked_for_s > 0:
        raise DomainError(
            "account_locked",
            f"too many failed sign-ins: try again in {check.locked_for_s} s",
            retry_after_s=check.locked_for_s,
        )
    usable = check.known and check.active and allowed(check.role, WINDOW_SIGN_IN)
    if check.card_ok and usable:
        return
    if not (require_pin or check.has_pin):
        if check.known and not usable:
            raise DomainError("bad_credentials", "this staff number may not sign in at a window")
        return
    if not (usable and check.pin_ok):
        raise DomainError("bad_credentials", "wrong staff number or PIN")
