"""The calling index gives exactly the policy's answer (`queue.select_next`), whatever the mix
of classes, appointments in or before their slot, transfers and removals."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hall.domain.model import Ticket
from hall.domain.queue import select_next
from hall.domain.queue_index import QueueIndex

SERVICES = ["A", "B", "C"]
tickets = st.builds(
    lambda n, service, priority, arrival, slot: Ticket(
        no=f"{service}{n:03d}",
        day="2026-11-27",
        service=service,
        priority=priority,
        state="waiting",
        arrival=arrival,
        issued_at=float(arrival),
        slot_start=float(slot) if priority == "appointment" else None,
    ),
    st.integers(1, 60),
    st.sampled_from(SERVICES),
    st.sampled_from(["normal", "green", "appointment"]),
    st.integers(1, 500),
    st.integers(0, 100),
)


@given(
    # Each its own number and arrival, as in a hall (a tie would leave the order to the list's).
    st.lists(tickets, max_size=40, unique_by=(lambda t: t.no, lambda t: t.arrival)),
    st.lists(st.integers(0, 39), max_size=15),
    st.permutations(SERVICES).flatmap(lambda p: st.integers(1, 3).map(lambda k: p[:k])),
    st.floats(0, 120),
)
def test_index_matches_the_policy(
    waiting: list[Ticket], removed: list[int], preference: list[str], now: float
) -> None:
    index = QueueIndex()
    for ticket in waiting:
        index.add(ticket)
    gone = {waiting[i].no for i in removed if i < len(waiting)}
    for no in gone:
        index.remove(no)
    # A transfer: a ticket removed, then back in another service keeping its arrival.
    still = [t for t in waiting if t.no not in gone]
    if still:
        moved = still[0].evolve(service=SERVICES[(SERVICES.index(still[0].service) + 1) % 3])
        index.remove(moved.no)
        index.add(moved)
        still[0] = moved
    expected = select_next(still, preference, now)
    chosen = index.select(preference, now)
    assert (chosen.no if chosen else None) == (expected.no if expected else None)


@given(
    st.lists(
        st.tuples(tickets, st.sampled_from([None, None, "1", "2"])),
        max_size=40,
        unique_by=(lambda p: p[0].no, lambda p: p[0].arrival),
    ),
    st.lists(st.integers(0, 39), max_size=15),
    st.permutations(SERVICES).flatmap(lambda p: st.integers(1, 3).map(lambda k: p[:k])),
    st.floats(0, 120),
    st.sampled_from(["1", "2", "3"]),
)
def test_tickets_transferred_to_one_window_are_called_by_it_alone(
    entries: list[tuple[Ticket, str | None]],
    removed: list[int],
    preference: list[str],
    now: float,
    window: str,
) -> None:
    waiting = [ticket.evolve(for_window=target) for ticket, target in entries]
    index = QueueIndex(waiting)
    gone = {waiting[i].no for i in removed if i < len(waiting)}
    for no in gone:
        index.remove(no)
    still = [t for t in waiting if t.no not in gone]
    expected = select_next(still, preference, now, window)
    chosen = index.select(preference, now, window)
    assert (chosen.no if chosen else None) == (expected.no if expected else None)
    if chosen is not None:
        assert chosen.for_window in (None, window)
