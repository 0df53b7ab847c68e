"""The hall's live settings as pure changes: each checked, each the catalogue's next version,
each with its audit entry (who, what, when, before, after)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hall.domain.actor import Actor
from hall.domain.catalogue import Catalogue
from hall.domain.errors import DomainError
from hall.domain.hall import HallState, decide
from hall.domain.settings import ACTIONS

from .hallfile import small_hall

TZ = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 11, 27, 9, 0, tzinfo=TZ).timestamp()
EVENING = datetime(2026, 11, 27, 18, 30, tzinfo=TZ).timestamp()
MANAGER = Actor.manager("lihua")
KIOSK = Actor("kiosk-1", "kiosk", printer="printer-1")


def fresh() -> HallState:
    return HallState(config=small_hall(), day="2026-11-27")


def change(state: HallState, args: dict[str, Any], now: float = MORNING) -> dict[str, Any]:
    """Decide and apply one change; the outcome's audit entry."""
    outcome = decide(state, MANAGER, "catalogue.change", args, now)
    state.apply(outcome)
    assert outcome.audit is not None and outcome.catalogue is not None
    return outcome.audit


def refused(state: HallState, args: dict[str, Any]) -> DomainError:
    with pytest.raises(DomainError) as caught:
        decide(state, MANAGER, "catalogue.change", args, MORNING)
    return caught.value


def test_a_cap_change_is_audited_with_before_and_after_and_bounds_the_next_tickets() -> None:
    state = fresh()
    audit = change(state, {"action": "set_cap", "code": "B", "daily_cap": 1})
    assert audit["by"] == "lihua" and audit["what"] == "set_cap" and audit["subject"] == "B"
    assert audit["before"]["daily_cap"] is None and audit["after"]["daily_cap"] == 1
    assert audit["version"] == 1 and audit["at"].startswith("2026-11-27T09:00")
    state.apply(decide(state, KIOSK, "ticket.take", {"service": "B"}, MORNING))
    with pytest.raises(DomainError) as over:
        decide(state, KIOSK, "ticket.take", {"service": "B"}, MORNING)
    assert over.value.code == "daily_cap_reached"
    change(state, {"action": "set_cap", "code": "B", "daily_cap": None})
    state.apply(decide(state, KIOSK, "ticket.take", {"service": "B"}, MORNING))
    assert state.counters["B"] == 2


def test_opening_hours_refuse_tickets_outside_them_and_show_the_service_closed() -> None:
    state = fresh()
    change(state, {"action": "set_hours", "code": "A", "hours": ["08:30", "17:00"]})
    decide(state, KIOSK, "ticket.take", {"service": "A"}, MORNING)
    with pytest.raises(DomainError) as late:
        decide(state, KIOSK, "ticket.take", {"service": "A"}, EVENING)
    assert late.value.code == "service_closed" and "08:30" in late.value.message
    view = {s["code"]: s for s in state.services_view(EVENING)}
    assert view["A"]["accepting"] is False and view["A"]["hours"] == ["08:30", "17:00"]
    assert view["B"]["accepting"] is True
    assert state.accepting(MORNING) == (True, True)
    change(state, {"action": "set_hours", "code": "A", "hours": None})
    decide(state, KIOSK, "ticket.take", {"service": "A"}, EVENING)


def test_documents_are_kept_trimmed_and_shown_in_guidance() -> None:
    state = fresh()
    audit = change(
        state, {"action": "set_documents", "code": "A", "documents": [" 身份证 ", "", "社保卡"]}
    )
    assert (
        audit["after"]["documents"] == ["身份证", "社保卡"] and audit["before"]["documents"] == []
    )
    assert state.services_view(MORNING)[0]["documents"] == ["身份证", "社保卡"]


def test_a_windows_services_are_replaced_in_their_new_order() -> None:
    state = fresh()
    audit = change(state, {"action": "set_window", "window": "1", "services": ["B", "A"]})
    assert audit["before"] == {"services": ["A", "B"]}
    assert audit["after"] == {"services": ["B", "A"]}
    assert state.window_services["1"] == ("B", "A")
    change(state, {"action": "set_window", "window": "2", "services": ["A"]})
    assert state.window_services["2"] == ("A",)


def test_a_device_is_disabled_renamed_and_moved_and_back_to_the_file_when_undone() -> None:
    state = fresh()
    pad = state.config.device("pad-1")
    assert pad is not None
    change(state, {"action": "device_disable", "device": "pad-1"})
    change(state, {"action": "device_rename", "device": "pad-1", "name": "综合窗口平板"})
    audit = change(state, {"action": "device_window", "device": "pad-1", "window": "3"})
    assert audit["before"]["window"] == "1" and audit["after"]["window"] == "3"
    catalogue = state.catalogue
    assert catalogue is not None
    setting = catalogue.device_setting("pad-1")
    assert not setting.enabled and setting.name == "综合窗口平板"
    assert catalogue.bound(pad).window == "3"
    for args in (
        {"action": "device_enable", "device": "pad-1"},
        {"action": "device_rename", "device": "pad-1", "name": None},
        {"action": "device_window", "device": "pad-1", "window": "1"},
    ):
        change(state, args)
    assert state.catalogue is not None and state.catalogue.devices == {}


