"""`[screen] min_call_display_s` and `phone_alert_ahead`: how long a call holds the screen's big
box, and when the phone's ticket page alerts."""

from __future__ import annotations

import pytest

from .hallfile import BASE, check, error_of


def test_defaults_and_written_values() -> None:
    screen = check(BASE).screen
    assert (screen.min_call_display_s, screen.phone_alert_ahead) == (5.0, 3)
    written = check(BASE + "[screen]\nmin_call_display_s = 7.5\nphone_alert_ahead = 0\n").screen
    assert (written.min_call_display_s, written.phone_alert_ahead) == (7.5, 0)
    assert check(BASE + "[screen]\nmin_call_display_s = 0\n").screen.min_call_display_s == 0.0


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (
            "min_call_display_s = 90",
            "hall.toml:30: screen.min_call_display_s: expected a number from 0 to 60, got 90",
        ),
        (
            "min_call_display_s = -1",
            "hall.toml:30: screen.min_call_display_s: expected a number from 0 to 60, got -1",
        ),
        (
            'min_call_display_s = "5"',
            'hall.toml:30: screen.min_call_display_s: expected a number from 0 to 60, got "5"',
        ),
        (
            "phone_alert_ahead = 2.5",
            "hall.toml:30: screen.phone_alert_ahead: expected an integer from 0 to 100, got 2.5",
        ),
        (
            "phone_alert_ahead = 101",
            "hall.toml:30: screen.phone_alert_ahead: expected an integer from 0 to 100, got 101",
        ),
    ],
)
def test_mistakes_name_the_line_and_what_is_accepted(written: str, message: str) -> None:
    assert error_of(BASE + f"[screen]\n{written}\n") == message
