"""`hall simulate`: the profiles load, a day is the same for the same seed, bad profiles are
refused naming line and key, and the command writes its report and charts."""

from __future__ import annotations

import io
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from hall.contract.config import ConfigError, load_config
from hall.contract.config_base import read_config_text
from hall.simulation.day import simulate
from hall.simulation.png import PALETTE, Canvas, Plot, encode_png, nice_step, text_width
from hall.simulation.profile import DayProfile, load_profile
from hall.simulation.report import day_report
from tests.simulation.commands import hall_command

ROOT = Path(__file__).resolve().parent.parent.parent
PROFILES = ROOT / "config" / "simulation"
PAIRS = (
    ("district-day.toml", "district-hall.toml"),
    ("city-day.toml", "city-hall.toml"),
    ("understaffed-day.toml", "district-hall.toml"),
)

# A short day in the district hall: quick enough to run twice.
SHORT_DAY = """
[day]
name = "A short morning"
date = 2026-11-20
opens = "08:30"
closes = "10:30"
history_days = 3

[arrivals]
morning_peak = "09:15"
afternoon_peak = "14:30"
peak_width_min = 30
peak_factor = 2.0
green_share = 0.05

[citizens]
no_show_share = 0.1
transfer_share = 0.1
rating_share = 0.8

[clerks]
pauses_per_day = 1

[[services]]
code = "A"
per_hour = 20
service_min = 4
transfer_to = "B"

[[services]]
code = "B"
per_hour = 8
service_min = 5

[[shifts]]
windows = ["1", "2", "3"]
from = "08:30"
to = "10:30"
lunch = "09:40"
"""


def district() -> tuple[object, DayProfile]:
    hall = load_config(PROFILES / "district-hall.toml")
    return hall, load_profile(SHORT_DAY, "short.toml", hall)


@pytest.mark.parametrize(("profile", "hall_file"), PAIRS)
def test_the_shipped_profiles_load(profile: str, hall_file: str) -> None:
    hall = load_config(PROFILES / hall_file)
    loaded = load_profile(read_config_text(PROFILES / profile), profile, hall)
    assert loaded.services and loaded.shifts
    assert loaded.opens_s < loaded.closes_s


def test_the_same_seed_gives_the_same_day_and_another_seed_another() -> None:
    hall = load_config(PROFILES / "district-hall.toml")
    profile = load_profile(SHORT_DAY, "short.toml", hall)
    tz = ZoneInfo(hall.hall.timezone)
    first = day_report(simulate(hall, profile, 7), tz)
    again = day_report(simulate(hall, profile, 7), tz)
    other = day_report(simulate(hall, profile, 8), tz)
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    assert json.dumps(first, sort_keys=True) != json.dumps(other, sort_keys=True)
    overall = first["overall"]
    # The day happened through the core: tickets issued, called, served, rated, transferred.
    assert overall["issued"] > 20 and overall["served"] > 10 and overall["ratings"] > 0
    assert overall["no_shows"] + overall["transferred"] > 0
    assert first["estimates"]["hall"]["n"] > 0
    assert sum(h["arrivals"] for h in first["hours"]) == overall["issued"]
    assert {w["id"] for w in first["windows"]} == {"1", "2", "3", "4", "5", "6"}
    assert not first["refused"], first["refused"]


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the text that holds the fragment."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        (('code = "B"', 'code = "Q"'), "services[2].code", "no service"),
        (("per_hour = 8", 'per_hour = "8"'), "services[2].per_hour", "expected a number"),
        (('opens = "08:30"', 'opens = "8.30"'), "day.opens", "HH:MM"),
        (('windows = ["1", "2", "3"]', 'windows = ["1", "9"]'), "shifts[1].windows[2]", "window"),
        (("green_share = 0.05", "green_share = 0.05\nsurge = 2"), "arrivals.surge", "unknown"),
        (("date = 2026-11-20", "date = 2026-11-20T09:00:00"), "day.date", "expected a date"),
        (('lunch = "09:40"', 'lunch = "10:00"'), "shifts[1].lunch", "does not fit in the shift"),
        (('lunch = "09:40"', 'lunch = "08:00"'), "shifts[1].lunch", "does not fit in the shift"),
        (
            ('windows = ["1", "2", "3"]', 'windows = ["1", "2", "1"]'),
            "shifts[1].windows[3]",
            "twice",
        ),
        (('windows = ["1", "2", "3"]', "windows = [1, 2, 3]"), "shifts[1].windows[1]", "as text"),
        (('transfer_to = "B"', 'transfer_to = "C"'), "services[1].transfer_to", "no [[services]]"),
        (
            ('afternoon_peak = "14:30"', 'afternoon_peak = "09:00"'),
            "arrivals.afternoon_peak",
            "before",
        ),
        (
            ('morning_peak = "09:15"', 'morning_peak = "07:00"'),
            "arrivals.morning_peak",
            "both peaks",
        ),
    ],
)
def test_a_bad_profile_is_refused_naming_line_and_key(
    change: tuple[str, str], key: str, problem: str
) -> None:
    hall = load_config(PROFILES / "district-hall.toml")
    text = SHORT_DAY.replace(*change)
    line = line_of(text, change[1].splitlines()[-1])
    with pytest.raises(ConfigError) as refused:
        load_profile(text, "day.toml", hall)
    assert refused.value.line == line and refused.value.key == key, str(refused.value)
    assert problem in refused.value.problem and str(refused.value).startswith(f"day.toml:{line}:")


