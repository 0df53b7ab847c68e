"""Tickets at the kiosk: take (with the green channel and appointment check-in), status."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from . import args as A
from .actor import Actor
from .catalogue import Appointment, SealedIdNumber, id_number_hash
from .errors import DomainError
from .events import TicketTaken
from .model import Ticket, rfc3339
from .numbering import MAX_PER_DAY, ticket_no
from .queue import ahead_of
from .state import HallState, Outcome, with_estimate


def take(state: HallState, device: Actor, args: Mapping[str, Any], now: float) -> Outcome:
    priority = A.optional_choice(args, "priority", ("normal", "green"), "normal")
    appointment = _appointment_for(state, device, args, now)
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
    if not service.takes_tickets_at(state.clock(now)):
        assert service.hours is not None
        opens, closes = service.hours
        raise DomainError(
            "service_closed",
            f"service {code} ({service.name}) issues tickets from {opens} to {closes} only",
        )
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
    # The last of its class: the wait the forecast gives a ticket of that class taken now.
    estimate = state.estimate_new(code, ticket.priority, now)
    view = with_estimate(ticket.public(state.tz, ahead, estimate.eta_s), estimate)
    checked_in: tuple[tuple[Appointment | None, Appointment], ...] = ()
    if appointment is not None:
        after = replace(appointment, state="checked_in", ticket=ticket.no)
        checked_in = ((appointment, after),)
        view["appointment"] = {"code": appointment.code, "late": now > appointment.slot_end}
    return Outcome(
        result={"ticket": view},
        tickets=((None, ticket),),
        counter=(code, issued, issued + 1),
        events=(TicketTaken(now, view, device.id),),
        prints=((device.printer, ticket.no),) if device.printer else (),
        appointments=checked_in,
    )


def _appointment_for(
    state: HallState, device: Actor, args: Mapping[str, Any], now: float
) -> Appointment | None:
    """The appointment a kiosk request checks in: by its booking code, or by an ID number
    read by the kiosk's own card reader.

    An ID number alone proves nothing (anyone can type one, and anyone can seal one to the
    hub's public key), so it checks in only at a kiosk the hall file marks `id_reader`: there
    it comes from a card on the reader. Anywhere else it is ignored, and the answer is the
    plain ticket the same request without it gets: it never tells whether a booking exists.
    """
    code = A.optional_str(args, "appointment", 64)
    id_hash = _card_hash(state, device, args)
    if code is not None:
        appointment = state.appointments.get(code)
        if appointment is None or appointment.day != state.day:
            # The code is not echoed: a citizen may have typed an ID number into it.
            raise DomainError("not_found", "no appointment with this code for today")
    elif id_hash is not None:
        matches = [
            a
            for a in state.appointments.values()
            if a.id_hash == id_hash and a.day == state.day and a.state == "booked"
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


def _card_hash(state: HallState, device: Actor, args: Mapping[str, Any]) -> str | None:
    """The keyed hash of the ID number that may check in an appointment, if any.

    `id_sealed` arrives opened by the hub (a `SealedIdNumber`); one still a string did not
    open. A plain `id_no` is refused where the hall says `accept_plain_id = false`. Neither
    refusal depends on any booking.
    """
    sealed = args.get("id_sealed")
    if sealed is not None and not isinstance(sealed, SealedIdNumber):
        raise DomainError(
            "bad_request",
            "args.id_sealed does not open with the hub's key: seal the ID number again to "
            "the key the hub publishes on hall/<hall>/hub/key",
        )
    plain = A.optional_str(args, "id_no", 32)  # never stored, echoed or logged
    rules = state.config.appointments
    if plain is not None and not rules.plain_id_accepted:
        raise DomainError(
            "bad_request",
            "this hall takes no ID number in clear: seal it to the hub's key (args.id_sealed)",
        )
    if not device.id_reader:
        return None
    if sealed is not None:
        return sealed.id_hash
    if plain is not None and rules.id_hash_key:
        return id_number_hash(rules.id_hash_key.encode(), plain)
    return None


def status(state: HallState, device: Actor, args: Mapping[str, Any], now: float) -> Outcome:
    no = A.ticket_number(args, "no")
    ticket = state.tickets.get(no)
    if ticket is None:
        raise DomainError("not_found", f"no ticket {no} today")
    return Outcome(result={"ticket": state.ticket_view(ticket, now)})
