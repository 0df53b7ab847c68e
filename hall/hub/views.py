"""What the hub publishes, built from the pure hall state: device states, board, services,
announcements, print jobs and back-office outbox entries. Pure: values in, dicts out.

The hub is the one owner of every text a device shows or says: window names come from the hall
file (`window_name`), and the LED strip text, the board lines, the announcement text and its
spoken form are made here, with the pure helpers of `displays`. Devices, the speaker and the
pages show or say exactly what they are given."""

from __future__ import annotations

from typing import Any

from displays.board import compose_board
from displays.ledtext import window_strip_text
from displays.phrasing import announce_text, spoken_text, window_display_name
from hall.domain.hall import Call, HallState
from hall.domain.model import Ticket, Window, rfc3339
from hall.domain.ops_ratings import case_id


def window_name(state: HallState, window_id: str) -> str:
    """How a window is shown and spoken: its hall-file `name`, else ``<id>号窗口``."""
    configured = state.config.window(window_id)
    return window_display_name(window_id, configured.name if configured else None)


def window_names(state: HallState) -> dict[str, str]:
    """Every window's name by id, as the hub shows and says it (for `hall watch`)."""
    return {window_id: window_name(state, window_id) for window_id in state.windows}


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
        # The ticket in hand's recalls and the hall's cap: a pad disables its recall key at it.
        "recalls": hand.recalls if ticket_state in ("called", "serving") and hand else 0,
        "recall_cap": state.config.queue.recall_cap,
        # What the window calls, in its order of preference (a manager may change it live).
        "services": list(state.window_services.get(window.id, ())),
    }


def board(state: HallState) -> dict[str, Any]:
    """The retained `board`: the recent calls with their window names and board lines."""
    # Oldest first: among calls made in the same instant, the later one is the newer.
    calls = reversed(state.recent_calls())
    payload = compose_board(
        calls, state.waiting_counts(), window_name=lambda window: window_name(state, window)
    )
    return dict(payload)


def services(state: HallState, now: float) -> dict[str, Any]:
    return {
        "hall": state.config.hall.id,
        "name": state.config.hall.name,
        "services": state.services_view(now),
    }


def announcement(state: HallState, call: Call, seq: int) -> dict[str, Any]:
    """The `announce` payload: `text` to show (and for a browser to speak), `speech` the same
    call written for the speaker's voice (letters apart, digits one by one)."""
    name = window_name(state, call.window)
    return {
        "seq": seq,
        "ticket": call.ticket,
        "window": call.window,
        "window_name": name,
        "text": announce_text(call.ticket, name),
        "speech": spoken_text(call.ticket, name),
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


def case_entry(
    state: HallState, ticket: Ticket, ended_by: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The outbox entry for a visit that ended: the body of `POST <portal>/cases`. A requeued
    no-show's later visit is a case of its own (`visit`, and its wait from the requeue).
    `ended_by` is who ended it (the clerk or dashboard user: the ending event's `by`)."""
    queued_at = ticket.requeued_at if ticket.requeued_at is not None else ticket.issued_at
    wait_s = round(ticket.called_at - queued_at) if ticket.called_at else None
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
        "services_done": _services_done(ticket),
        "visit": ticket.visit,
        # for the history's reports: transfers and recalls
        "origin_service": ticket.origin_service,
        "recalls": ticket.recalls,
        "ended_by": ended_by,
    }
    return {"kind": "case", "key": body["case_id"], "body": body}


def _services_done(ticket: Ticket) -> list[str]:
    """What the clerk recorded at finish; a visit served without a record did its own
    service, one that ended otherwise none."""
    if ticket.services_done is not None:
        return list(ticket.services_done)
    return [ticket.service] if ticket.state == "done" else []


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
