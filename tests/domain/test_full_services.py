"""Guidance says which services are full for today, and what the hall file says of each
service (its description and documents) and of each kiosk (card reader, idle time)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hall.contract.config import check_config_text
from hall.domain.actor import Actor
from hall.domain.config import DEFAULT_IDLE_S
from hall.domain.errors import DomainError
from hall.domain.hall import HallState, decide

from .hallfile import HALL_TOML, small_hall

TZ = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 11, 27, 9, 0, tzinfo=TZ).timestamp()
KIOSK = Actor("kiosk-1", "kiosk", printer="printer-1")
MANAGER = Actor.manager("lihua")


def guidance(state: HallState) -> dict[str, dict[str, Any]]:
    return {s["code"]: s for s in state.services_view(MORNING)}


def take(state: HallState, service: str) -> None:
    state.apply(decide(state, KIOSK, "ticket.take", {"service": service}, MORNING))


def test_a_service_is_full_once_its_cap_is_issued_and_open_again_when_raised() -> None:
    state = HallState(config=small_hall(cap=2), day="2026-11-27")
    assert state.full() == (False, False)
    take(state, "A")
    assert guidance(state)["A"]["full"] is False
    take(state, "A")
    # Full before anyone is refused: every page reads it from guidance.
    assert state.full() == (True, False)
    assert guidance(state)["A"]["full"] is True and guidance(state)["A"]["accepting"] is True
    assert guidance(state)["B"]["full"] is False
    with pytest.raises(DomainError) as over:
        decide(state, KIOSK, "ticket.take", {"service": "A"}, MORNING)
    assert over.value.code == "daily_cap_reached"

    args = {"action": "set_cap", "code": "A", "daily_cap": 3}
    state.apply(decide(state, MANAGER, "catalogue.change", args, MORNING))
    assert guidance(state)["A"]["full"] is False
    take(state, "A")
    assert guidance(state)["A"]["full"] is True


def test_a_new_day_opens_a_full_service_again() -> None:
    state = HallState(config=small_hall(cap=1), day="2026-11-27")
    take(state, "A")
    assert state.full() == (True, False)
    # The next day starts from the same catalogue with no ticket issued yet.
    tomorrow = HallState(config=state.config, day="2026-11-28", catalogue=state.catalogue)
    assert tomorrow.full() == (False, False)
    assert guidance(tomorrow)["A"]["full"] is False


def test_without_a_cap_a_service_is_full_only_at_the_last_number() -> None:
    state = HallState(config=small_hall(), day="2026-11-27")
    state.counters["B"] = 998
    assert state.full() == (False, False)
    state.counters["B"] = 999  # B999: numbers have three digits
    assert state.full() == (False, True)


def test_the_hall_files_descriptions_documents_and_kiosk_settings_reach_guidance() -> None:
    text = HALL_TOML.format(hall_id="unit", recall_cap=3, cap=300).replace(
        'name = "社保医保"',
        'name = "社保医保"\ndescription = "社保卡申领、医保参保登记"\n'
        'documents = [" 身份证 ", "社保卡"]',
    )
    text = text.replace(
        'printer = "printer-1"', 'printer = "printer-1"\nid_reader = true\nidle_s = 45'
    )
    config = check_config_text(text, "unit.toml")
    state = HallState(config=config, day="2026-11-27")
    view = guidance(state)
    assert view["A"]["description"] == "社保卡申领、医保参保登记"
    assert view["A"]["documents"] == ["身份证", "社保卡"]
    assert view["B"]["description"] is None and view["B"]["documents"] == []
    kiosk = config.device("kiosk-1")
    assert kiosk is not None and kiosk.id_reader and kiosk.idle_s == 45
    pad = config.device("pad-1")
    assert pad is not None and pad.idle_s == DEFAULT_IDLE_S


def test_english_names_from_the_hall_file_reach_guidance_when_given() -> None:
    text = HALL_TOML.format(hall_id="unit", recall_cap=3, cap=300).replace(
        'name = "社保医保"',
        'name = "社保医保"\ndescription = "社保卡申领"\n'
        'name_en = "Social insurance"\ndescription_en = "Social security cards"',
    )
    config = check_config_text(text, "unit.toml")
    service = config.service("A")
    assert service is not None and service.name_en == "Social insurance"
    view = guidance(HallState(config=config, day="2026-11-27"))
    assert view["A"]["name"] == "社保医保" and view["A"]["name_en"] == "Social insurance"
    assert view["A"]["description"] == "社保卡申领"
    assert view["A"]["description_en"] == "Social security cards"
    # Not given: no English key (the pages show the Chinese name).
    assert "name_en" not in view["B"] and "description_en" not in view["B"]
