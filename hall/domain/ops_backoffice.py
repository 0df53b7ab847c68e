"""What the back office sends through the hub's HTTP API: appointments and catalogue changes.

These operations come from an authenticated API client, which the HTTP layer presents as a
device of kind `back_office`; no MQTT device can have that kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..config import DeviceConfig
from . import args as A
from .catalogue import Appointment, id_number_hash, mask_name
from .errors import DomainError
from .numbering import local_day
from .state import HallState, Outcome

HASH_HEX_LEN = 64


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
    return moment.timestamp()


def book_appointment(
    state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float
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
        events=(
            state.event("appointment.booked", now, appointment=booked.public(), device=device.id),
        ),
    )


def cancel_appointment(
    state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float
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
        events=(
            state.event("appointment.cancelled", now, appointment=after.public(), device=device.id),
        ),
    )


def change_catalogue(
    state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float
) -> Outcome:
    action = A.optional_choice(args, "action", ("add", "rename", "close", "reopen", "set_cap"), "")
    if not action:
        raise DomainError("bad_request", "args.action is required")
    code = A.required_str(args, "code", 1)
    if not ("A" <= code <= "Z" and len(code) == 1):
        raise DomainError("bad_request", f"args.code must be one capital letter, got {code!r}")
    name = A.optional_str(args, "name", 40)
    cap_value = args.get("daily_cap")
    daily_cap = None if cap_value is None else A.required_int(args, "daily_cap", 1, 999)
    windows_arg = args.get("windows", [])
    if not isinstance(windows_arg, list) or not all(isinstance(w, str) for w in windows_arg):
        raise DomainError("bad_request", "args.windows must be a list of window ids")
    if action == "set_cap" and "daily_cap" not in args:
        raise DomainError("bad_request", "set_cap needs args.daily_cap (null removes the cap)")
    assert state.catalogue is not None
    before = state.catalogue
    after = before.changed(
        action,
        code,
        name=name,
        daily_cap=daily_cap,
        clear_cap=cap_value is None,
        windows=tuple(windows_arg),
    )
    entry = after.service(code)
    assert entry is not None
    view = {
        "code": entry.code,
        "name": entry.name,
        "daily_cap": entry.daily_cap,
        "open": entry.open,
        "version": after.version,
    }
    return Outcome(
        result={"service": view},
        catalogue=(before, after),
        events=(
            state.event("catalogue.changed", now, action=action, service=view, device=device.id),
        ),
    )
