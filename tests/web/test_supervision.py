"""E-supervision alarms in the pure core: each kind, its thresholds, acknowledgements, ids."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hall.domain.config import SupervisionRules
from hall.domain.model import Ticket, Window
from hall.domain.state import HallState, Outcome
from hall.domain.supervision import DETAILS, Ack, Supervisor, conditions
from tests.domain.hallfile import small_hall

T0 = 1_795_000_000.0  # the hub's start
DAY = "2026-11-18"
RULES = SupervisionRules(
    waiting_yellow=2,
    waiting_orange=3,
    waiting_red=4,
    wait_target_s=600,
    service_limit_s=900,
    pause_limit_s=300,
    device_offline_s=60,
)
ALL_ONLINE = {
    d: True for d in ("kiosk-1", "printer-1", "pad-1", "pad-2", "pad-3", "eval-1", "led-1")
}


def ticket(no: str, state: str = "waiting", **kw: object) -> Ticket:
    fields: dict[str, object] = {
        "no": no,
        "day": DAY,
        "service": no[0],
        "priority": "normal",
        "state": state,
        "arrival": int(no[1:]),
        "issued_at": T0,
    }
    fields.update(kw)
    return Ticket(**fields)  # type: ignore[arg-type]


def hall(*tickets: Ticket, windows: tuple[Window, ...] = ()) -> HallState:
    config = replace(small_hall(), supervision=RULES)
    return HallState(
        config=config,
        day=DAY,
        tickets={t.no: t for t in tickets},
        windows={w.id: w for w in windows},
    )


def ids(state: HallState, now: float, online: dict[str, bool] | None = None) -> dict[str, str]:
    found = conditions(state, RULES, now, ALL_ONLINE if online is None else online, {}, T0)
    return {c.id: c.level for c in found}


@pytest.mark.parametrize(
    ("waiting", "level"),
    [(0, None), (1, None), (2, "yellow"), (3, "orange"), (4, "red"), (9, "red")],
)
def test_waiting_count_levels(waiting: int, level: str | None) -> None:
    state = hall(*(ticket(f"A{n:03d}", issued_at=T0 + n) for n in range(1, waiting + 1)))
    assert ids(state, T0 + 10).get("waiting:A") == level
    assert "waiting:B" not in ids(state, T0 + 10)


def test_waiting_message_names_the_service_and_the_count() -> None:
    state = hall(ticket("A001"), ticket("A002"))
    (found,) = [c for c in conditions(state, RULES, T0, ALL_ONLINE, {}, T0) if c.kind == "waiting"]
    assert found.message == "社保医保 等候 2 人"


@pytest.mark.parametrize(
    ("waited", "level"), [(599, None), (600, "yellow"), (1199, "yellow"), (1200, "orange")]
)
def test_a_ticket_waiting_over_the_target(waited: float, level: str | None) -> None:
    state = hall(ticket("B001"))
    assert ids(state, T0 + waited).get("wait:B001") == level


def test_only_waiting_tickets_count_for_the_wait_target() -> None:
    called = ticket("B001", "called", window="1", called_at=T0 + 10)
    done = ticket("B002", "done", window="1", called_at=T0, started_at=T0, finished_at=T0 + 5)
    assert ids(hall(called, done), T0 + 5000) == {}


@pytest.mark.parametrize(("serving_s", "level"), [(899, None), (900, "yellow"), (1800, "orange")])
def test_a_visit_over_the_service_limit(serving_s: float, level: str | None) -> None:
    serving = ticket("B001", "serving", window="1", called_at=T0, started_at=T0 + 60)
    assert ids(hall(serving), T0 + 60 + serving_s).get("service:B001") == level


@pytest.mark.parametrize(("paused_s", "level"), [(299, None), (300, "yellow"), (600, "orange")])
def test_a_window_paused_too_long(paused_s: float, level: str | None) -> None:
    paused = Window("2", "paused", staff="S002", paused_reason="午休", since=T0)
    state = hall(windows=(paused,))
    assert ids(state, T0 + paused_s).get("paused:2") == level
    if level:
        (found,) = [c for c in conditions(state, RULES, T0 + paused_s, ALL_ONLINE, {}, T0)]
        assert found.message.startswith("2号窗口 暂停") and "午休" in found.message
        assert found.since == T0 + 300


def test_an_open_window_is_no_alarm() -> None:
    assert ids(hall(windows=(Window("1", "open", staff="S1", since=T0),)), T0 + 9999) == {}


def test_a_device_offline_too_long() -> None:
    state = hall()
    online = {**ALL_ONLINE, "pad-2": False}
    since = {"pad-2": T0 + 100}
    found = conditions(state, RULES, T0 + 159, online, since, T0)
    assert [c.id for c in found] == []
    found = conditions(state, RULES, T0 + 160, online, since, T0)
    assert [(c.id, c.level, c.since) for c in found] == [("device:pad-2", "orange", T0 + 160)]


def test_a_device_never_heard_from_is_offline_since_the_hub_started() -> None:
    state = hall()
    assert ids(state, T0 + 59, {}) == {}
    assert set(ids(state, T0 + 60, {})) == {
        f"device:{d}"
        for d in ("kiosk-1", "printer-1", "pad-1", "pad-2", "pad-3", "eval-1", "led-1")
    }


@pytest.mark.parametrize(("rating", "alarm"), [(1, True), (2, True), (3, False), (5, False)])
def test_a_bad_rating(rating: int, alarm: bool) -> None:
    rated = ticket(
        "A001",
        "done",
        window="1",
        staff="S001",
        called_at=T0,
        started_at=T0,
        finished_at=T0 + 60,
        rated=True,
        rating=rating,
    )
    found = {c.id: c for c in conditions(hall(rated), RULES, T0 + 61, ALL_ONLINE, {}, T0)}
    assert ("rating:A001" in found) is alarm
    if alarm:
        assert found["rating:A001"].level == "red"
        assert "S001" in found["rating:A001"].message and "1号窗口" in found["rating:A001"].message


def test_every_kind_carries_the_figures_of_its_message() -> None:
    """Each alarm's details hold what its Chinese message is made of (so a page can word it in
    its own language), the kind's fields exactly, and the pause reason as the clerk typed it."""
    rated = ticket("A001", "done", window="1", staff="S001", started_at=T0, finished_at=T0)
    rated = replace(rated, rated=True, rating=1, rated_at=T0 + 30)
    state = hall(
        rated,
        ticket("A002"),
        ticket("A003"),
        ticket("B001", "serving", window="3", called_at=T0, started_at=T0),
        windows=(Window("2", "paused", staff="S002", paused_reason="午休 {n}", since=T0),),
    )
    online = {**ALL_ONLINE, "pad-2": False}
    found = {c.id: c for c in conditions(state, RULES, T0 + 1260, online, {"pad-2": T0}, T0)}
    details = {alarm_id: dict(c.details) for alarm_id, c in found.items()}
    assert details == {
        "rating:A001": {
            "ticket": "A001",
            "rating": 1,
            "window": "1",
            "window_name": "1号窗口",
            "staff": "S001",
        },
        "waiting:A": {"service": "A", "service_name": "社保医保", "waiting": 2},
        "wait:A002": {"ticket": "A002", "service": "A", "minutes": 21},
        "wait:A003": {"ticket": "A003", "service": "A", "minutes": 21},
        "service:B001": {
            "ticket": "B001",
            "window": "3",
            "window_name": "3号窗口",
            "minutes": 21,
        },
        "paused:2": {"window": "2", "window_name": "2号窗口", "reason": "午休 {n}", "minutes": 21},
        "device:pad-2": {"device": "pad-2", "device_kind": "window_pad", "minutes": 21},
    }
    for c in found.values():
        assert tuple(c.details) == DETAILS[c.kind], c.id
    assert found["paused:2"].message == "2号窗口 暂停 21 分钟(午休 {n})"
    # The dashboard's alarm keeps its Chinese message and adds the details.
    review = Supervisor(RULES).apply(found.values(), DAY)
    view = next(a for a in review.alarms if a.id == "paused:2").view(state.tz)
    assert view["message"] == "2号窗口 暂停 21 分钟(午休 {n})"
    assert view["details"] == details["paused:2"]


