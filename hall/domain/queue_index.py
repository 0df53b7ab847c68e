"""The waiting tickets indexed for calling: one heap by arrival per (service, class).

`select_next` in `queue.py` states the policy by sorting every candidate; a busy hall has
thousands waiting, and a window calls many times a minute. This index gives the same answer
from the heads of a few heaps. Removal is lazy: a heap entry whose ticket is no longer
waiting there is dropped when it reaches the top. The few tickets transferred to one window
are kept apart, by window, and weighed against the heaps' answer.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence

from .model import PRIORITY_RANK, Ticket
from .queue import NO_TARGETS, Targets, choose, may_call

GREEN, APPOINTMENT, NORMAL = (
    PRIORITY_RANK["green"],
    PRIORITY_RANK["appointment"],
    (PRIORITY_RANK["normal"]),
)


class QueueIndex:
    def __init__(self, waiting: Iterable[Ticket] = (), targets: Targets = NO_TARGETS) -> None:
        self.targets = targets  # each service's longest wait (`queue.py`)
        self._heaps: dict[tuple[str, int], list[tuple[float, str]]] = {}
        self._waiting: dict[str, Ticket] = {}
        self._for_window: dict[str, dict[str, Ticket]] = {}  # window -> its transfers, by no
        for ticket in waiting:
            self.add(ticket)

    def add(self, ticket: Ticket) -> None:
        if ticket.for_window is not None:
            self._for_window.setdefault(ticket.for_window, {})[ticket.no] = ticket
            return
        self._waiting[ticket.no] = ticket
        key = (ticket.service, PRIORITY_RANK[ticket.priority])
        heapq.heappush(self._heaps.setdefault(key, []), (ticket.arrival, ticket.no))

    def remove(self, no: str) -> None:
        if self._waiting.pop(no, None) is None:
            for tickets in self._for_window.values():
                tickets.pop(no, None)

    def _live(self, service: str, rank: int, entry: tuple[float, str]) -> Ticket | None:
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

    def select(
        self, preference: Sequence[str], now: float, window: str | None = None
    ) -> Ticket | None:
        """The ticket a window with these services calls next, as `queue.select_next`: the
        policy weighs only each service's head per class, so the heaps' heads (and the few
        tickets transferred to this window) are all it needs."""
        heads = self._heads(preference, now)
        heads.extend(
            t
            for t in self._for_window.get(window or "", {}).values()
            if may_call(t, preference, window)
        )
        return choose(heads, preference, now, self.targets)

    def _heads(self, preference: Sequence[str], now: float) -> list[Ticket]:
        """Each service's first green ticket; else its first appointment inside its slot;
        else its first normal ticket or early appointment: the best class's heads."""
        green = [t for s in preference if (t := self._head(s, GREEN)) is not None]
        if green:
            return green
        early: list[Ticket] = []
        inside: list[Ticket] = []
        for service in preference:
            first_inside, first_early = self._appointments(service, now)
            if first_inside is not None:
                inside.append(first_inside)
            if first_early is not None:
                early.append(first_early)
        if inside:
            return inside
        return [t for s in preference if (t := self._head(s, NORMAL)) is not None] + early