def test_two_shifts_at_one_window_at_once_are_refused() -> None:
    hall = load_config(PROFILES / "district-hall.toml")
    text = SHORT_DAY + '\n[[shifts]]\nwindows = ["3"]\nfrom = "10:00"\nto = "11:00"\n'
    with pytest.raises(ConfigError, match="window 3 is in two shifts"):
        load_profile(text, "day.toml", hall)


def test_a_shift_outside_the_opening_hours_is_refused() -> None:
    hall = load_config(PROFILES / "district-hall.toml")
    text = SHORT_DAY + '\n[[shifts]]\nwindows = ["4"]\nfrom = "18:00"\nto = "20:00"\n'
    with pytest.raises(ConfigError) as refused:
        load_profile(text, "day.toml", hall)
    assert refused.value.key == "shifts[2].from"
    assert "18:00-20:00 lies outside the hall's opening hours 08:30-10:30" in str(refused.value)
    # Running past closing is a shift's overtime, and allowed.
    late = SHORT_DAY + '\n[[shifts]]\nwindows = ["4"]\nfrom = "10:00"\nto = "12:00"\n'
    assert load_profile(late, "day.toml", hall).shifts[-1].end_s == 12 * 3600


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        # Clerks away longer than the shift: 20 breaks of 8 min and a lunch of 40 in 2 hours.
        (("pauses_per_day = 1", "pauses_per_day = 20"), "shifts[1].to", "would fill the whole"),
        # Windows 4 and 5 serve B and C: A's walk-ins would never be called.
        (('windows = ["1", "2", "3"]', 'windows = ["4", "5"]'), "services[1].code", "never"),
        (
            (
                "[[shifts]]",
                '[appointments]\nper_hour = 2\nslot_min = 30\nservices = ["Q"]\n\n[[shifts]]',
            ),
            "appointments.services[1]",
            'service "Q" has no [[services]] entry',
        ),
    ],
)
def test_a_day_that_cannot_work_is_refused(change: tuple[str, str], key: str, problem: str) -> None:
    hall = load_config(PROFILES / "district-hall.toml")
    with pytest.raises(ConfigError) as refused:
        load_profile(SHORT_DAY.replace(*change), "day.toml", hall)
    assert refused.value.key == key and problem in refused.value.problem, str(refused.value)


def test_a_day_nobody_comes_to_is_refused() -> None:
    hall = load_config(PROFILES / "district-hall.toml")
    one_service = SHORT_DAY.replace("per_hour = 20", "per_hour = 0")
    assert load_profile(one_service, "day.toml", hall).services[0].per_hour == 0
    with pytest.raises(ConfigError, match="no one comes"):
        load_profile(one_service.replace("per_hour = 8", "per_hour = 0"), "day.toml", hall)


