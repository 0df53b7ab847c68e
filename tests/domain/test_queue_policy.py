"""Queue policy and wait estimate, as pure functions."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from hall.domain.estimate import ServiceTimes
from hall.domain.model import Ticket
from hall.domain.queue import ahead_of, candidates_for, places, select_next


def ticket(no: str, arrival: int, priority: str = "normal", issued_at: float = 0.0) -> Ticket:
    return Ticket(
        no=no,
        day="2026-11-27",
        service=no[0],
        priority=priority,  # type: ignore[arg-type]
        state="waiting",
        arrival=arrival,
        issued_at=issued_at,
    )


def test_green_first_then_preference_then_arrival() -> None:
    waiting = [ticket("A001", 1), ticket("B001", 2), ticket("A002", 3), ticket("B002", 4, "green")]
    order = [t.no for t in candidates_for(waiting, ["A", "B"])]
    assert order == ["B002", "A001", "A002", "B001"]
    assert [t.no for t in candidates_for(waiting, ["B", "A"])] == ["B002", "B001", "A001", "A002"]


def test_appointments_between_green_and_normal() -> None:
    waiting = [ticket("A001", 1), ticket("A002", 2, "appointment"), ticket("A003", 3, "green")]
    assert [t.no for t in candidates_for(waiting, ["A"])] == ["A003", "A002", "A001"]


def test_nothing_for_a_window_without_its_services() -> None:
    assert select_next([ticket("A001", 1)], ["B"], 0.0) is None


def test_the_windows_preference_goes_before_arrival() -> None:
    waiting = [ticket("A001", 5, issued_at=100.0), ticket("B001", 1, issued_at=0.0)]
    assert select_next(waiting, ["A", "B"], 200.0).no == "A001"  # type: ignore[union-attr]


@given(
    st.lists(
        st.tuples(st.sampled_from(["normal", "green"]), st.integers(1, 10_000)),
        min_size=1,
        max_size=40,
        unique_by=lambda p: p[1],
    )
)
def test_fifo_within_a_class(entries: list[tuple[str, int]]) -> None:
    waiting = [ticket(f"A{i + 1:03d}", arrival, prio) for i, (prio, arrival) in enumerate(entries)]
    ordered = candidates_for(waiting, ["A"])
    for cls in ("green", "normal"):
        arrivals = [t.arrival for t in ordered if t.priority == cls]
        assert arrivals == sorted(arrivals)
    ranks = [0 if t.priority == "green" else 1 for t in ordered]
    assert ranks == sorted(ranks)
    for position, t in enumerate(ordered):
        assert ahead_of(t, waiting) == position


@given(
    st.lists(
        st.tuples(
            st.sampled_from("AB"),
            st.sampled_from(["normal", "green", "appointment"]),
            st.integers(1, 30),  # repeated arrivals: ties are ahead of nobody
            st.sampled_from(["waiting", "waiting", "called"]),
        ),
        max_size=40,
    ),
    st.one_of(st.none(), st.floats(0, 100)),
)
def test_places_are_ahead_of_for_every_waiting_ticket(
    entries: list[tuple[str, str, int, str]], now: float | None
) -> None:
    waiting = [
        dataclasses.replace(
            ticket(f"{service}{i + 1:03d}", arrival, prio), state=state, slot_start=50.0
        )
        for i, (service, prio, arrival, state) in enumerate(entries)
    ]
    found = places(waiting, now)
    assert set(found) == {t.no for t in waiting if t.state == "waiting"}
    for t in waiting:
        if t.state == "waiting":
            assert found[t.no] == ahead_of(t, waiting, now), t.no


def test_service_time_is_learned() -> None:
    times = ServiceTimes(default_s=300.0)
    assert times.mean("A") == 300
    for _ in range(30):
        times.learn("A", 60.0)
    assert round(times.mean("A")) == 60
    times.learn("A", 10 * 3600)  # a window left open overnight is not a measurement
    assert round(times.mean("A")) == 60
