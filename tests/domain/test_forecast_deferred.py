"""The forecast made off the request path (`Forecaster.deferred`, as the hub runs it): the
requests go on with the forecast in use while the next is played out in steps; tickets taken
meanwhile keep their order; a window opened or closed for a service is never estimated from
an old forecast; a forecast overtaken by another is dropped."""

from __future__ import annotations

from hall.domain.forecast import BEYOND_HORIZON, HORIZON_S, NO_WINDOW_OPEN, run_steps

from .clerk import open_hall


def deferred_hall():  # type: ignore[no-untyped-def]
    hall = open_hall()
    hall.state.forecaster.deferred = True
    return hall


def test_steps_give_the_forecast_made_at_once() -> None:
    hall = open_hall()
    hall.take("A", 300)
    hall.take("B", 200)
    at_once = run_steps(hall.state.forecast_steps(hall.now))
    steps = hall.state.forecast_steps(hall.now)
    count = 0
    while True:
        try:
            next(steps)
            count += 1
        except StopIteration as done:
            in_steps = done.value
            break
    assert count >= 1  # it did pause between steps
    assert in_steps == at_once


def test_a_due_forecast_is_wanted_and_the_old_one_serves_meanwhile() -> None:
    hall = deferred_hall()
    hall.take("A", 3)
    first = hall.state.forecast(hall.now)  # the first one is made at once
    assert not hall.state.forecaster.wanted
    hall.take("A", 12)  # more changes than a forecast may lag behind
    assert hall.state.forecast(hall.now) is first
    assert hall.state.forecaster.wanted


def test_tickets_taken_while_the_next_is_made_go_after_it_in_order() -> None:
    hall = deferred_hall()
    hall.take("A", 300)  # long enough to be made in several steps
    hall.state.forecast(hall.now)
    forecaster = hall.state.forecaster
    generation = forecaster.begin()
    steps = hall.state.forecast_steps(hall.now)
    next(steps)  # what it reads of the hall is read now
    later = hall.take("A", 2)  # taken while it is being made
    made = run_steps(steps)
    forecaster.install(generation, made)
    assert forecaster.forecast is made
    assert all(no not in made.calls for no in later)
    etas = [hall.state.ticket_view(hall.state.tickets[no], hall.now)["eta_s"] for no in later]
    assert etas[0] is not None and etas[1] is not None
    assert 0 < etas[0] < etas[1]
    # Every ticket waiting has an estimate after the ones before it.
    waiting = sorted(hall.state.waiting["A"].values(), key=lambda t: t.arrival)
    views = [hall.state.ticket_view(t, hall.now)["eta_s"] for t in waiting]
    assert views == sorted(views), views


def test_a_forecast_overtaken_by_another_is_dropped() -> None:
    hall = deferred_hall()
    hall.take("A", 3)
    forecaster = hall.state.forecaster
    old = forecaster.begin()
    stale = run_steps(hall.state.forecast_steps(hall.now))
    newer = forecaster.begin()
    made = run_steps(hall.state.forecast_steps(hall.now))
    assert forecaster.install(newer, made) is made
    forecaster.install(old, stale)
    assert forecaster.forecast is made


def test_no_estimate_from_an_old_forecast_when_the_windows_changed() -> None:
    """Windows 1 and 2 serve B: both closed, B has no estimate at once, though no forecast
    was made off the request path since."""
    hall = deferred_hall()
    (b,) = hall.take("B")
    assert hall.state.ticket_view(hall.state.tickets[b], hall.now)["eta_s"] is not None
    hall.do("pad-1", "window.close")
    assert hall.state.ticket_view(hall.state.tickets[b], hall.now)["eta_s"] is not None
    hall.do("pad-2", "window.close")
    view = hall.state.ticket_view(hall.state.tickets[b], hall.now)
    assert view["eta_s"] is None
    assert view["eta_reason"] == NO_WINDOW_OPEN


def test_waits_keep_the_queue_order_through_bursts_and_new_forecasts() -> None:
    """Bursts of tickets between forecasts made off the request path: every waiting ticket
    of a service and class has a wait no shorter than the one taken before it."""
    hall = deferred_hall()
    forecaster = hall.state.forecaster
    for burst in range(6):
        hall.take("A", 40)
        if burst % 2:
            generation = forecaster.begin()
            steps = hall.state.forecast_steps(hall.now)
            try:  # it reads the hall now, as the hub's first slice does
                next(steps)
                made = None
            except StopIteration as done:  # a short queue is played out in one slice
                made = done.value
            hall.take("A", 5)  # taken while it is being made
            forecaster.install(generation, made if made is not None else run_steps(steps))
        waiting = sorted(hall.state.waiting["A"].values(), key=lambda t: t.arrival)
        etas = [hall.state.ticket_view(t, hall.now)["eta_s"] for t in waiting]
        assert all(eta is not None for eta in etas)
        assert etas == sorted(etas), (burst, etas)


def test_a_queue_longer_than_the_horizon_gives_no_number() -> None:
    """An hour a visit and two windows for A: the tickets past 16 hours have no estimate and
    say why, instead of all showing the same 16 hours."""
    hall = open_hall()
    hall.state.times.default_s = 3600.0
    numbers = hall.take("A", 40)
    views = [hall.state.ticket_view(hall.state.tickets[no], hall.now) for no in numbers]
    known = [v["eta_s"] for v in views if v["eta_s"] is not None]
    assert 10 <= len(known) < 40
    assert known == sorted(known) and known[-1] <= HORIZON_S
    beyond = views[len(known) :]
    assert all(v["eta_s"] is None and v["eta_reason"] == BEYOND_HORIZON for v in beyond)
