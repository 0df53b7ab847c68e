"""`hall plan`: Erlang C against the textbook's values, the target's wording, advice that
meets its target when the shipped profiles' days are simulated on it, and the command."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hall.contract.config import load_config
from hall.contract.config_base import read_config_text
from hall.simulation.day import simulate
from hall.simulation.erlang import erlang_c, service_level, windows_needed
from hall.simulation.plan import Target, make_plan, parse_target, plan_json
from hall.simulation.profile import load_profile
from hall.simulation.report import day_report
from tests.simulation.commands import hall_command

ROOT = Path(__file__).resolve().parent.parent.parent
PROFILES = ROOT / "config" / "simulation"
PAIRS = (
    ("district-day.toml", "district-hall.toml"),
    ("city-day.toml", "city-hall.toml"),
    ("understaffed-day.toml", "district-hall.toml"),
)


@pytest.mark.parametrize(
    ("windows", "load", "waiting"),
    # M/M/c by hand: 2 erlangs at 3 servers wait with 4/9, 1 erlang at 2 servers with 1/3;
    # the call-centre textbook case (100 calls per half hour of 180 s: 10 erlangs).
    [(3, 2.0, 4 / 9), (2, 1.0, 1 / 3), (1, 0.5, 0.5), (11, 10.0, 0.6821), (14, 10.0, 0.1741)],
)
def test_erlang_c_gives_the_textbook_values(windows: int, load: float, waiting: float) -> None:
    assert erlang_c(windows, load) == pytest.approx(waiting, abs=5e-5)


def test_the_textbook_call_centre_needs_fourteen_for_80_percent_in_20_seconds() -> None:
    rate, handling = 100 / 1800, 180.0
    assert service_level(13, rate, handling, 20) == pytest.approx(0.7956, abs=5e-4)
    assert service_level(14, rate, handling, 20) == pytest.approx(0.8884, abs=5e-4)
    assert windows_needed(rate, handling, 0.8, 20) == 14
    assert windows_needed(0.0, handling, 0.8, 20) == 0
    assert erlang_c(10, 10.0) == 1.0  # windows that cannot keep up: everybody waits


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("80% within 15 min", Target(0.8, 900)),
        (" 90 % within 600 s ", Target(0.9, 600)),
        ("95.5% within 2 minutes", Target(0.955, 120)),
    ],
)
def test_targets_are_read(text: str, target: Target) -> None:
    assert parse_target(text) == target


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("80 within 15", 'expected a share and a wait such as "80% within 15 min"'),
        ("100% within 15 min", "the share must be above 0% and below 100%"),
        ("80% within 0 min", "the wait must be above 0 and at most 4 hours"),
        ("80% within 5 hours", 'expected a share and a wait such as "80% within 15 min"'),
    ],
)
def test_a_bad_target_is_refused_saying_what_is_accepted(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_target(text)


@pytest.mark.parametrize(("profile_file", "hall_file"), PAIRS)
def test_the_advice_meets_its_target_when_the_day_is_simulated_on_it(
    profile_file: str, hall_file: str
) -> None:
    hall = load_config(PROFILES / hall_file)
    path = PROFILES / profile_file
    profile = load_profile(read_config_text(path), str(path), hall)
    target = parse_target("80% within 15 min")
    plan = make_plan(hall, profile, target, seed=1)
    assert plan.met
    data = plan_json(plan)
    for slot in data["half_hours"]:
        # Never below what Erlang C asks for; the simulated half hour meets the target.
        assert all(slot["windows"][c] >= n for c, n in slot["erlang_windows"].items())
        if slot["simulated"]["issued"]:
            assert slot["simulated"]["share"] >= target.share
    # Every service a window: the windows named are those the half hours use at most.
    served = {w["services"][0] for w in data["windows"]}
    assert served == {s.code for s in profile.services}
    busiest = max(s["open_windows"] for s in data["half_hours"])
    assert len(data["windows"]) >= busiest


def test_the_command_prints_the_table_and_writes_the_plan(tmp_path: Path) -> None:
    out = tmp_path / "advice" / "plan.json"
    done = hall_command(
        "plan",
        "--config",
        "config/simulation/district-hall.toml",
        "--profile",
        "config/simulation/district-day.toml",
        "--target",
        "85% within 10 min",
        "--out",
        str(out),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "85% within 10 min" in done.stdout and "08:30-09:00" in done.stdout
    assert "target met in simulation" in done.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["target"] == {"share": 0.85, "wait_s": 600.0} and data["met"] is True
    assert [s["start"] for s in data["half_hours"]][:2] == ["08:30", "09:00"]


def test_the_command_refuses_a_bad_target() -> None:
    done = hall_command(
        "plan",
        "--config",
        "config/simulation/district-hall.toml",
        "--profile",
        "config/simulation/district-day.toml",
        "--target",
        "most people quickly",
        timeout=60,
    )
    assert done.returncode == 2
    assert 'hall plan: --target: expected a share and a wait such as "80% within 15 min", got ' in (
        done.stderr
    )


def test_the_day_report_gives_the_worst_wait_per_class() -> None:
    hall = load_config(PROFILES / "city-hall.toml")
    path = PROFILES / "city-day.toml"
    profile = load_profile(read_config_text(path), str(path), hall)
    result = simulate(hall, profile, 2)
    report = day_report(result, ZoneInfo(hall.hall.timezone))
    classes = {c["class"]: c for c in report["classes"]}
    assert set(classes) == {"green", "appointment", "normal"}
    for klass, entry in classes.items():
        waits = [
            r.called_at - r.issued_at
            for r in result.tickets.values()
            if r.priority == klass and r.called_at is not None
        ]
        assert entry["called"] == len(waits)
        assert entry["max_wait_s"] == round(max(waits), 1)
    assert all("max_wait_s" in s for s in report["services"])
