"""The hall's domain events: one frozen class per event type of the contract's `events` topic.

A decided operation (`Outcome.events`) carries these values; `event_view()` is the one place
that turns one into the contract's JSON object, ``{"seq", "type", "at", ...}``: `type` is the
class's contract name, `at` the POSIX time rounded to milliseconds, then the event's own
fields in the order they are declared here (a trailing underscore, as in `from_`, is not
part of the name). The records they carry (`ticket`, `window`,
`evaluation`, `appointment`, `service`) are the contract's views, as the device answers hold
them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from hall.domain.compact import compact_json

__all__ = [
    "WINDOW_EVENTS",
    "AppointmentBooked",
    "AppointmentCancelled",
    "AppointmentChanged",
    "BadRatingAlarm",
    "CatalogueChanged",
    "DomainEvent",
    "EvaluationSubmitted",
    "EvaluationUnrated",
    "HallSettingsChanged",
    "TicketAtWindow",
    "TicketCalled",
    "TicketFinished",
    "TicketNoShow",
    "TicketRecalled",
    "TicketRequeued",
    "TicketStarted",
    "TicketTaken",
    "TicketTransferred",
    "WindowChanged",
    "WindowClosed",
    "WindowOpened",
    "WindowPaused",
    "WindowResumed",
    "event_view",
]


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Something that happened in the hall, at `at` (POSIX seconds)."""

    type: ClassVar[str]  # the contract's name, e.g. "ticket.taken"
    at: float


# ----- tickets -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TicketTaken(DomainEvent):
    type = "ticket.taken"
    ticket: dict[str, Any]  # the contract's Ticket, with its place in the queue
    device: str  # the kiosk (or the back office) that issued it


@dataclass(frozen=True, slots=True)
class TicketAtWindow(DomainEvent):
    """A ticket's step at a window: called, recalled, started, finished, no-show, transferred."""

    ticket: dict[str, Any]  # the contract's Ticket after the step
    window: str
    device: str  # the window device that asked for it
    # Who did it: {"kind": "staff"|"user"|"back_office"|"hub", "id"} (`acted_by.py`).
    by: dict[str, Any] | None = field(default=None, kw_only=True)


@dataclass(frozen=True, slots=True)
class TicketCalled(TicketAtWindow):
    type = "ticket.called"


@dataclass(frozen=True, slots=True)
class TicketRecalled(TicketAtWindow):
    type = "ticket.recalled"


@dataclass(frozen=True, slots=True)
class TicketStarted(TicketAtWindow):
    type = "ticket.started"


@dataclass(frozen=True, slots=True)
class TicketFinished(TicketAtWindow):
    type = "ticket.finished"


@dataclass(frozen=True, slots=True)
class TicketNoShow(TicketAtWindow):
    type = "ticket.no_show"


@dataclass(frozen=True, slots=True)
class TicketTransferred(TicketAtWindow):
    type = "ticket.transferred"
    # Where it was and where it goes: {"service", "window", "staff"} and {"service",
    # "window", "staff", "position"} (window and staff null when any window may call it).
    from_: dict[str, Any]
    to: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TicketRequeued(TicketAtWindow):
    """A no-show who turned up again, back in the queue for a new visit."""

    type = "ticket.requeued"


# ----- windows -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class WindowChanged(DomainEvent):
    """A window signed in, paused, resumed or closed."""

    window: dict[str, Any]  # the contract's Window after the change
    device: str
    by: dict[str, Any] | None = field(default=None, kw_only=True)  # who: as TicketAtWindow's


@dataclass(frozen=True, slots=True)
class WindowOpened(WindowChanged):
    type = "window.open"


@dataclass(frozen=True, slots=True)
class WindowPaused(WindowChanged):
    type = "window.pause"


@dataclass(frozen=True, slots=True)
class WindowResumed(WindowChanged):
    type = "window.resume"


@dataclass(frozen=True, slots=True)
class WindowClosed(WindowChanged):
    type = "window.close"


