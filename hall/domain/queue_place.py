"""Putting a ticket back into a queue at a chosen place: the front, the back, or after the
first N waiting (a requeued no-show, 过号顺延; a transfer to the front or the back).

The queue's order inside a class is its tickets' `arrival`; a ticket put back gets a value
between two others, so nothing else moves. Every value stays below the next arrival of the
day, so whoever takes a ticket later still comes after it.
"""

from __future__ import annotations

from collections.abc import Iterable

from .model import PRIORITY_RANK, Ticket

__all__ = ["POSITIONS", "placed_arrival"]

POSITIONS = ("front", "back")


def _places_after(position: int | str, waiting: int) -> int:
    """How many of those `waiting` stay ahead of the ticket put back at `position`."""
    if position == "front":
        return 0
    if position == "back":
        return waiting
    return min(int(position), waiting)


def placed_arrival(
    ticket: Ticket, service: str, waiting: Iterable[Ticket], position: int | str, next_arrival: int
) -> float:
    """The arrival that puts `ticket` at `position` among those waiting for `service` in its
    class (`next_arrival`: the arrival the day's next ticket will get)."""
    rank = PRIORITY_RANK[ticket.priority]
    others = sorted(
        t.arrival
        for t in waiting
        if t.no != ticket.no
        and t.state == "waiting"
        and t.service == service
        and PRIORITY_RANK[t.priority] == rank
    )
    ahead = _places_after(position, len(others))
    following = others[ahead] if ahead < len(others) else float(next_arrival)
    if ahead == 0:
        return following - 1
    return (others[ahead - 1] + following) / 2
