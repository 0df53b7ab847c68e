"""What the hub publishes, built from the pure hall state: device states, board, services,
announcements, print jobs and back-office outbox entries. Pure: values in, dicts out."""

from __future__ import annotations

from typing import Any

from displays.ledtext import window_strip_text
from displays.phrasing import announce_text, window_display_name

from .domain.hall import Call, HallState
from .domain.model import Ticket, Window, rfc3339
from .domain.ops_ratings import case_id


def window_name(state: HallState, window_id: str) -> str:
    configured = state.config.window(window_id)
    return window_display_name(window_id, configured.name if configured else None)


def window_device_state(state: HallState, window: Window) -> dict[str, Any]:
    """The retained `state` of every device bound to this window (LED strip, pad, keypad)."""
    hand = state.tickets.get(window.ticket) if window.ticket else None
    ticket_state = hand.state if hand is not None else None
    shown_state = ticket_state if ticket_state in ("called", "serving") else window.state
    if window.state == "paused" and ticket_state not in ("called", "serving"):
        shown_state = "paused"
    text = window_strip_text(shown_state, window.ticket, window.paused_reason)
    return {
        "window": window.id,
        "name": window_name(state, window.id),
        "state": window.state,
        "ticket": window.ticket,
        "ticket_state": ticket_state,
        "staff": window.staff,
        "paused_reason": window.paused_reason,
        "served": window.served if window.served_day == state.day else 0,
        "text": text,
    }


def board(state: HallState) -> dict[str, Any]:
    return {"calls": state.recent_calls(), "waiting": state.waiting_counts()}


def services(state: HallState) -> dict[str, Any]:
    return {
        "hall": state.config.hall.id,
        "name": state.config.hall.name,
        "services": state.services_view(),
    }


def announcement(state: HallState, call: Call, seq: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "ticket": call.ticket,
        "window": call.window,
        "window_name": window_name(state, call.window),
        "text": announce_text(call.ticket, window_name(state, call.window)),
        "repeat": call.repeat,
    }


def print_job(
    state: HallState, ticket: Ticket, view: dict[str, Any], status_url: str | None
) -> dict[str, Any]:
    """The kiosk printer's job; `view` is the ticket as the kiosk was just told it."""
    service = state.service(ticket.service)
    return {
        "job": "print",
        "ticket": view,
        "hall_name": state.config.hall.name,
        "service_name": service.name if service else ticket.service,
        "qr_url": f"{status_url}/t/{ticket.no}" if status_url else None,
    }


def case_entry(state: HallState, ticket: Ticket) -> dict[str, Any]:
    """The outbox entry for a visit that ended: the body of `POST <portal>/cases`."""
    wait_s = round(ticket.called_at - ticket.issued_at) if ticket.called_at else None
    service_s = (
        round(ticket.finished_at - ticket.started_at)
        if ticket.finished_at and ticket.started_at
        else None
    )
    body = {
        "case_id": case_id(state, ticket),
        "hall": state.config.hall.id,
        "ticket": ticket.no,
        "service": ticket.service,
        "window": ticket.window,
        "staff": ticket.staff,
        "outcome": ticket.outcome or ticket.state,
        "issued_at": rfc3339(ticket.issued_at, state.tz),
        "called_at": rfc3339(ticket.called_at, state.tz),
        "started_at": rfc3339(ticket.started_at, state.tz),
        "finished_at": rfc3339(ticket.finished_at, state.tz),
        "wait_s": wait_s,
        "service_s": service_s,
    }
    return {"kind": "case", "key": body["case_id"], "body": body}


def evaluation_entry(state: HallState, evaluation: dict[str, Any]) -> dict[str, Any]:
    """The outbox entry for a rating, or for a visit reported unrated (`level` null,
    `rated` false): the body of `POST <portal>/evaluations`."""
    body = {
        "case_id": evaluation["case_id"],
        "hall": state.config.hall.id,
        "ticket": evaluation["ticket"],
        "window": evaluation["window"],
        "staff": evaluation["staff"],
        "level": evaluation["level"],
        "rated": evaluation["level"] is not None,
        "at": evaluation["at"],
    }
    return {"kind": "evaluation", "key": body["case_id"], "body": body}
