"""Today's KPIs and the dashboard snapshot from hand-made tickets: pure, table-driven."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hall.domain.config import SupervisionRules
from hall.domain.model import Ticket, Window
from hall.domain.state import HallState
from hall.domain.supervision import Supervisor
from hall.web.dashboard import kpis, snapshot
from tests.domain.hallfile import small_hall

TZ = ZoneInfo("Asia/Shanghai")
DAY = "2026-11-18"


def at(hh: int, mm: int = 0, ss: int = 0) -> float:
    return datetime(2026, 11, 18, hh, mm, ss, tzinfo=TZ).timestamp()


def t(no: str, state: str, issued: float, **kw: Any) -> Ticket:
    return Ticket(
        no=no,
        day=DAY,
        service=no[0],
        priority="normal",
        state=state,  # type: ignore[arg-type]
        arrival=int(no[1:]),
        issued_at=issued,
        **kw,
    )


def visit(no: str, issued: float, wait: float, service: float, rating: int | None = None) -> Ticket:
    called = issued + wait
    return t(
        no,
        "done",
        issued,
        window="1",
        staff="S001",
        called_at=called,
        started_at=called + 30,
        finished_at=called + 30 + service,
        rated=rating is not None,
        rating=rating,
    )


EMPTY: dict[str, Any] = {
    "arrivals": 0,
    "served": 0,
    "no_show": 0,
    "no_show_pct": None,
    "mean_wait_s": None,
    "max_wait_s": None,
    "service_level_pct": None,
    "mean_service_s": None,
    "mean_rating": None,
    "ratings": 0,
    "bad_ratings": 0,
    "hourly": [],
}

CASES: list[tuple[str, list[Ticket], dict[str, Any]]] = [
    ("no tickets yet", [], {}),
    (
        "one waiting: an arrival, nothing else",
        [t("A001", "waiting", at(9))],
        {"arrivals": 1, "hourly": [{"hour": 9, "arrivals": 1, "served": 0}]},
    ),
    (
        "two served within the target, rated 5 and 4",
        [visit("A001", at(9), 100, 200, 5), visit("A002", at(9, 5), 300, 400, 4)],
        {
            "arrivals": 2,
            "served": 2,
            "no_show_pct": 0.0,
            "mean_wait_s": 200,
            "max_wait_s": 300,
            "service_level_pct": 100.0,
            "mean_service_s": 300,
            "mean_rating": 4.5,
            "ratings": 2,
            "hourly": [{"hour": 9, "arrivals": 2, "served": 2}],
        },
    ),
    (
        "a no-show counts its wait but no service",
        [
            visit("A001", at(9), 60, 120),
            t("A002", "no_show", at(9), window="1", called_at=at(9) + 2400, outcome="no_show"),
            visit("B001", at(10), 1800, 600, 1),
            visit("B002", at(10), 1801, 60, 2),
        ],
        {
            "arrivals": 4,
            "served": 3,
            "no_show": 1,
            "no_show_pct": 25.0,
            "mean_wait_s": round((60 + 2400 + 1800 + 1801) / 4),
            "max_wait_s": 2400,
            "service_level_pct": 50.0,  # 60 and 1800 are within 1800 s; 2400 and 1801 are not
            "mean_service_s": 260,
            "mean_rating": 1.5,
            "ratings": 2,
            "bad_ratings": 2,
            "hourly": [
                {"hour": 9, "arrivals": 2, "served": 1},
                {"hour": 10, "arrivals": 2, "served": 2},  # both finished before 11:00
            ],
        },
    ),
    (
        "called and serving tickets count their waits; the hours between are filled",
        [
            t("A001", "called", at(8, 30), window="1", called_at=at(8, 30) + 90),
            t("A002", "serving", at(8, 40), window="2", called_at=at(8, 41), started_at=at(8, 42)),
            t("A003", "waiting", at(11, 59)),
            t("A004", "cancelled", at(10)),
        ],
        {
            "arrivals": 4,
            "mean_wait_s": 75,
            "max_wait_s": 90,
            "service_level_pct": 100.0,
            "hourly": [
                {"hour": 8, "arrivals": 2, "served": 0},
                {"hour": 9, "arrivals": 0, "served": 0},
                {"hour": 10, "arrivals": 1, "served": 0},
                {"hour": 11, "arrivals": 1, "served": 0},
            ],
        },
    ),
    (
        "ratings are averaged over rated visits only; unrated visits do not count",
        [
            visit("A001", at(14), 10, 10, 3),
            visit("A002", at(14), 10, 10),
            visit("A003", at(14), 10, 10, 4),
        ],
        {
            "arrivals": 3,
            "served": 3,
            "no_show_pct": 0.0,
            "mean_wait_s": 10,
            "max_wait_s": 10,
            "service_level_pct": 100.0,
            "mean_service_s": 10,
            "mean_rating": 3.5,
            "ratings": 2,
            "hourly": [{"hour": 14, "arrivals": 3, "served": 3}],
        },
    ),
]


@pytest.mark.parametrize(("tickets", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_kpis(tickets: list[Ticket], expected: dict[str, Any]) -> None:
    assert kpis(tickets, TZ, wait_target_s=1800) == {**EMPTY, **expected}


def test_service_level_follows_the_configured_target() -> None:
    tickets = [visit(f"A{n:03d}", at(9), wait, 60) for n, wait in enumerate((100, 200, 300), 1)]
    assert kpis(tickets, TZ, wait_target_s=199)["service_level_pct"] == 33.3
    assert kpis(tickets, TZ, wait_target_s=200)["service_level_pct"] == 66.7
    assert kpis(tickets, TZ, wait_target_s=300)["service_level_pct"] == 100.0


def test_the_snapshot_has_the_documented_shape_and_no_personal_data() -> None:
    config = replace(small_hall(), supervision=SupervisionRules(waiting_yellow=1))
    now = at(10)
    tickets = {
        "A001": visit("A001", at(9), 60, 60, 5),
        "A002": t("A002", "waiting", at(9, 50), appointment="APT-1"),
        "B001": t(
            "B001",
            "serving",
            at(9, 30),
            window="2",
            staff="S002",
            called_at=at(9, 40),
            started_at=at(9, 41),
        ),
    }
    windows = {
        "1": Window("1", "paused", staff="S001", paused_reason="午休", since=now - 130),
        "2": Window(
            "2", "open", staff="S002", ticket="B001", since=at(9, 41), served_day=DAY, served=4
        ),
    }
    state = HallState(config=config, day=DAY, tickets=tickets, windows=windows)
    supervisor = Supervisor(config.supervision)
    online = {"kiosk-1": True, "pad-1": False}
    since = {"kiosk-1": now - 5, "pad-1": now - 20}
    review = supervisor.review(state, now, online, since, now - 30)
    data = snapshot(
        state, now=now, online=online, online_since=since, alarms=review.alarms, notice="今日通知"
    )
    assert set(data) == {"hall", "services", "windows", "devices", "kpis", "alarms", "notice"}
    assert data["hall"] == {
        "id": "unit",
        "name": "测试大厅",
        "day": DAY,
        "now": "2026-11-18T10:00:00.000+08:00",
        "timezone": "Asia/Shanghai",
    }
    services = {s["code"]: s for s in data["services"]}
    assert services["A"] == {
        "code": "A",
        "name": "社保医保",
        "waiting": 1,
        "longest_wait_s": 600,
        "eta_s": services["A"]["eta_s"],
        "open": True,
        "accepting": True,
        "full": False,
    }
    assert services["B"]["waiting"] == 0 and services["B"]["longest_wait_s"] == 0
    windows_view = {w["id"]: w for w in data["windows"]}
    assert windows_view["1"] == {
        "id": "1",
        "name": "1号窗口",
        "state": "paused",
        "staff": "S001",
        "ticket": None,
        "ticket_state": None,
        "served": 0,
        "paused_for_s": 130,
        "paused_reason": "午休",
        "since": "2026-11-18T09:57:50.000+08:00",
    }
    assert windows_view["2"]["ticket"] == "B001" and windows_view["2"]["ticket_state"] == "serving"
    assert windows_view["2"]["served"] == 4 and windows_view["2"]["paused_for_s"] is None
    assert [w["id"] for w in data["windows"]] == ["1", "2", "3"]
    devices = {d["id"]: d for d in data["devices"]}
    assert devices["kiosk-1"] == {
        "id": "kiosk-1",
        "kind": "kiosk",
        "window": None,
        "online": True,
        "since": "2026-11-18T09:59:55.000+08:00",
    }
    assert devices["pad-1"]["window"] == "1" and devices["pad-1"]["online"] is False
    assert devices["led-1"]["since"] is None
    assert data["kpis"]["arrivals"] == 3 and data["kpis"]["mean_rating"] == 5
    assert data["notice"] == "今日通知"
    alarm_ids = [a["id"] for a in data["alarms"]]
    assert "waiting:A" in alarm_ids
    for alarm in data["alarms"]:
        assert set(alarm) == {
            "id", "kind", "level", "message", "details", "cause_at", "since", "acked", "acked_by",
            "acked_at",
        }  # fmt: skip
        assert isinstance(alarm["details"], dict)
        assert alarm["cause_at"] <= alarm["since"] <= data["hall"]["now"]
    assert "APT-1" not in str(data)  # no appointment codes, no names: nothing personal
