"""Who is called next: the queue policy.

A window calls among the waiting tickets of the services it serves. Order: green channel first,
then appointments inside their slot, then normal; within a class, the window's services in its
order of preference; within a service, first come first served by arrival (a transferred ticket
keeps its arrival, so it goes ahead of later arrivals). A ticket transferred to one window (or
to the clerk signed in there) is called by that window only, in the same order.

A service may have a longest wait (`max_wait_min`, its target). Within a class, and only there,
a window then weighs its services' head tickets by how much of their target they have waited
(their urgency): one past its target goes first (the most overdue of them), and otherwise the
window's order of preference yields to a later service once that service's head is a quarter
of its target more urgent per place further down. So the class order never bends, each
service stays first come first served, and no service at a shared window is left far behind
another relative to its target. A service without a target has no urgency: pure preference.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence

from .model import PRIORITY_RANK, Ticket


def effective_rank(ticket: Ticket, now: float | None) -> int:
    """An appointment counts as one only from the start of its slot; before, it is normal."""
    if ticket.priority == "appointment" and now is not None and ticket.slot_start is not None:
        if now < ticket.slot_start:
            return PRIORITY_RANK["normal"]
    return PRIORITY_RANK[ticket.priority]


# How much more urgent (share of its target) a service one place further down a window's
# preference must be to go first: what keeps the balance bounded.
PREFERENCE_STEP = 0.25

Targets = Mapping[str, float]  # service -> longest wait, seconds
NO_TARGETS: Targets = {}


def waiting_since(ticket: Ticket) -> float:
    """When the ticket's current wait began: a requeued no-show waits from its requeue."""
    return ticket.requeued_at if ticket.requeued_at is not None else ticket.issued_at


def urgency(waited_s: float, target_s: float | None) -> float:
    """The share of its service's target a head ticket has waited (0 without a target)."""
    return max(0.0, waited_s) / target_s if target_s else 0.0


def pick_service(options: Sequence[tuple[int, float]]) -> int:
    """Which of a class's service heads goes first, given each one's (place in the window's
    preference, urgency): its position in `options`."""
    overdue = [i for i, (_place, u) in enumerate(options) if u >= 1.0]
    if overdue:
        return min(overdue, key=lambda i: (-options[i][1], options[i][0]))
    return min(
        range(len(options)),
        key=lambda i: (-(options[i][1] - PREFERENCE_STEP * options[i][0]), options[i][0]),
    )


def choose(
    heads: Iterable[Ticket], preference: Sequence[str], now: float, targets: Targets = NO_TARGETS
) -> Ticket | None:
    """The ticket called first among these (already allowed to this window): the best class,
    in it each service's earliest arrival, and among those the service `pick_service` says."""
    best: dict[str, Ticket] = {}
    best_rank: int | None = None
    for ticket in heads:
        rank = effective_rank(ticket, now)
        if best_rank is None or rank < best_rank:
            best, best_rank = {}, rank
        if rank != best_rank:
            continue
        held = best.get(ticket.service)
        if held is None or ticket.arrival < held.arrival:
            best[ticket.service] = ticket
    if not best:
        return None
    fronts = list(best.values())
    options = [
        (preference.index(t.service), urgency(now - waiting_since(t), targets.get(t.service)))
        for t in fronts
    ]
    return fronts[pick_service(options)]


def call_order_key(
    ticket: Ticket, preference: Sequence[str], now: float | None = None
) -> tuple[int, int, float]:
    return (effective_rank(ticket, now), preference.index(ticket.service), ticket.arrival)


def may_call(ticket: Ticket, preference: Sequence[str], window: str | None = None) -> bool:
    """Whether the window `window` serving `preference` may call this ticket now."""
    return (
        ticket.state == "waiting"
        and ticket.service in preference
        and ticket.for_window in (None, window)
    )


def candidates_for(
    waiting: Iterable[Ticket],
    preference: Sequence[str],
    now: float | None = None,
    window: str | None = None,
    targets: Targets = NO_TARGETS,
) -> list[Ticket]:
    """The waiting tickets a window with these services may call, in policy order (the
    tickets transferred to `window` among them), as the window would call them one by one
    now."""
    eligible = [t for t in waiting if may_call(t, preference, window)]
    eligible.sort(key=lambda t: call_order_key(t, preference, now))
    if now is None or not any(targets.get(s) for s in preference):
        return eligible  # pure preference: the sort is the calling order
    # Each service's queue per class stays in arrival order; the services' heads are
    # weighed again after each call.
    lanes: dict[tuple[int, str], deque[Ticket]] = {}
    for ticket in eligible:
        lanes.setdefault((effective_rank(ticket, now), ticket.service), deque()).append(ticket)
    ordered: list[Ticket] = []
    while lanes:
        chosen = choose((lane[0] for lane in lanes.values()), preference, now, targets)
        assert chosen is not None
        key = (effective_rank(chosen, now), chosen.service)
        ordered.append(lanes[key].popleft())
        if not lanes[key]:
            del lanes[key]
    return ordered


def select_next(
    waiting: Iterable[Ticket],
    preference: Sequence[str],
    now: float,
    window: str | None = None,
    targets: Targets = NO_TARGETS,
) -> Ticket | None:
    """The ticket a window with these services calls next, by the policy above."""
    eligible = (t for t in waiting if may_call(t, preference, window))
    return choose(eligible, preference, now, targets)


def queue_position_key(ticket: Ticket, now: float | None = None) -> tuple[int, float]:
    """Order inside one service's queue: class, then arrival."""
    return (effective_rank(ticket, now), ticket.arrival)


def places(waiting: Iterable[Ticket], now: float | None = None) -> dict[str, int]:
    """`ahead_of` of every waiting ticket at once, by number: one sort per service instead of
    a count over the whole queue for each ticket (the phones following their tickets ask for
    all of them after every change)."""
    keyed: dict[str, list[tuple[tuple[int, float], str]]] = {}
    for ticket in waiting:
        if ticket.state == "waiting":
            entry = (queue_position_key(ticket, now), ticket.no)
            keyed.setdefault(ticket.service, []).append(entry)
    found: dict[str, int] = {}
    for entries in keyed.values():
        entries.sort()
        place = 0
        for index, (key, no) in enumerate(entries):
            if index and key != entries[index - 1][0]:
                place = index  # tickets with the same key are not ahead of each other
            found[no] = place
    return found


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