def test_shifts_are_needed_to_simulate_but_not_to_plan() -> None:
    hall = load_config(PROFILES / "district-hall.toml")
    text = SHORT_DAY.split("[[shifts]]")[0]
    with pytest.raises(ConfigError, match=r"at least one \[\[shifts\]\]"):
        load_profile(text, "day.toml", hall)
    assert load_profile(text, "day.toml", hall, shifts_needed=False).shifts == ()


def test_a_shift_taking_over_windows_at_the_end_of_another_works_them() -> None:
    """Windows 1-3 change hands at 09:30: the morning's clerks finish the visit in hand and
    sign out, the next shift's sign in then and call until the end of the day (before, the
    new clerk signed in over the old one, whose sign-out then closed the window for good)."""
    hall = load_config(PROFILES / "district-hall.toml")
    early, late = (
        '[[shifts]]\nwindows = ["1", "2", "3"]\nfrom = "08:30"\nto = "09:30"\n',
        ('[[shifts]]\nwindows = ["1", "2", "3"]\nfrom = "09:30"\nto = "10:30"\n'),
    )
    text = SHORT_DAY.split("[[shifts]]")[0] + early + late
    result = simulate(hall, load_profile(text, "day.toml", hall), 3)
    report = day_report(result, ZoneInfo(hall.hall.timezone))
    assert not report["refused"], report["refused"]
    worked = {w["id"]: w for w in report["windows"] if w["id"] in ("1", "2", "3")}
    # Signed in from 08:30 to the end of the day (10:30 and whoever still waits then).
    assert all(w["signed_in_s"] >= 2 * 3600 - 120 for w in worked.values()), worked
    handover = result.day_start + 9.5 * 3600
    called_after = {r.window for r in result.tickets.values() if (r.called_at or 0) > handover}
    assert {"1", "2", "3"} <= called_after


def test_png_is_a_valid_image() -> None:
    canvas = Canvas(40, 30)
    canvas.line(0, 0, 39, 29, (255, 0, 0))
    canvas.text(2, 2, "12:30")
    image = Image.open(io.BytesIO(canvas.png()))
    assert image.size == (40, 30) and image.mode == "RGB"
    assert image.getpixel((0, 0)) == (255, 0, 0) and image.getpixel((39, 0)) == (255, 255, 255)
    assert encode_png(1, 1, bytearray(b"\x01\x02\x03")).startswith(b"\x89PNG\r\n\x1a\n")


def _ink(canvas: Canvas, box: tuple[int, int, int, int]) -> set[tuple[int, int, int]]:
    """The colours other than white inside (left, top, right, bottom)."""
    image = Image.open(io.BytesIO(canvas.png()))
    left, top, right, bottom = box
    return {
        pixel
        for y in range(top, bottom)
        for x in range(left, right)
        if (pixel := image.getpixel((x, y))) != (255, 255, 255)
    }


def test_letters_have_glyphs_for_titles_and_legends() -> None:
    drawn = []
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        canvas = Canvas(8, 12)
        canvas.text(1, 1, letter.lower())
        drawn.append(bytes(canvas.pixels))
        assert _ink(canvas, (0, 0, 8, 12)), letter
    assert len(set(drawn)) == 26  # no two letters alike
    assert text_width("abc") == 22


def test_a_chart_has_its_title_axis_titles_and_legend() -> None:
    bare = Plot((0.0, 10.0), 5.0, 400, 300)
    legend = [(PALETTE[0], "A", False), (PALETTE[1], "B", False)]
    plot = Plot(
        (0.0, 10.0),
        5.0,
        400,
        300,
        title="Waiting",
        x_title="hour",
        y_title="tickets",
        legend=legend,
    )
    assert not _ink(bare.canvas, (0, 0, 400, 50)) and _ink(plot.canvas, (0, 0, 200, 25))
    assert _ink(plot.canvas, (0, 30, 100, 50))  # the y axis's title
    assert _ink(plot.canvas, (100, 270, 300, 300))  # the x axis's, below its ticks
    assert {PALETTE[0], PALETTE[1]} <= _ink(plot.canvas, (300, 30, 400, 50))  # the swatches


