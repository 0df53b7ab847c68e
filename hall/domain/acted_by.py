"""Who did each action: the `by` of the events of tickets and windows, and of the catalogue.

Decided once, after an operation (`with_who`), so that no operation can forget it: a
dashboard user acting on the hall is ``{"kind": "user", "id": <name>}``; a window device
(pad or caller keypad) acts for the clerk signed in at its window, ``{"kind": "staff",
"id": <staff number>}`` (for a sign-in, the clerk who signed in; for a sign-off, the clerk who
left); the back office and the hub's own housekeeping name themselves. A window device at a
window nobody is signed in at leaves `by` null. Pure.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .actor import BACK_OFFICE, HUB, MANAGER, Actor
from .events import CatalogueChanged, DomainEvent, TicketAtWindow, WindowChanged
from .state import HallState, Outcome

__all__ = ["acted_by", "with_who"]

_WITH_BY = (TicketAtWindow, WindowChanged, CatalogueChanged)
_PREFIX = {MANAGER: "dashboard-", BACK_OFFICE: "api-", HUB: "hub-"}


def acted_by(state: HallState, actor: Actor, window_id: str | None, staff_after: Any) -> Any:
    """The `by` of one event at `window_id` (the state is the one before the operation)."""
    if actor.kind == MANAGER:
        return {"kind": "user", "id": actor.user or actor.id.removeprefix(_PREFIX[MANAGER])}
    if actor.kind in (BACK_OFFICE, HUB):
        return {"kind": actor.kind, "id": actor.id}
    window = state.windows.get(window_id) if window_id is not None else None
    staff = (window.staff if window is not None else None) or staff_after
    return {"kind": "staff", "id": staff} if isinstance(staff, str) and staff else None


def _with_by(state: HallState, actor: Actor, event: DomainEvent) -> DomainEvent:
    if isinstance(event, TicketAtWindow):
        return dataclasses.replace(event, by=acted_by(state, actor, event.window, None))
    if isinstance(event, WindowChanged):
        window = event.window
        by = acted_by(state, actor, window.get("id"), window.get("staff"))
        return dataclasses.replace(event, by=by)
    if isinstance(event, CatalogueChanged):
        return dataclasses.replace(event, by=acted_by(state, actor, None, None))
    return event


def with_who(state: HallState, actor: Actor, outcome: Outcome) -> Outcome:
    """The outcome with `by` set on its events of tickets at windows, windows, catalogue."""
    if not any(isinstance(e, _WITH_BY) for e in outcome.events):
        return outcome
    events = tuple(_with_by(state, actor, e) for e in outcome.events)
    return dataclasses.replace(outcome, events=events)
