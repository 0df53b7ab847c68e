"""The wait estimate: the queue played out under the calling policy, robust learning, no
estimate without a window, and the kiosk and `ticket.status` agreeing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hall.domain.actor import Actor
from hall.domain.estimate import ServiceTimes
from hall.domain.forecast import NO_WINDOW_OPEN, play_out
from hall.domain.hall import decide
from hall.domain.model import Ticket, Window
from hall.domain.occupancy import Occupancy
from hall.domain.queue import select_next

from .clerk import T0, ClerkHall, open_hall

SERVICES = ("A", "B", "C")


def _no_pause(reason: str | None) -> float:
    return 600.0


@st.composite
def queues(draw: st.DrawFn) -> tuple[list[Ticket], tuple[str, ...]]:
    count = draw(st.integers(1, 25))
    tickets: list[Ticket] = []
    for n in range(count):
        service = draw(st.sampled_from(SERVICES))
        priority = draw(st.sampled_from(("normal", "normal", "green", "appointment")))
        slot = T0 + draw(st.integers(-600, 3000)) if priority == "appointment" else None
        tickets.append(
            Ticket(
                f"{service}{n + 1:03d}",
                "d",
                service,
                priority,
                "waiting",
                n + 1,
                T0,
                slot_start=slot,
            )
        )
    preference = tuple(draw(st.permutations(SERVICES)))[: draw(st.integers(1, 3))]
    return tickets, preference


@settings(max_examples=150, deadline=None)
@given(queues(), st.floats(30, 900))
def test_one_window_plays_out_in_the_order_the_policy_calls(
    queue: tuple[list[Ticket], tuple[str, ...]], occupancy: float
) -> None:
    """Played out at one window, tickets are called in the order `select_next` calls them,
    each one occupancy after the one before."""
    tickets, preference = queue
    forecast = play_out(
        T0,
        tickets,
        {"1": Window("1", "open", "S1")},
        {"1": preference},
        {},
        lambda service, window: occupancy,
        {},
        (),
        1.0,
        _no_pause,
        lambda service, window, elapsed: occupancy,
    )
    waiting = list(tickets)
    now = T0
    expected: list[tuple[str, float]] = []
    while (chosen := select_next(waiting, preference, now, "1")) is not None:
        expected.append((chosen.no, now))
        waiting.remove(chosen)
        now += occupancy
    predicted = sorted(forecast.calls.items(), key=lambda item: item[1])
    assert [no for no, _at in predicted] == [no for no, _at in expected]
    for (_no, at), (_no2, want) in zip(predicted, expected, strict=True):
        assert abs(at - want) < 1e-6
    # Tickets no window serves are not called; a new ticket of a served service would be.
    assert set(forecast.calls) == {t.no for t in tickets if t.service in preference}
    assert {service for service, _klass in forecast.ghosts} == set(preference)


def test_a_short_first_visit_moves_the_learned_time_only_part_way() -> None:
    times = ServiceTimes(default_s=300.0)
    times.learn("A", 10.0)
    assert 100 < times.mean("A") < 300
    occupancy = Occupancy()
    occupancy.learn("A", "1", 5.0)
    assert occupancy.seconds("A", "1", 300.0) > 200  # clipped to the band and shrunk


def test_occupancy_counts_from_call_to_next_call_and_not_idle_time() -> None:
    occupancy = Occupancy()
    occupancy.called("1", "A", 0.0)
    occupancy.ended("1", 200.0)
    occupancy.called("1", "A", 230.0)  # a 30 s gap: the window was occupied throughout
    occupancy.ended("1", 400.0)
    occupancy.called("1", "A", 5000.0)  # idle for over an hour: not occupancy
    assert list(occupancy.samples["A"]) == [230.0, pytest.approx(400.0 + occupancy.gap_s - 230)]


def test_no_estimate_without_a_window_signed_in_and_a_reason_instead() -> None:
    hall = ClerkHall()
    ticket = hall.ticket("kiosk-1", "ticket.take", service="A")
    assert ticket["eta_s"] is None and ticket["eta_reason"] == NO_WINDOW_OPEN
    status = hall.ticket("kiosk-1", "ticket.status", no=ticket["no"])
    assert status["eta_s"] is None and status["eta_reason"] == NO_WINDOW_OPEN
    hall.do("pad-3", "window.open", staff="S3")  # window 3 serves A
    status = hall.ticket("kiosk-1", "ticket.status", no=ticket["no"])
    assert isinstance(status["eta_s"], int) and "eta_reason" not in status
    services = {s["code"]: s for s in hall.state.services_view(hall.now)}
    assert services["B"]["eta_s"] is None and services["B"]["eta_reason"] == NO_WINDOW_OPEN
    assert isinstance(services["A"]["eta_s"], int)


def test_later_in_the_queue_never_waits_less() -> None:
    hall = open_hall()
    numbers = hall.take("A", 6) + hall.take("B", 4)
    for service in ("A", "B"):
        # All at one moment (each request of the clerk hall moves its clock on).
        etas = [
            hall.state.ticket_view(hall.state.tickets[no], hall.now)["eta_s"]
            for no in numbers
            if no.startswith(service)
        ]
        assert etas == sorted(etas) and etas[-1] > 0


def test_the_kiosk_and_status_agree_on_an_early_appointment() -> None:
    hall = open_hall()
    hall.take("A", 3)
    tz = timezone(timedelta(hours=8))
    slot = datetime.fromtimestamp(hall.now + 1200, tz)
    booked = decide(
        hall.state,
        Actor.back_office("portal"),
        "appointment.book",
        {
            "code": "APPT1",
            "service": "A",
            "slot_start": slot.isoformat(),
            "slot_end": (slot + timedelta(minutes=30)).isoformat(),
        },
        hall.now,
    )
    hall.state.apply(booked)
    taken = hall.ticket("kiosk-1", "ticket.take", appointment="APPT1")
    assert taken["priority"] == "appointment"
    status = hall.ticket("kiosk-1", "ticket.status", no=taken["no"])
    # Before its slot it counts as a normal ticket: behind the three already waiting.
    assert taken["ahead"] == status["ahead"] == 3


def test_a_day_becomes_history_at_midnight_and_not_on_a_reload() -> None:
    hall = open_hall()
    hall.take("A", 4)
    hall.take("B", 2)
    hall.do("pad-1", "window.pause", reason="午餐")
    hall.now += 1800
    hall.do("pad-1", "window.resume")
    state = hall.state
    same_day = state.history_for(state.day)
    assert same_day.days == [] and same_day.pauses == {}
    history = state.history_for("2026-11-19")
    assert len(history.days) == 1 and len(history.staffing) == 1
    assert sum(sum(row) for row in history.days[0].values()) == 6
    assert history.pauses["午餐"][1] == 1 and history.pauses["午餐"][0] >= 1800
    # The next day's state expects the pause with that reason to last as long.
    tomorrow = type(state)(config=state.config, day="2026-11-19", arrivals=history)
    assert tomorrow.occupancy.pause_s("午餐", tomorrow.arrivals.pauses) > 1000


def test_windows_working_now_take_their_later_breaks_too() -> None:
    """Where the earlier days' windows worked four fifths of their time all day long, a long
    queue's end waits about a quarter longer than with no such history; the next minutes,
    while the windows working now are still at work, hardly longer."""
    hall = open_hall()
    numbers = hall.take("A", 40)

    def etas() -> tuple[int, int]:
        hall.state.forecaster.stale = True
        view = [hall.state.ticket_view(hall.state.tickets[no], hall.now)["eta_s"] for no in numbers]
        return view[3], view[-1]

    near_before, far_before = etas()
    history = hall.state.arrivals
    history.add_staffing_day([(900.0, 180.0)] * len(history.staffing_today))
    near_after, far_after = etas()
    assert 1.15 * far_before < far_after < 1.3 * far_before, (far_before, far_after)
    assert near_before <= near_after < 1.1 * near_before, (near_before, near_after)