def test_a_pause_without_a_reason_has_a_null_reason() -> None:
    state = hall(windows=(Window("2", "paused", staff="S002", since=T0),))
    (found,) = conditions(state, RULES, T0 + 300, ALL_ONLINE, {}, T0)
    assert found.details["reason"] is None and found.message == "2号窗口 暂停 5 分钟"


def test_a_waiting_alarm_carries_the_services_english_name_when_the_hall_file_gives_one() -> None:
    waiting = hall(ticket("A001"), ticket("A002"), ticket("B001"), ticket("B002"))
    a, b = waiting.config.services
    english = replace(waiting.config, services=(replace(a, name_en="Social insurance"), b))
    state = HallState(config=english, day=DAY, tickets=waiting.tickets)
    found = {c.id: c for c in conditions(state, RULES, T0, ALL_ONLINE, {}, T0)}
    assert found["waiting:A"].details["service_name_en"] == "Social insurance"
    assert "service_name_en" not in found["waiting:B"].details


def test_ids_and_since_are_stable_across_reviews() -> None:
    state = hall(
        ticket("A001"), ticket("A002", issued_at=T0 + 30), ticket("B001", issued_at=T0 + 9)
    )
    supervisor = Supervisor(RULES)
    first = supervisor.review(state, T0 + 700, ALL_ONLINE, {}, T0)
    # All yellow: oldest cause first (the queue reached 2 when A002 was issued).
    assert [a.id for a in first.alarms] == ["wait:A001", "wait:B001", "wait:A002", "waiting:A"]
    assert {a.id for a in first.raised} == {a.id for a in first.alarms}
    second = supervisor.review(state, T0 + 800, ALL_ONLINE, {}, T0)
    assert [(a.id, a.since) for a in second.alarms] == [(a.id, a.since) for a in first.alarms]
    assert second.raised == ()
    waiting = second.alarms[-1]
    assert waiting.since == waiting.cause_at == T0 + 30  # the second person came
    assert first.alarms[0].since == T0 + 600  # issued + target
    assert first.alarms[0].cause_at == T0  # issued


