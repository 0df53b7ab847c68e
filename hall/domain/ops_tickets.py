"""Tickets at the kiosk: take (with the green channel and appointment check-in), status."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..config import DeviceConfig
from . import args as A
from .catalogue import Appointment, id_number_hash
from .errors import DomainError
from .estimate import eta_seconds
from .model import Ticket, rfc3339
from .numbering import MAX_PER_DAY, ticket_no
from .queue import ahead_of
from .state import HallState, Outcome


def take(state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float) -> Outcome:
    priority = A.optional_choice(args, "priority", ("normal", "green"), "normal")
    appointment = _appointment_for(state, args, now)
    code = A.optional_str(args, "service", 1)
    if code is None:
        if appointment is None:
            raise DomainError("bad_request", "args.service is required")
        code = appointment.service
    if appointment is not None and appointment.service != code:
        raise DomainError(
            "bad_request", f"appointment {appointment.code} is for service {appointment.service}"
        )
    service = state.service(code)
    if service is None:
        raise DomainError("unknown_service", f"no service {code!r} in this hall")
    if not service.open:
        raise DomainError("service_closed", f"service {code} ({service.name}) is closed today")
    issued = state.counters.get(code, 0)
    cap = min(service.daily_cap or MAX_PER_DAY, MAX_PER_DAY)
    if issued >= cap:
        raise DomainError("daily_cap_reached", f"service {code} has issued its {cap} tickets today")
    slot_start = None
    # An appointment inside its slot is called before normal tickets; a late one is normal.
    if appointment is not None and priority != "green" and now <= appointment.slot_end:
        priority, slot_start = "appointment", appointment.slot_start
    ticket = Ticket(
        no=ticket_no(code, issued + 1),
        day=state.day,
        service=code,
        priority=priority,  # type: ignore[arg-type]
        state="waiting",
        arrival=sum(state.counters.values()) + 1,
        issued_at=now,
        kiosk=device.id,
        appointment=appointment.code if appointment else None,
        slot_start=slot_start,
    )
    queue = state.waiting.get(code, {})
    # A normal ticket is the latest arrival of the lowest class: everyone waiting is ahead.
    ahead = len(queue) if priority == "normal" else ahead_of(ticket, queue.values(), now)
    waiting = state.waiting_counts()
    waiting[code] = waiting.get(code, 0) + 1
    eta = eta_seconds(
        ahead, code, state.times, state.window_services, state.open_windows(), waiting
    )
    view = ticket.public(state.tz, ahead, eta)
    checked_in: tuple[tuple[Appointment | None, Appointment], ...] = ()
    if appointment is not None:
        after = replace(appointment, state="checked_in", ticket=ticket.no)
        checked_in = ((appointment, after),)
        view["appointment"] = {"code": appointment.code, "late": now > appointment.slot_end}
    return Outcome(
        result={"ticket": view},
        tickets=((None, ticket),),
        counter=(code, issued, issued + 1),
        events=(state.event("ticket.taken", now, ticket=view, device=device.id),),
        prints=((device.printer, ticket.no),) if device.printer else (),
        appointments=checked_in,
    )


def _appointment_for(state: HallState, args: Mapping[str, Any], now: float) -> Appointment | None:
    """The appointment a kiosk request checks in: by its code, or by the ID card's hash."""
    code = A.optional_str(args, "appointment", 64)
    id_no = A.optional_str(args, "id_no", 32)  # never stored, echoed or logged
    if code is not None:
        appointment = state.appointments.get(code)
        if appointment is None or appointment.day != state.day:
            raise DomainError("not_found", f"no appointment {code} for today")
    elif id_no is not None and state.config.appointments.id_hash_key:
        wanted = id_number_hash(state.config.appointments.id_hash_key.encode(), id_no)
        matches = [
            a
            for a in state.appointments.values()
            if a.id_hash == wanted and a.day == state.day and a.state == "booked"
        ]
        if not matches:
            return None  # a walk-in with an ID card: a normal ticket
        appointment = min(matches, key=lambda a: a.slot_start)
    else:
        return None
    if appointment.state != "booked":
        raise DomainError("invalid_state", f"appointment {appointment.code} is {appointment.state}")
    opens = appointment.slot_start - state.config.appointments.early_s
    if now < opens:
        raise DomainError(
            "invalid_state",
            f"appointment {appointment.code}: check-in opens at {rfc3339(opens, state.tz)}",
        )
    return appointment


def status(state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float) -> Outcome:
    no = A.ticket_number(args, "no")
    ticket = state.tickets.get(no)
    if ticket is None:
        raise DomainError("not_found", f"no ticket {no} today")
    return Outcome(result={"ticket": state.ticket_view(ticket)})
