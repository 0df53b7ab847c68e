"""`[queue] requeue_position`: the front, the back, or after how many of those waiting."""

from __future__ import annotations

import pytest

from .hallfile import BASE, check, error_of


@pytest.mark.parametrize(
    ("written", "value"),
    [("", 3), ('requeue_position = "front"\n', "front"), ('requeue_position = "back"\n', "back")]
    + [(f"requeue_position = {n}\n", n) for n in (0, 5, 999)],
)
def test_accepted_positions(written: str, value: int | str) -> None:
    assert check(BASE + "[queue]\n" + written).queue.requeue_position == value


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (
            '"middle"',
            'hall.toml:30: queue.requeue_position: expected "front", "back" or a number of '
            'people from 0 to 999, got "middle"',
        ),
        ("-1", "hall.toml:30: queue.requeue_position: expected an integer from 0 to 999, got -1"),
        (
            "1000",
            "hall.toml:30: queue.requeue_position: expected an integer from 0 to 999, got 1000",
        ),
        (
            "true",
            "hall.toml:30: queue.requeue_position: expected an integer from 0 to 999, got true",
        ),
    ],
)
def test_mistakes_name_the_line_and_what_is_accepted(written: str, message: str) -> None:
    assert error_of(BASE + f"[queue]\nrequeue_position = {written}\n") == message
