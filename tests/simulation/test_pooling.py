"""Which of the hall's windows a half hour opens (`hall.simulation.pooling`): pooled windows
need fewer than each service alone, a service only some windows serve gets enough of them,
never more windows than given, and the target out of reach said so."""

from __future__ import annotations

import pytest

from hall.domain.config import WindowConfig
from hall.simulation.erlang import windows_needed
from hall.simulation.pooling import choose_windows, pooled_lists, uncovered

SHARE, WAIT_S = 0.8, 900.0
VISIT = {"A": 400.0, "B": 400.0, "C": 400.0, "D": 400.0}


def halls(*lists: str) -> list[WindowConfig]:
    """Windows "1", "2", ... serving the services their string lists, in that order."""
    return [WindowConfig(str(i), tuple(s)) for i, s in enumerate(lists, start=1)]


def per_s(**per_hour: float) -> dict[str, float]:
    return {code: rate / 3600 for code, rate in per_hour.items()}


def test_shared_windows_pool_services_into_fewer_windows_than_each_alone() -> None:
    rates = per_s(A=3, B=3, C=3, D=3)
    alone = sum(windows_needed(r, VISIT[c], SHARE, WAIT_S) for c, r in rates.items())
    windows = halls("ABCD", "BCDA", "CDAB", "DABC", "A", "B")
    pool = choose_windows(windows, rates, VISIT, SHARE, WAIT_S)
    pooled = windows_needed(sum(rates.values()), 400.0, SHARE, WAIT_S)
    assert pool.met and pool.pooled == pooled
    assert len(pool.open) == pooled < alone == 4
    # The shared windows do it, the first in the hall's order on a tie.
    assert pool.open == tuple(str(i) for i in range(1, pooled + 1))


def test_windows_of_one_service_each_need_what_each_service_needs_alone() -> None:
    windows = halls("A", "A", "B", "B")
    assert choose_windows(windows, per_s(A=4, B=4), VISIT, SHARE, WAIT_S).open == ("1", "3")
    assert windows_needed(6 / 3600, 400.0, SHARE, WAIT_S) == 2
    pool = choose_windows(windows, per_s(A=6, B=6), VISIT, SHARE, WAIT_S)
    assert pool.met and pool.open == ("1", "2", "3", "4")


def test_a_service_only_one_window_serves_is_not_left_behind_by_the_pool() -> None:
    # C alone needs three windows and only window 3 serves it: A's windows cannot help, so
    # the target is out of reach, although four windows would carry the two pooled.
    rates = per_s(A=2, C=14)
    assert windows_needed(14 / 3600, 400.0, SHARE, WAIT_S) == 3
    pool = choose_windows(halls("A", "A", "C", "A"), rates, VISIT, SHARE, WAIT_S)
    assert not pool.met and pool.open == ("1", "2", "3", "4") and pool.pooled <= 4
    # With C at every window the same four are enough.
    assert choose_windows(halls("AC", "CA", "C", "AC"), rates, VISIT, SHARE, WAIT_S).met


@pytest.mark.parametrize("per_hour", [60.0, 200.0, 5000.0])
def test_never_more_windows_than_the_hall_has(per_hour: float) -> None:
    windows = halls("AB", "BA", "A")
    pool = choose_windows(windows, per_s(A=per_hour, B=per_hour / 2), VISIT, SHARE, WAIT_S)
    assert not pool.met and pool.open == ("1", "2", "3") and pool.pooled > 3


def test_windows_serving_none_of_the_half_hours_services_stay_closed() -> None:
    pool = choose_windows(halls("C", "A", "D"), per_s(A=40, B=0, C=0), VISIT, SHARE, WAIT_S)
    assert not pool.met and pool.open == ("2",)
    assert choose_windows(halls("A"), per_s(A=0), VISIT, SHARE, WAIT_S).open == ()


def test_on_a_tie_the_windows_open_before_stay_open() -> None:
    windows = halls("A", "A", "A")
    rates = per_s(A=4)
    assert choose_windows(windows, rates, VISIT, SHARE, WAIT_S).open == ("1",)
    assert choose_windows(windows, rates, VISIT, SHARE, WAIT_S, keep=("3",)).open == ("3",)


def test_lists_for_a_hall_whose_windows_leave_a_service_out() -> None:
    windows = halls("AB", "B", "A")
    assert uncovered(windows, ["A", "B", "C"]) == ["C"]
    lists = pooled_lists(windows, ["A", "B", "C"])
    assert [w.services for w in lists] == [("A", "B", "C"), ("B", "C", "A"), ("A", "C", "B")]
    assert [w.id for w in lists] == ["1", "2", "3"]
