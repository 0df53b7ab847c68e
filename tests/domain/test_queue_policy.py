"""Queue policy and wait estimate, as pure functions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hall.domain.estimate import ServiceTimes, eta_seconds, window_capacity
from hall.domain.model import Ticket
from hall.domain.queue import MaxWaitRule, ahead_of, candidates_for, select_next


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


def test_ageing_rule_lets_a_starved_service_jump() -> None:
    waiting = [ticket("A001", 5, issued_at=100.0), ticket("B001", 1, issued_at=0.0)]
    assert select_next(waiting, ["A", "B"], 200.0).no == "A001"  # type: ignore[union-attr]
    rule = MaxWaitRule("B", max_wait_s=150.0)
    assert select_next(waiting, ["A", "B"], 200.0, [rule]).no == "B001"  # type: ignore[union-attr]
    assert select_next(waiting, ["A", "B"], 100.0, [rule]).no == "A001"  # type: ignore[union-attr]


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


def test_shared_window_is_split_by_demand() -> None:
    windows = {"1": ("A", "B"), "2": ("B",)}
    # All of window 1 goes to A when only A has people waiting.
    assert window_capacity("A", windows, {"1", "2"}, {"A": 10, "B": 0}) == 1.0
    # Window 2 serves only B; window 1 gives B its share of the demand.
    assert window_capacity("B", windows, {"1", "2"}, {"A": 5, "B": 5}) == 1.5
    # Closed windows do not count, unless none serving the service is open (before opening).
    assert window_capacity("B", windows, {"1"}, {"A": 0, "B": 4}) == 1.0
    assert window_capacity("A", windows, set(), {"A": 3}) == 1.0


def test_eta_learns_service_time() -> None:
    times = ServiceTimes(default_s=300.0)
    windows = {"1": ("A",)}
    assert eta_seconds(2, "A", times, windows, {"1"}, {"A": 3}) == 750
    for _ in range(30):
        times.learn("A", 60.0)
    assert round(times.mean("A")) == 60
    assert eta_seconds(2, "A", times, windows, {"1"}, {"A": 3}) == 150
    times.learn("A", 10 * 3600)  # a window left open overnight is not a measurement
    assert round(times.mean("A")) == 60
    two_windows = {"1": ("A",), "2": ("A",)}
    assert eta_seconds(2, "A", times, two_windows, {"1", "2"}, {"A": 3}) == 75