def test_the_notice_is_kept_with_the_catalogue() -> None:
    state = fresh()
    audit = change(state, {"action": "set_notice", "text": " 今日16:00闭厅 "})
    assert audit["before"] == {"notice": ""} and audit["after"] == {"notice": "今日16:00闭厅"}
    assert state.catalogue is not None and state.catalogue.notice == "今日16:00闭厅"


def test_the_catalogue_with_every_setting_survives_its_stored_form() -> None:
    state = fresh()
    for args in (
        {"action": "set_hours", "code": "A", "hours": ["08:30", "12:00"]},
        {"action": "set_documents", "code": "B", "documents": ["不动产权证"]},
        {"action": "set_window", "window": "3", "services": ["B", "A"]},
        {"action": "device_disable", "device": "kiosk-1"},
        {"action": "device_window", "device": "led-1", "window": "2"},
        {"action": "set_notice", "text": "午休暂停取号"},
        {"action": "add", "code": "C", "name": "公积金"},
    ):
        change(state, args)
    catalogue = state.catalogue
    assert catalogue is not None
    assert Catalogue.from_json(catalogue.to_json(), state.config) == catalogue


@pytest.mark.parametrize(
    ("args", "code", "names"),
    [
        ({}, "bad_request", "action"),
        ({"action": "explode"}, "bad_request", "action"),
        ({"action": "set_cap", "code": "a", "daily_cap": 3}, "bad_request", "code"),
        ({"action": "set_cap", "code": "A", "daily_cap": 0}, "bad_request", "daily_cap"),
        ({"action": "set_cap", "code": "A"}, "bad_request", "daily_cap"),
        ({"action": "set_cap", "code": "Z", "daily_cap": 5}, "unknown_service", "Z"),
        ({"action": "set_hours", "code": "A", "hours": ["8:30", "17:00"]}, "bad_request", "hours"),
        ({"action": "set_hours", "code": "A", "hours": ["17:00", "08:30"]}, "bad_request", "hours"),
        ({"action": "set_hours", "code": "A", "hours": "08:30-17:00"}, "bad_request", "hours"),
        ({"action": "set_hours", "code": "A"}, "bad_request", "hours"),
        (
            {"action": "set_documents", "code": "A", "documents": "身份证"},
            "bad_request",
            "documents",
        ),
        (
            {"action": "set_documents", "code": "A", "documents": ["x" * 61]},
            "bad_request",
            "documents",
        ),
        ({"action": "set_window", "window": "9", "services": ["A"]}, "not_found", "window"),
        ({"action": "set_window", "window": "1", "services": []}, "bad_request", "services"),
        (
            {"action": "set_window", "window": "1", "services": ["A", "A"]},
            "bad_request",
            "services",
        ),
        ({"action": "set_window", "window": "1", "services": ["Q"]}, "unknown_service", "services"),
        ({"action": "set_window", "window": "1"}, "bad_request", "services"),
        ({"action": "device_disable", "device": "nope"}, "unknown_device", "nope"),
        ({"action": "device_window", "device": "kiosk-1", "window": "1"}, "bad_request", "kiosk"),
        ({"action": "device_window", "device": "pad-1", "window": "9"}, "not_found", "window"),
        ({"action": "device_window", "device": "pad-1"}, "bad_request", "window"),
        ({"action": "set_notice", "text": "长" * 201}, "bad_request", "text"),
        ({"action": "set_notice"}, "bad_request", "text"),
        ({"action": "add", "code": "A", "name": "重复"}, "invalid_state", "A"),
        ({"action": "add", "code": "Q", "name": "社保\u202e理办"}, "bad_request", "U+202E"),
        ({"action": "rename", "code": "A", "name": "户\u200b籍"}, "bad_request", "U+200B"),
        (
            {"action": "set_documents", "code": "A", "documents": ["身份证\x07"]},
            "bad_request",
            "documents",
        ),
        (
            {"action": "device_rename", "device": "pad-1", "name": "窗口\u202e"},
            "bad_request",
            "U+202E",
        ),
    ],
)
def test_bad_changes_are_refused_naming_what_is_wrong(
    args: dict[str, Any], code: str, names: str
) -> None:
    state = fresh()
    error = refused(state, args)
    assert error.code == code and names in error.message
    assert state.catalogue is not None and state.catalogue.version == 0


def test_every_action_is_listed_once() -> None:
    assert len(set(ACTIONS)) == len(ACTIONS) == 13


def test_a_device_may_not_change_the_hall() -> None:
    with pytest.raises(DomainError) as caught:
        decide(fresh(), KIOSK, "catalogue.change", {"action": "set_notice", "text": "x"}, MORNING)
    assert caught.value.code == "forbidden"
