"""好差评 ratings (GB/T 39735-2020): one rating per visit, 5 非常满意 … 1 非常不满意.

1 and 2 are bad ratings and raise an alarm for managers at once. A visit left unrated is
reported as unrated after the configured time; a rating is never invented.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import args as A
from .actor import Actor
from .errors import DomainError
from .events import BadRatingAlarm, DomainEvent, EvaluationSubmitted, EvaluationUnrated
from .model import BAD_RATING_MAX, Ticket, rfc3339
from .state import HallState, Outcome

LEVEL_LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}


def case_id(state: HallState, ticket: Ticket) -> str:
    """One case per visit: a requeued no-show's next visit is a new case (``…-A001-2``)."""
    first = f"{state.config.hall.id}-{ticket.day}-{ticket.no}"
    return first if ticket.visit == 1 else f"{first}-{ticket.visit}"


def evaluate(state: HallState, device: Actor, args: Mapping[str, Any], now: float) -> Outcome:
    no = A.ticket_number(args, "ticket")
    level = A.required_int(args, "level", 1, 5)
    ticket = state.tickets.get(no)
    if ticket is None:
        raise DomainError("not_found", f"no ticket {no} today")
    if ticket.state != "done":
        raise DomainError("invalid_state", f"{no} is {ticket.state}: only a served ticket is rated")
    if ticket.window != device.window:
        raise DomainError("forbidden", f"{no} was not served at window {device.window}")
    if ticket.rated:
        raise DomainError("invalid_state", f"{no} has already been rated (one rating per visit)")
    if ticket.unrated_reported:
        raise DomainError("invalid_state", f"{no} was reported unrated: the time to rate is over")
    evaluation = {
        "ticket": no,
        "case_id": case_id(state, ticket),
        "window": ticket.window,
        "staff": ticket.staff,
        "level": level,
        "label": LEVEL_LABELS[level],
        "bad": level <= BAD_RATING_MAX,
        "at": rfc3339(now, state.tz),
    }
    after = ticket.evolve(rated=True, rating=level, rated_at=now)
    events: tuple[DomainEvent, ...] = (EvaluationSubmitted(now, evaluation, device.id),)
    if level <= BAD_RATING_MAX:
        events += (BadRatingAlarm(now, evaluation),)
    return Outcome(
        result={"evaluation": evaluation},
        tickets=((ticket, after),),
        events=events,
        evaluations=(evaluation,),
    )


def unrated_due(state: HallState, now: float) -> list[Ticket]:
    """Served visits whose time to rate is over, not yet rated nor reported."""
    after_s = state.config.ratings.unrated_after_s
    return [
        t
        for t in state.tickets.values()
        if t.state == "done"
        and not t.rated
        and not t.unrated_reported
        and t.finished_at is not None
        and now - t.finished_at >= after_s
    ]


def sweep_unrated(state: HallState, device: Actor, args: Mapping[str, Any], now: float) -> Outcome:
    """Report every visit whose time to rate is over as unrated (`rated: false`)."""
    due = unrated_due(state, now)
    reports = tuple(
        {
            "ticket": t.no,
            "case_id": case_id(state, t),
            "window": t.window,
            "staff": t.staff,
            "level": None,
            "rated": False,
            "at": rfc3339(now, state.tz),
        }
        for t in due
    )
    return Outcome(
        result={"reported": [r["ticket"] for r in reports]},
        tickets=tuple((t, t.evolve(unrated_reported=True)) for t in due),
        events=tuple(EvaluationUnrated(now, r) for r in reports),
        evaluations=reports,
    )