def test_a_long_legend_wraps_clear_of_the_axis_title_and_colours_do_not_repeat() -> None:
    codes = [chr(ord("A") + i) for i in range(26)]
    styles = [Plot.style(i) for i in range(26)]
    legend = [(color, code, dashed) for code, (color, dashed) in zip(codes, styles, strict=True)]
    plot = Plot((0.0, 10.0), 5.0, 900, 440, y_title="waiting", legend=legend)
    # No swatch left of the y axis's title and the space after it.
    assert not _ink(plot.canvas, (0, 30, 8 + text_width("waiting") + 24, 80)) - {(40, 40, 40)}
    assert plot.top > 56  # the chart area starts below the legend's rows
    # The first ten services have a colour each; the next ten the same colours, dashed.
    assert len({color for color, _dashed in styles[:10]}) == 10
    assert styles[10] == (styles[0][0], True) and styles[20] == (styles[0][0], False)


def test_axes_go_in_round_steps_and_an_empty_bar_is_not_drawn() -> None:
    assert [nice_step(top) for top in (21, 62, 193, 4, 0.7)] == [5, 20, 50, 1, 0.2]
    plot = Plot((0.0, 10.0), 62.0, 400, 300)
    assert (plot.y_step, plot.y_max) == (20, 80)
    before = bytes(plot.canvas.pixels)
    plot.bar(1.0, 2.0, 0.0, PALETTE[0])
    assert bytes(plot.canvas.pixels) == before


def test_the_command_writes_the_report_and_the_charts(tmp_path: Path) -> None:
    """As the README says: hall simulate --config … --profile … --seed … --out …"""
    profile = tmp_path / "short.toml"
    profile.write_text(SHORT_DAY, encoding="utf-8")
    out = tmp_path / "day"
    done = hall_command(
        "simulate",
        "--config",
        "config/simulation/district-hall.toml",
        "--profile",
        str(profile),
        "--seed",
        "3",
        "--out",
        str(out),
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert "A short morning (seed 3)" in done.stdout
    report_overall = json.loads((out / "report.json").read_text(encoding="utf-8"))["overall"]
    never = report_overall["never_called"]
    assert ("never called" in done.stdout) is (never > 0)
    assert "mean wait of those called" in done.stdout
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["seed"] == 3 and report["overall"]["issued"] > 0
    assert set(report["estimates"]) >= {"naive", "hall"}
    for name in ("waiting.png", "hourly.png", "estimates.png", "windows.png"):
        with Image.open(out / name) as image:
            assert image.width > 100 and image.height > 100


def test_an_out_that_is_not_a_folder_is_refused_before_the_day(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    for out, said in (
        (tmp_path / "a-file", f"{tmp_path / 'a-file'} is not a directory; give a folder"),
        (tmp_path / "a-file" / "day", f"{tmp_path / 'a-file'} is not a directory"),
    ):
        done = hall_command(
            "simulate",
            "--config",
            "config/simulation/district-hall.toml",
            "--profile",
            "config/simulation/city-day.toml",
            "--out",
            str(out),
            timeout=60,
        )
        assert done.returncode == 2 and done.stdout == ""  # no day was simulated
        assert done.stderr.startswith(f"hall simulate: --out: {said}"), done.stderr


def test_the_command_names_a_bad_profile_line(tmp_path: Path) -> None:
    profile = tmp_path / "bad.toml"
    profile.write_text(SHORT_DAY.replace('code = "B"', 'code = "Q"'), encoding="utf-8")
    done = hall_command(
        "simulate",
        "--config",
        "config/simulation/district-hall.toml",
        "--profile",
        str(profile),
        timeout=60,
    )
    assert done.returncode == 2
    line = line_of(profile.read_text(encoding="utf-8"), 'code = "Q"')
    assert f"{profile}:{line}: services[2].code: the hall file has no service" in done.stderr