# The event of each window operation, by the window state machine's event name.
WINDOW_EVENTS: dict[str, type[WindowChanged]] = {
    "open": WindowOpened,
    "pause": WindowPaused,
    "resume": WindowResumed,
    "close": WindowClosed,
}


# ----- ratings -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EvaluationSubmitted(DomainEvent):
    type = "eval.submitted"
    evaluation: dict[str, Any]  # as sent to the back office
    device: str


@dataclass(frozen=True, slots=True)
class EvaluationUnrated(DomainEvent):
    """A visit left unrated once its time to rate was over (a rating is never invented)."""

    type = "eval.unrated"
    evaluation: dict[str, Any]


@dataclass(frozen=True, slots=True)
class BadRatingAlarm(DomainEvent):
    """A rating of 1 or 2: managers are told at once."""

    type = "alarm.bad_rating"
    evaluation: dict[str, Any]


# ----- the back office -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AppointmentChanged(DomainEvent):
    """An appointment booked or cancelled by the back office."""

    appointment: dict[str, Any]  # the contract's Appointment after the change
    device: str  # the back office's API client that asked for it


@dataclass(frozen=True, slots=True)
class AppointmentBooked(AppointmentChanged):
    type = "appointment.booked"


@dataclass(frozen=True, slots=True)
class AppointmentCancelled(AppointmentChanged):
    type = "appointment.cancelled"


@dataclass(frozen=True, slots=True)
class CatalogueChanged(DomainEvent):
    type = "catalogue.changed"
    action: str  # add, rename, close, reopen, set_cap, set_hours or set_documents
    service: dict[str, Any]  # the service after the change, with the catalogue's version
    device: str
    by: dict[str, Any] | None = field(default=None, kw_only=True)  # who: as TicketAtWindow's


@dataclass(frozen=True, slots=True)
class HallSettingsChanged(DomainEvent):
    """A manager changed a window's services, a device, or the screens' notice."""

    type = "settings.changed"
    action: str  # set_window, device_enable, device_disable, device_window, device_rename,
    # set_notice
    subject: str  # the window id, the device id, or "screen"
    after: dict[str, Any]  # what the subject is now
    device: str  # who changed it: `dashboard-<user>` or `api-<client>`


# ----- the contract's form -------------------------------------------------------------------
_PAYLOAD_FIELDS: dict[type[DomainEvent], tuple[str, ...]] = {}


def _payload_fields(kind: type[DomainEvent]) -> tuple[str, ...]:
    names = _PAYLOAD_FIELDS.get(kind)
    if names is None:
        names = tuple(f.name for f in fields(kind) if f.name != "at")
        _PAYLOAD_FIELDS[kind] = names
    return names


# The JSON of the events decided lately, by identity (each entry holds its event, so an id is
# never another event's while it is here): the store records an event and the hub publishes
# it, and the text is made once for both.
_JSON_MADE: dict[int, tuple[DomainEvent, str]] = {}
_JSON_KEPT = 1024


def event_json(event: DomainEvent) -> str:
    """`event_view(event)` (without its seq) as compact JSON, Chinese kept as is."""
    made = _JSON_MADE.get(id(event))
    if made is not None and made[0] is event:
        return made[1]
    text = compact_json(event_view(event))
    if len(_JSON_MADE) >= _JSON_KEPT:
        _JSON_MADE.clear()
    _JSON_MADE[id(event)] = (event, text)
    return text


def numbered_json(event: DomainEvent, seq: int) -> bytes:
    """The UTF-8 JSON of `event_view(event, seq)`: seq first, as there."""
    return f'{{"seq":{seq},{event_json(event)[1:]}'.encode()


def event_view(event: DomainEvent, seq: int | None = None) -> dict[str, Any]:
    """The contract's JSON object of `event`: ``{"seq", "type", "at", ...}``.

    `seq` (the event's number in the hall's stream) comes first when given; the store keeps
    it beside the event, so it records the event without.
    """
    view: dict[str, Any] = {} if seq is None else {"seq": seq}
    view["type"] = event.type
    view["at"] = round(event.at, 3)
    for name in _payload_fields(type(event)):
        view[name.rstrip("_")] = getattr(event, name)
    return view