def test_a_restarted_supervisor_gives_every_alarm_the_time_its_cause_happened() -> None:
    """A hub that starts (or takes over) long after the causes dates each alarm from its
    cause, read from the hall's state, never from its own start."""
    rated = ticket(
        "C001", "done", window="1", staff="S001", called_at=T0, started_at=T0 + 5,
        finished_at=T0 + 60, rated=True, rating=1, rated_at=T0 + 70,
    )  # fmt: skip
    old_rating = replace(rated, no="C002", arrival=2, rated_at=None)  # rated before rated_at
    serving = ticket("B002", "serving", window="3", called_at=T0, started_at=T0 + 20)
    paused = Window("2", "paused", staff="S002", paused_reason="午休", since=T0 + 40)
    state = hall(
        ticket("A001"), ticket("A002", issued_at=T0 + 50), ticket("B001", issued_at=T0 + 10),
        serving, rated, old_rating, windows=(paused,),
    )  # fmt: skip
    restarted_at = T0 + 5000
    online = {**ALL_ONLINE, "pad-2": False}
    for start in (restarted_at, restarted_at + 3600):
        alarms = Supervisor(RULES).review(state, start, online, {"pad-2": T0 + 90}, T0).alarms
        causes = {a.id: a.cause_at for a in alarms}
        assert causes == {
            "wait:A001": T0,
            "wait:A002": T0 + 50,
            "wait:B001": T0 + 10,
            "waiting:A": T0 + 50,
            "service:B002": T0 + 20,
            "paused:2": T0 + 40,
            "rating:C001": T0 + 70,
            "rating:C002": T0 + 60,  # the visit's end: the closest the record tells
            "device:pad-2": T0 + 90,
        }
        view = next(a for a in alarms if a.id == "paused:2").view(state.tz)
        assert view["cause_at"] == "2026-11-18T19:07:20.000+08:00"  # the hall's zone
        assert view["since"] == "2026-11-18T19:12:20.000+08:00"  # pause + limit


