"""The waiting tickets indexed for calling: one heap by arrival per (service, class).

`select_next` in `queue.py` states the policy by sorting every candidate; a busy hall has
thousands waiting, and a window calls many times a minute. This index gives the same answer
from the heads of a few heaps. Removal is lazy: a heap entry whose ticket is no longer
waiting there is dropped when it reaches the top.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence

from .model import PRIORITY_RANK, Ticket

GREEN, APPOINTMENT, NORMAL = (
    PRIORITY_RANK["green"],
    PRIORITY_RANK["appointment"],
    (PRIORITY_RANK["normal"]),
)


class QueueIndex:
    def __init__(self, waiting: Iterable[Ticket] = ()) -> None:
        self._heaps: dict[tuple[str, int], list[tuple[int, str]]] = {}
        self._waiting: dict[str, Ticket] = {}
        for ticket in waiting:
            self.add(ticket)

    def add(self, ticket: Ticket) -> None:
        self._waiting[ticket.no] = ticket
        key = (ticket.service, PRIORITY_RANK[ticket.priority])
        heapq.heappush(self._heaps.setdefault(key, []), (ticket.arrival, ticket.no))

    def remove(self, no: str) -> None:
        self._waiting.pop(no, None)

    def _live(self, service: str, rank: int, entry: tuple[int, str]) -> Ticket | None:
        ticket = self._waiting.get(entry[1])
        if (
            ticket is not None
            and ticket.service == service
            and PRIORITY_RANK[ticket.priority] == rank
            and ticket.arrival == entry[0]
        ):
            return ticket
        return None

    def _head(self, service: str, rank: int) -> Ticket | None:
        heap = self._heaps.get((service, rank))
        while heap:
            ticket = self._live(service, rank, heap[0])
            if ticket is not None:
                return ticket
            heapq.heappop(heap)
        return None

    def _appointments(self, service: str, now: float) -> tuple[Ticket | None, Ticket | None]:
        """The first appointment inside its slot, and the first one not yet in it (which
        counts as normal until then). Appointment queues are short: a scan is fine."""
        heap = self._heaps.get((service, APPOINTMENT), [])
        live = [t for e in heap if (t := self._live(service, APPOINTMENT, e)) is not None]
        heap[:] = [(t.arrival, t.no) for t in live]
        heapq.heapify(heap)
        inside = [t for t in live if t.slot_start is None or now >= t.slot_start]
        early = [t for t in live if t.slot_start is not None and now < t.slot_start]
        first_inside = min(inside, key=lambda t: t.arrival, default=None)
        first_early = min(early, key=lambda t: t.arrival, default=None)
        return first_inside, first_early

    def select(self, preference: Sequence[str], now: float) -> Ticket | None:
        """The ticket a window with these services calls next, as `queue.select_next` with no
        ageing rules: by class, then the window's preference, then arrival."""
        for service in preference:
            green = self._head(service, GREEN)
            if green is not None:
                return green
        early: dict[str, Ticket | None] = {}
        for service in preference:
            inside, early[service] = self._appointments(service, now)
            if inside is not None:
                return inside
        for service in preference:
            normal = self._head(service, NORMAL)
            waiting_early = early[service]
            if normal is None or (
                waiting_early is not None and waiting_early.arrival < normal.arrival
            ):
                normal = waiting_early
            if normal is not None:
                return normal
        return None
