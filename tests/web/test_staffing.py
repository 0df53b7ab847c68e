"""The dashboard's staffing advice (`GET /api/staffing/today`): pooled windows by Erlang C on
the arrivals the hall expects for the rest of today, never more than the hall has, against
the windows open now; read by a signed-in dashboard session or an API client, refused to
anyone else."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import aiohttp
import pytest

from hall.contract.config import load_config
from hall.domain.arrivals import ArrivalHistory
from hall.domain.catalogue import Catalogue
from hall.domain.model import Ticket
from hall.domain.numbering import MAX_PER_DAY
from hall.domain.state import HallState
from hall.domain.states import TicketState
from hall.hub.runtime import Running
from hall.simulation.erlang import windows_needed
from hall.web.staffing import SHARE, staffing_advice
from tests.integration.contract_client import ContractClient

from .conftest import API_TOKEN, sign_in

BEARER = {"Authorization": f"Bearer {API_TOKEN}"}


def test_the_advice_is_erlang_c_on_the_learned_arrivals_against_the_open_windows() -> None:
    # Windows 1 (A, D), 2 (A), 3 (B, A) and 6 (D, C, A, B) serve A in the district hall.
    config = load_config("config/simulation/district-hall.toml")
    history = ArrivalHistory()
    # One earlier day: 20 citizens for A between 10:00 and 10:15, 4 for C at 11:40.
    history.add_day([(("A", "normal"), 36000.0 + 30 * i) for i in range(20)])
    history.add_day(
        [(("A", "normal"), 36000.0 + 30 * i) for i in range(20)]
        + [(("C", "normal"), 42000.0 + i) for i in range(8)]
    )
    state = HallState(config=config, day="2026-11-17", arrivals=history)
    state.windows["1"] = state.windows["1"].evolve(state="open", staff="S001")
    nine = datetime.fromisoformat("2026-11-17T09:10:00+08:00").timestamp()
    advice = staffing_advice(state, nine, 900.0)

    assert advice["target"] == {"share": SHARE, "wait_s": 900.0}
    # Window 1 serves A and D: it counts for both.
    assert advice["open_now"] == {
        "windows": 1,
        "paused": 0,
        "services": {"A": 1, "B": 0, "C": 0, "D": 1},
    }
    slots = {s["start"]: s for s in advice["half_hours"]}
    assert sorted(slots) == ["10:00", "11:30"]
    ten = slots["10:00"]
    assert ten["arrivals_per_hour"] == {"A": 40.0, "B": 0.0, "C": 0.0, "D": 0.0}
    want = windows_needed(40 / 3600, state.occupancy_s("A", None), SHARE, 900.0)
    assert want == 4  # all four windows that serve A: the advice names them
    assert ten["windows"] == {"A": want, "B": 0, "C": 0, "D": 0}
    assert ten["total"] == want and ten["more_than_open"] == max(0, want - 1)
    assert ten["window_ids"] == ["1", "2", "3", "6"] and ten["target_met"] is True
    assert advice["hall_windows"] == 6
    # C alone at 11:30: one window serving C (window 1, open now, serves no C).
    assert slots["11:30"]["window_ids"] in (["5"], ["6"], ["5", "6"])
    assert slots["11:30"]["arrivals_per_hour"]["C"] == 8.0  # 4 a half hour: the two days' mean
    assert slots["11:30"]["end"] == "12:00"


def test_the_advice_never_names_more_windows_than_the_hall_has() -> None:
    config = load_config("config/simulation/district-hall.toml")
    history = ArrivalHistory()
    # A crowd for A at 10:00 (200 an hour) and for B (120 an hour): far beyond six windows.
    day = [(("A", "normal"), 36000.0 + 9 * i) for i in range(100)] + [
        (("B", "normal"), 36000.0 + 15 * i) for i in range(60)
    ]
    history.add_day(day)
    history.add_day(day)
    state = HallState(config=config, day="2026-11-17", arrivals=history)
    nine = datetime.fromisoformat("2026-11-17T09:10:00+08:00").timestamp()
    ten = {s["start"]: s for s in staffing_advice(state, nine, 900.0)["half_hours"]}["10:00"]
    # Erlang C per service alone would ask for far more than the hall's six windows.
    alone = sum(
        windows_needed(r / 3600, state.occupancy_s(c, None), SHARE, 900.0)
        for c, r in ten["arrivals_per_hour"].items()
    )
    assert alone > 6
    # Every window serving A or B: 1, 2, 3, 4, 5 and 6; and the target is out of reach.
    assert ten["total"] == 6 and ten["window_ids"] == ["1", "2", "3", "4", "5", "6"]
    assert ten["windows"] == {"A": 4, "B": 4, "C": 0, "D": 0}
    assert ten["target_met"] is False and ten["more_than_open"] == 6


def _at(clock: str) -> float:
    return datetime.fromisoformat(f"2026-11-17T{clock}+08:00").timestamp()


def _tickets(service: str, first: float, count: int, every_s: float, state: TicketState) -> dict:
    return {
        f"{service}{i + 1:03d}": Ticket(
            f"{service}{i + 1:03d}",
            "2026-11-17",
            service,
            "normal",
            state,
            arrival=first + i * every_s,
            issued_at=first + i * every_s,
        )
        for i in range(count)
    }


def test_without_earlier_days_the_rate_is_taken_over_the_minutes_watched_for_the_next_hour() -> (
    None
):
    # A hub started at 10:00: one citizen a second for A, three minutes so far, all served.
    config = load_config("config/simulation/district-hall.toml")
    tickets = _tickets("A", _at("10:00:00"), 180, 1.0, "done")
    state = HallState(config=config, day="2026-11-17", tickets=tickets)
    advice = staffing_advice(state, _at("10:03:00"), 900.0)
    # The next hour, 10:03-11:03: the rest of 10:00, all of 10:30 and three minutes of 11:00.
    slots = advice["half_hours"]
    assert [s["start"] for s in slots] == ["10:00", "10:30", "11:00"]
    for slot in slots:
        # 180 in 3 minutes: 3,600 an hour (not 180 spread over a whole hour's window).
        assert slot["arrivals_per_hour"]["A"] == 3600.0, slot
        assert slot["target_met"] is False  # far beyond the four windows serving A
        assert slot["windows"]["A"] == 4


def test_the_citizens_waiting_now_are_cleared_in_the_current_and_next_half_hours() -> None:
    config = load_config("config/simulation/district-hall.toml")
    history = ArrivalHistory()
    # Earlier days: one citizen for A every 10 minutes from 09:00 to 12:00.
    for _ in range(2):
        history.add_day([(("A", "normal"), 32400.0 + 600 * i) for i in range(18)])
    # Six citizens for A taken since 09:55 are waiting at 10:10, none called yet.
    tickets = _tickets("A", _at("09:55:00"), 6, 120.0, "waiting")
    state = HallState(config=config, day="2026-11-17", tickets=tickets, arrivals=history)
    state.windows["2"] = state.windows["2"].evolve(state="open", staff="S002")
    advice = staffing_advice(state, _at("10:10:00"), 900.0)
    assert advice["waiting"] == {"A": 6, "B": 0, "C": 0, "D": 0}
    slots = {s["start"]: s for s in advice["half_hours"]}
    visit = state.occupancy_s("A", None)
    for start in ("10:00", "10:30", "11:00"):
        assert 4.0 <= slots[start]["arrivals_per_hour"]["A"] <= 6.0  # the quiet morning
    # The queue's work over the target wait comes on top of the arrivals.
    for start in ("10:00", "10:30"):
        rate = slots[start]["arrivals_per_hour"]["A"] / 3600
        with_queue = windows_needed(rate + 6 / 900, visit, SHARE, 900.0)
        assert windows_needed(rate, visit, SHARE, 900.0) == 1 and 1 < with_queue <= 4
        assert slots[start]["waiting"]["A"] == 6
        assert slots[start]["windows"]["A"] == with_queue and slots[start]["target_met"]
        assert slots[start]["more_than_open"] == with_queue - 1
    # Beyond the next half hour only the arrivals count.
    assert slots["11:00"]["waiting"]["A"] == 0
    assert slots["11:00"]["windows"]["A"] == 1


@pytest.mark.parametrize("why", ["suspended", "full"])
def test_a_service_taking_no_more_tickets_expects_no_more_arrivals(why: str) -> None:
    config = load_config("config/simulation/district-hall.toml")
    history = ArrivalHistory()
    for _ in range(2):  # earlier days: A and B, a citizen each every 5 minutes, 09:00-12:00
        history.add_day(
            [((code, "normal"), 32400.0 + 300 * i) for i in range(36) for code in ("A", "B")]
        )
    catalogue = Catalogue.from_config(config)
    services = tuple(
        replace(s, open=False) if s.code == "A" and why == "suspended" else s
        for s in catalogue.services
    )
    catalogue = replace(catalogue, services=services)
    state = HallState(config=config, day="2026-11-17", catalogue=catalogue, arrivals=history)
    if why == "full":
        state.counters["A"] = MAX_PER_DAY  # every ticket it may issue today issued
    assert state.full()[0] is (why == "full")
    advice = staffing_advice(state, _at("09:10:00"), 900.0)
    for slot in advice["half_hours"]:
        assert slot["arrivals_per_hour"]["A"] == 0.0 and slot["windows"]["A"] == 0, slot
        assert slot["arrivals_per_hour"]["B"] > 0, slot


def test_open_now_counts_the_windows_working_and_says_how_many_are_paused() -> None:
    config = load_config("config/simulation/district-hall.toml")
    history = ArrivalHistory()
    history.add_day([(("A", "normal"), 36000.0 + 30 * i) for i in range(20)])
    state = HallState(config=config, day="2026-11-17", arrivals=history)
    state.windows["1"] = state.windows["1"].evolve(state="open", staff="S001")
    for w in ("2", "3"):
        state.windows[w] = state.windows[w].evolve(
            state="paused", staff=f"S00{w}", paused_reason="lunch"
        )
    advice = staffing_advice(state, _at("09:10:00"), 900.0)
    assert advice["open_now"] == {
        "windows": 1,
        "paused": 2,
        "services": {"A": 1, "B": 0, "C": 0, "D": 1},
    }
    ten = {s["start"]: s for s in advice["half_hours"]}["10:00"]
    assert ten["more_than_open"] == ten["total"] - 1 > 0
    # The advised windows not working now: the paused ones among them too.
    assert ten["to_open"] == [w for w in ten["window_ids"] if w != "1"]


async def test_today_from_live_arrivals_for_a_session_or_an_api_client(
    web_hub: Running, mqtt: ContractClient, http: aiohttp.ClientSession
) -> None:
    url = f"{web_hub.http_url}/api/staffing/today"
    async with http.get(url) as response:
        assert response.status == 401
        assert (await response.json())["error"]["code"] == "unauthorized"

    await mqtt.ok("pad-1", "window.open", {"staff": "S001"})
    for _ in range(6):
        await mqtt.ok("kiosk-1", "ticket.take", {"service": "A"})
    async with http.get(url, headers=BEARER) as response:
        assert response.status == 200
        advice = await response.json()
    # No earlier days: the last hour's arrivals go on for the next hour.
    assert advice["open_now"]["windows"] == 1
    assert advice["half_hours"], advice
    first = advice["half_hours"][0]
    assert first["arrivals_per_hour"]["A"] > 0 and first["windows"]["A"] >= 1
    for slot in advice["half_hours"]:
        assert slot["total"] == len(slot["window_ids"]) <= advice["hall_windows"]
        assert all(n <= slot["total"] for n in slot["windows"].values())
        assert slot["more_than_open"] == max(0, slot["total"] - 1)

    await sign_in(http, web_hub, "guest")  # a viewer reads it too
    async with http.get(url) as response:
        assert response.status == 200
        assert (await response.json())["open_now"] == advice["open_now"]