def test_acknowledging_a_kind_acknowledges_its_open_alarms_only() -> None:
    supervisor = Supervisor(RULES)
    state = hall(ticket("A001"), ticket("A002"), ticket("B001"))
    supervisor.review(state, T0 + 700, ALL_ONLINE, {}, T0)
    supervisor.ack("wait:A001", "first", T0 + 701, DAY)
    done = supervisor.ack_kind("wait", "admin", T0 + 702, DAY)
    assert sorted((a.id, a.acked_by, ack.at) for a, ack in done) == [
        ("wait:A002", "admin", T0 + 702),
        ("wait:B001", "admin", T0 + 702),
    ]
    assert {a.id: a.acked_by for a in supervisor.alarms} == {
        "wait:A001": "first",
        "wait:A002": "admin",
        "wait:B001": "admin",
        "waiting:A": None,
    }
    assert supervisor.ack_kind("wait", "admin", T0 + 703, DAY) == []
    assert supervisor.ack_kind("device", "admin", T0 + 703, DAY) == []


def test_a_level_going_up_is_raised_again() -> None:
    supervisor = Supervisor(RULES)
    state = hall(ticket("A001"), ticket("A002"))
    assert [a.level for a in supervisor.review(state, T0, ALL_ONLINE, {}, T0).raised] == ["yellow"]
    state = hall(ticket("A001"), ticket("A002"), ticket("A003"), ticket("A004"))
    raised = supervisor.review(state, T0 + 1, ALL_ONLINE, {}, T0).raised
    assert [(a.id, a.level) for a in raised] == [("waiting:A", "red")]
    state = hall(ticket("A001"), ticket("A002"))
    assert supervisor.review(state, T0 + 2, ALL_ONLINE, {}, T0).raised == ()


def test_an_acknowledged_alarm_shows_who_until_its_condition_ends() -> None:
    supervisor = Supervisor(RULES)
    busy = hall(ticket("A001"), ticket("A002"))
    supervisor.review(busy, T0, ALL_ONLINE, {}, T0)
    acked, ack = supervisor.ack("waiting:A", "admin", T0 + 5, DAY)
    assert (acked.acked_by, ack) == ("admin", Ack("admin", T0 + 5, DAY))
    assert acked.view(busy.tz)["acked"] is True and acked.view(busy.tz)["acked_by"] == "admin"
    again = supervisor.review(busy, T0 + 6, ALL_ONLINE, {}, T0)
    assert [(a.id, a.acked_by) for a in again.alarms] == [("waiting:A", "admin")]
    # The queue shrinks: the alarm ends and its acknowledgement is forgotten ...
    calm = supervisor.review(hall(ticket("A001")), T0 + 7, ALL_ONLINE, {}, T0)
    assert calm.alarms == () and calm.dropped_acks == ("waiting:A",)
    # ... so when it grows again, the new alarm is raised unacknowledged.
    back = supervisor.review(busy, T0 + 8, ALL_ONLINE, {}, T0)
    assert [(a.id, a.acked_by) for a in back.raised] == [("waiting:A", None)]


def test_a_bad_rating_stays_until_acknowledged_then_goes() -> None:
    rated = ticket("A001", "done", window="1", staff="S001", finished_at=T0, rated=True, rating=1)
    supervisor = Supervisor(RULES)
    state = hall(rated)
    for minute in range(0, 600, 60):  # no time limit: it stays
        assert [a.id for a in supervisor.review(state, T0 + minute, ALL_ONLINE, {}, T0).alarms] == [
            "rating:A001"
        ]
    supervisor.ack("rating:A001", "admin", T0 + 700, DAY)
    assert supervisor.alarms == ()
    later = supervisor.review(state, T0 + 800, ALL_ONLINE, {}, T0)
    assert later.alarms == () and later.raised == () and later.dropped_acks == ()


