"""A service's longest wait (`max_wait_min`) and the balance between services sharing a
window: long waiters are lifted within their class only, never past the green channel or an
appointment inside its slot; the index and the forecast's play-out follow the same policy."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hall.domain.forecast import play_out
from hall.domain.model import Ticket, Window
from hall.domain.queue import candidates_for, effective_rank, select_next, waiting_since
from hall.domain.queue_index import QueueIndex

SERVICES = ["A", "B", "C"]
T0 = 1_800_000_000.0


def _ticket(n: int, service: str, priority: str, arrival: int, waited: int, slot: int) -> Ticket:
    return Ticket(
        no=f"{service}{n:03d}",
        day="2026-11-27",
        service=service,
        priority=priority,  # type: ignore[arg-type]
        state="waiting",
        arrival=arrival,
        issued_at=T0 - waited,
        slot_start=T0 + slot if priority == "appointment" else None,
    )


tickets = st.builds(
    _ticket,
    st.integers(1, 60),
    st.sampled_from(SERVICES),
    st.sampled_from(["normal", "normal", "green", "appointment"]),
    st.integers(1, 500),
    st.integers(0, 7200),
    st.integers(-1800, 1800),
)


def halls_tickets(min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[list[Ticket]]:
    """Waiting tickets as a hall has them: each its own number and its own arrival (an order,
    one per ticket: on a tie, which of two heads the policy calls first would depend on the
    order it is handed the tickets in)."""
    return st.lists(
        tickets,
        min_size=min_size,
        max_size=max_size,
        unique_by=(lambda t: t.no, lambda t: t.arrival),
    )


targets = st.dictionaries(st.sampled_from(SERVICES), st.sampled_from([300.0, 900.0, 1800.0]))
preferences = st.permutations(SERVICES).flatmap(lambda p: st.integers(1, 3).map(lambda k: p[:k]))


@given(halls_tickets(max_size=40), preferences, targets)
def test_the_class_order_is_never_broken_and_each_service_stays_first_come(
    waiting: list[Ticket], preference: list[str], wait_targets: dict[str, float]
) -> None:
    chosen = select_next(waiting, preference, T0, None, wait_targets)
    eligible = [t for t in waiting if t.service in preference]
    if not eligible:
        assert chosen is None
        return
    assert chosen is not None
    rank = effective_rank(chosen, T0)
    # Nobody of a better class waits: a normal ticket never goes before the green channel or
    # an appointment inside its slot, however long it has waited.
    assert rank == min(effective_rank(t, T0) for t in eligible)
    same_lane = [
        t for t in eligible if t.service == chosen.service and effective_rank(t, T0) == rank
    ]
    assert chosen.arrival == min(t.arrival for t in same_lane)


@given(halls_tickets(max_size=40), preferences, targets)
def test_the_calling_order_keeps_classes_in_order(
    waiting: list[Ticket], preference: list[str], wait_targets: dict[str, float]
) -> None:
    ordered = candidates_for(waiting, preference, T0, None, wait_targets)
    ranks = [effective_rank(t, T0) for t in ordered]
    assert ranks == sorted(ranks)
    assert {t.no for t in ordered} == {t.no for t in waiting if t.service in preference}
    if ordered:
        assert ordered[0] is select_next(waiting, preference, T0, None, wait_targets)


@given(
    halls_tickets(max_size=40),
    st.lists(st.integers(0, 39), max_size=15),
    preferences,
    targets,
    st.sampled_from([None, "1"]),
)
def test_the_index_gives_the_policys_answer_with_targets(
    waiting: list[Ticket],
    removed: list[int],
    preference: list[str],
    wait_targets: dict[str, float],
    window: str | None,
) -> None:
    waiting = [t.evolve(for_window="1") if t.arrival % 7 == 0 else t for t in waiting]
    index = QueueIndex(waiting, wait_targets)
    gone = {waiting[i].no for i in removed if i < len(waiting)}
    for no in gone:
        index.remove(no)
    still = [t for t in waiting if t.no not in gone]
    expected = select_next(still, preference, T0, window, wait_targets)
    chosen = index.select(preference, T0, window)
    assert (chosen.no if chosen else None) == (expected.no if expected else None)


@settings(max_examples=150, deadline=None)
@given(
    halls_tickets(min_size=1, max_size=25),
    preferences,
    targets,
)
def test_the_forecast_plays_out_in_the_order_the_policy_calls(
    waiting: list[Ticket], preference: list[str], wait_targets: dict[str, float]
) -> None:
    occupancy = 240.0
    forecast = play_out(
        T0,
        waiting,
        {"1": Window("1", "open", "S1")},
        {"1": preference},
        {},
        lambda service, window: occupancy,
        {},
        (),
        1.0,
        lambda reason: 600.0,
        lambda service, window, elapsed: occupancy,
        wait_targets=wait_targets,
    )
    left, now, expected = list(waiting), T0, []
    while (chosen := select_next(left, preference, now, "1", wait_targets)) is not None:
        expected.append(chosen.no)
        left.remove(chosen)
        now += occupancy
    assert [no for no, _at in sorted(forecast.calls.items(), key=lambda i: i[1])] == expected


def _normal(no: str, service: str, arrival: int, waited_min: float) -> Ticket:
    return Ticket(no, "d", service, "normal", "waiting", arrival, T0 - waited_min * 60)


def test_a_service_past_its_longest_wait_goes_first_at_a_shared_window() -> None:
    a = _normal("A001", "A", 1, 30)
    b = _normal("B001", "B", 2, 21)
    # Without targets the window's first service goes first, however long B has waited.
    assert select_next([a, b], ["A", "B"], T0) is a
    # B's target is 20 minutes: its head is overdue and is called first.
    assert select_next([a, b], ["A", "B"], T0, None, {"B": 1200.0}) is b
    # Both overdue: the more overdue (relative to its target) first.
    assert select_next([a, b], ["A", "B"], T0, None, {"A": 1200.0, "B": 1200.0}) is a


def test_preference_yields_only_by_a_bounded_margin() -> None:
    a = _normal("A001", "A", 1, 4)
    targets = {"A": 1200.0, "B": 1200.0}
    # A's head has waited a fifth of its target; B's needs a quarter more to go first.
    assert select_next([a, _normal("B001", "B", 2, 8)], ["A", "B"], T0, None, targets) is a
    b = _normal("B001", "B", 2, 10)
    assert select_next([a, b], ["A", "B"], T0, None, targets) is b


def test_an_overdue_normal_ticket_never_passes_the_green_channel_or_a_due_appointment() -> None:
    overdue = _normal("A001", "A", 1, 120)
    green = Ticket("B002", "d", "B", "green", "waiting", 5, T0)
    booked = Ticket("B003", "d", "B", "appointment", "waiting", 6, T0, slot_start=T0 - 60)
    early = Ticket("B004", "d", "B", "appointment", "waiting", 7, T0, slot_start=T0 + 600)
    targets = {"A": 300.0}
    assert select_next([overdue, green, booked], ["A", "B"], T0, None, targets) is green
    assert select_next([overdue, booked], ["A", "B"], T0, None, targets) is booked
    # An appointment before its slot counts as normal: the overdue ticket goes before it.
    assert select_next([overdue, early], ["B", "A"], T0, None, targets) is overdue


def test_a_requeued_ticket_waits_from_its_requeue() -> None:
    ticket = _normal("A001", "A", 1, 60).evolve(requeued_at=T0 - 30)
    assert waiting_since(ticket) == T0 - 30
