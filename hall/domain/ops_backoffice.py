"""What the back office sends through the hub's HTTP API: appointments (its catalogue
changes are `settings.py`'s, shared with the dashboard).

These operations come from an authenticated API client (an `Actor` of kind `back_office`);
no MQTT device can have that kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from . import args as A
from .actor import Actor
from .catalogue import Appointment, id_number_hash, mask_name
from .errors import DomainError
from .events import AppointmentBooked, AppointmentCancelled
from .numbering import local_day
from .state import HallState, Outcome

HASH_HEX_LEN = 64


MIN_YEAR, MAX_YEAR = 2000, 2199


def _moment(args: Mapping[str, Any], name: str) -> float:
    text = A.required_str(args, name, 40)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise DomainError(
            "bad_request", f"args.{name} must be an RFC 3339 time, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        raise DomainError("bad_request", f"args.{name} needs a UTC offset, e.g. +08:00")
    # A booking is for a day a hall is open: years near now (the hall's day of the slot is
    # computed in its time zone, which fails near year 1 or 9999).
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise DomainError(
            "bad_request", f"args.{name} must be a time between {MIN_YEAR} and {MAX_YEAR}"
        )
    return moment.timestamp()


def book_appointment(
    state: HallState, device: Actor, args: Mapping[str, Any], now: float
) -> Outcome:
    code = A.required_str(args, "code", 64)
    service = A.required_str(args, "service", 1)
    if state.service(service) is None:
        raise DomainError("unknown_service", f"no service {service!r} in this hall")
    slot_start, slot_end = _moment(args, "slot_start"), _moment(args, "slot_end")
    if slot_end <= slot_start:
        raise DomainError("bad_request", "args.slot_end must be after args.slot_start")
    name = A.optional_str(args, "name", 40)
    id_hash = A.optional_str(args, "id_hash", HASH_HEX_LEN)
    id_no = A.optional_str(args, "id_no", 32)  # hashed at once, never stored
    if id_hash is not None and (
        len(id_hash) != HASH_HEX_LEN or any(c not in "0123456789abcdef" for c in id_hash)
    ):
        raise DomainError("bad_request", "args.id_hash must be 64 lower-case hex digits")
    if id_no is not None:
        key = state.config.appointments.id_hash_key
        if not key:
            raise DomainError(
                "bad_request",
                "this hall has no [appointments] id_hash_key: send id_hash instead of id_no",
            )
        id_hash = id_number_hash(key.encode(), id_no)
    booked = Appointment(
        code=code,
        service=service,
        slot_start=slot_start,
        slot_end=slot_end,
        day=local_day(slot_start, state.tz),
        name_masked=mask_name(name) if name else None,
        id_hash=id_hash,
    )
    existing = state.appointments.get(code)
    if existing is not None:
        if replace(existing, state="booked", ticket=None) == booked:
            return Outcome(result={"appointment": existing.public()})  # the same booking again
        raise DomainError("invalid_state", f"appointment {code} exists with other details")
    return Outcome(
        result={"appointment": booked.public()},
        appointments=((None, booked),),
        events=(AppointmentBooked(now, booked.public(), device.id),),
    )


def cancel_appointment(
    state: HallState, device: Actor, args: Mapping[str, Any], now: float
) -> Outcome:
    code = A.required_str(args, "code", 64)
    existing = state.appointments.get(code)
    if existing is None:
        raise DomainError("not_found", f"no appointment {code}")
    if existing.state != "booked":
        raise DomainError("invalid_state", f"appointment {code} is {existing.state}")
    after = replace(existing, state="cancelled")
    return Outcome(
        result={"appointment": after.public()},
        appointments=((existing, after),),
        events=(AppointmentCancelled(now, after.public(), device.id),),
    )