def test_acknowledging_twice_keeps_the_first_and_unknown_ids_are_refused() -> None:
    supervisor = Supervisor(RULES)
    supervisor.review(hall(ticket("A001"), ticket("A002")), T0, ALL_ONLINE, {}, T0)
    supervisor.ack("waiting:A", "admin", T0 + 1, DAY)
    acked, _ = supervisor.ack("waiting:A", "other", T0 + 2, DAY)
    assert acked.acked_by == "admin" and acked.acked_at == T0 + 1
    with pytest.raises(KeyError):
        supervisor.ack("waiting:B", "admin", T0 + 3, DAY)


def test_stored_acknowledgements_apply_on_the_same_day_only() -> None:
    rated = ticket("A001", "done", window="1", finished_at=T0, rated=True, rating=2)
    stored = {
        "rating:A001": Ack.from_json(Ack("admin", T0, DAY).to_json()),
        "waiting:B": Ack("admin", T0 - 86400, "2026-11-17"),
    }
    supervisor = Supervisor(RULES, acks=dict(stored))
    review = supervisor.review(hall(rated), T0 + 1, ALL_ONLINE, {}, T0)
    assert review.alarms == ()  # the rating was acknowledged before a restart
    assert review.dropped_acks == ("waiting:B",)  # yesterday's


def test_alarms_are_ordered_most_severe_first_then_oldest() -> None:
    state = hall(
        *(ticket(f"A{n:03d}", issued_at=T0 + n) for n in range(1, 5)),
        ticket("B001", issued_at=T0 - 5000),
    )
    alarms = Supervisor(RULES).review(state, T0 + 1000, ALL_ONLINE, {}, T0).alarms
    assert [(a.id, a.level) for a in alarms][:2] == [("waiting:A", "red"), ("wait:B001", "orange")]
    assert all("张" not in a.message for a in alarms)


def test_alarms_follow_the_tickets_as_they_change() -> None:
    """The alarms come from the hall's indexes (waiting, in service, rated badly), kept by
    every change: they match a look at every ticket of the day, in order of arrival."""
    waiting = ticket("A001", issued_at=T0)
    served = ticket("B002", "serving", window="1", started_at=T0, issued_at=T0)
    finished = ticket("A003", "done", window="2", started_at=T0, finished_at=T0 + 60)
    state = hall(waiting, served, finished)
    now = T0 + 1_000
    assert [c.id for c in conditions(state, RULES, now, ALL_ONLINE, {}, T0)][-2:] == [
        "wait:A001",
        "service:B002",
    ]
    # A001 is called, B002 ends and is rated 1, A003 is rated 2, a new ticket arrives.
    called = waiting.evolve(state="called", window="2", called_at=now)
    rated_b = served.evolve(state="done", finished_at=now, rated=True, rating=1, rated_at=now)
    rated_a = finished.evolve(rated=True, rating=2, rated_at=now)
    late = ticket("B004", issued_at=T0 + 1)
    state.apply(
        Outcome(
            result={},
            tickets=((waiting, called), (served, rated_b), (finished, rated_a), (None, late)),
        )
    )
    found = [c.id for c in conditions(state, RULES, now, ALL_ONLINE, {}, T0)]
    assert found == ["rating:B002", "rating:A003", "wait:B004"]
    assert set(state.serving) == set() and set(state.rated_badly) == {"B002", "A003"}
    # Rated well after all (a correction is a new state of the ticket): out of the index.
    state.apply(Outcome(result={}, tickets=((rated_a, rated_a.evolve(rating=5)),)))
    assert [c.id for c in conditions(state, RULES, now, ALL_ONLINE, {}, T0)] == [
        "rating:B002",
        "wait:B004",
    ]
