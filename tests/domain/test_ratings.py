"""好差评 in the pure core: one rating per visit, bad ratings alarm, unrated reported, never
invented. Driven through decide() and apply() alone: no event loop, no store."""

from __future__ import annotations

from typing import Any

import pytest

from hall.domain.actor import Actor
from hall.domain.errors import DomainError
from hall.domain.hall import HallState, Outcome, decide
from hall.domain.ops_ratings import unrated_due

from .hallfile import small_hall

T0 = 1_795_000_000.0


class Hall:
    def __init__(self) -> None:
        self.config = small_hall()
        self.state = HallState(config=self.config, day="2026-11-18")
        self.now = T0

    def do(self, device: str, op: str, **args: Any) -> Outcome:
        config = self.config.device(device)
        actor = Actor.of_device(config) if config is not None else Actor(device, "hub")
        self.now += 10
        outcome = decide(self.state, actor, op, args, self.now)
        self.state.apply(outcome)
        return outcome

    def refused(self, device: str, op: str, **args: Any) -> str:
        with pytest.raises(DomainError) as refused:
            self.do(device, op, **args)
        return refused.value.code


def served_hall() -> Hall:
    hall = Hall()
    hall.do("kiosk-1", "ticket.take", service="A")
    hall.do("pad-1", "window.open", staff="S1")
    hall.do("pad-1", "call.next")
    hall.do("pad-1", "ticket.start")
    hall.do("pad-1", "ticket.finish")
    return hall


def test_one_rating_per_visit_from_its_window_only() -> None:
    hall = served_hall()
    assert hall.refused("pad-3", "eval.submit", ticket="A001", level=5) == "forbidden"
    outcome = hall.do("eval-1", "eval.submit", ticket="A001", level=5)
    assert outcome.result["evaluation"]["label"] == "非常满意"
    assert [e.type for e in outcome.events] == ["eval.submitted"]
    assert hall.refused("pad-1", "eval.submit", ticket="A001", level=4) == "invalid_state"


@pytest.mark.parametrize("level", [1, 2])
def test_a_bad_rating_raises_an_alarm_at_once(level: int) -> None:
    hall = served_hall()
    outcome = hall.do("eval-1", "eval.submit", ticket="A001", level=level)
    assert [e.type for e in outcome.events] == ["eval.submitted", "alarm.bad_rating"]
    assert outcome.result["evaluation"]["bad"] is True


@pytest.mark.parametrize("level", [0, 6, "5", True, None, 4.5])
def test_levels_outside_one_to_five_are_bad_requests(level: Any) -> None:
    hall = served_hall()
    assert hall.refused("eval-1", "eval.submit", ticket="A001", level=level) == "bad_request"


def test_an_unrated_visit_is_reported_unrated_never_rated() -> None:
    hall = served_hall()
    assert unrated_due(hall.state, hall.now) == []
    hall.now += hall.config.ratings.unrated_after_s
    (due,) = unrated_due(hall.state, hall.now)
    assert due.no == "A001"
    outcome = hall.do("hub", "ratings.sweep")
    (report,) = outcome.evaluations
    assert report["level"] is None and report["rated"] is False
    assert unrated_due(hall.state, hall.now) == []
    # Too late to rate now, and nothing was invented.
    assert hall.refused("eval-1", "eval.submit", ticket="A001", level=3) == "invalid_state"
    assert hall.state.tickets["A001"].rated is False


def test_only_the_hub_sweeps() -> None:
    hall = served_hall()
    assert hall.refused("pad-1", "ratings.sweep") == "forbidden"
