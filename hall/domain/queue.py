"""Who is called next: the queue policy.

A window calls among the waiting tickets of the services it serves. Order: green channel first,
then appointments inside their slot, then normal; within a class, the window's services in its
order of preference; within a service, first come first served by arrival (a transferred ticket
keeps its arrival, so it goes ahead of later arrivals). Ageing rules, checked first, let a
service whose oldest ticket waits too long jump the order, so nobody starves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .model import PRIORITY_RANK, Ticket

# An ageing rule sees the window's candidates (already in policy order) and the time, and may
# pick one of them to be called first; None lets the next rule or the default order decide.
AgeingRule = Callable[[Sequence[Ticket], float], Ticket | None]


@dataclass(frozen=True)
class MaxWaitRule:
    """'When service X's oldest ticket waits over N seconds, call X first' (Qmatic-style)."""

    service: str
    max_wait_s: float

    def __call__(self, candidates: Sequence[Ticket], now: float) -> Ticket | None:
        overdue = [
            t
            for t in candidates
            if t.service == self.service and now - t.issued_at > self.max_wait_s
        ]
        return min(overdue, key=lambda t: t.arrival, default=None)


def effective_rank(ticket: Ticket, now: float | None) -> int:
    """An appointment counts as one only from the start of its slot; before, it is normal."""
    if ticket.priority == "appointment" and now is not None and ticket.slot_start is not None:
        if now < ticket.slot_start:
            return PRIORITY_RANK["normal"]
    return PRIORITY_RANK[ticket.priority]


def call_order_key(
    ticket: Ticket, preference: Sequence[str], now: float | None = None
) -> tuple[int, int, int]:
    return (effective_rank(ticket, now), preference.index(ticket.service), ticket.arrival)


def candidates_for(
    waiting: Iterable[Ticket], preference: Sequence[str], now: float | None = None
) -> list[Ticket]:
    """The waiting tickets a window with these services may call, in policy order."""
    eligible = [t for t in waiting if t.state == "waiting" and t.service in preference]
    eligible.sort(key=lambda t: call_order_key(t, preference, now))
    return eligible


def select_next(
    waiting: Iterable[Ticket],
    preference: Sequence[str],
    now: float,
    rules: Sequence[AgeingRule] = (),
) -> Ticket | None:
    ordered = candidates_for(waiting, preference, now)
    if not ordered:
        return None
    for rule in rules:
        chosen = rule(ordered, now)
        if chosen is not None:
            return chosen
    return ordered[0]


def queue_position_key(ticket: Ticket, now: float | None = None) -> tuple[int, int]:
    """Order inside one service's queue: class, then arrival."""
    return (effective_rank(ticket, now), ticket.arrival)


def ahead_of(ticket: Ticket, waiting: Iterable[Ticket], now: float | None = None) -> int:
    """How many people are before this ticket in its service's queue (now)."""
    mine = queue_position_key(ticket, now)
    return sum(
        1
        for other in waiting
        if other.state == "waiting"
        and other.service == ticket.service
        and other.no != ticket.no
        and queue_position_key(other, now) < mine
    )
