"""`[[services]] max_wait_min`: a service's longest wait, in minutes."""

from __future__ import annotations

import pytest

from .hallfile import BASE, check, error_of

WITH_TARGET = BASE.replace('name = "Service B"\n', 'name = "Service B"\nmax_wait_min = {}\n')


def test_a_service_may_have_a_longest_wait_and_others_none() -> None:
    services = check(WITH_TARGET.format(20)).services
    assert [(s.code, s.max_wait_min) for s in services] == [("A", None), ("B", 20)]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("0", "hall.toml:12: services[2].max_wait_min: expected an integer from 1 to 600, got 0"),
        (
            "601",
            "hall.toml:12: services[2].max_wait_min: expected an integer from 1 to 600, got 601",
        ),
        (
            '"20"',
            'hall.toml:12: services[2].max_wait_min: expected an integer from 1 to 600, got "20"',
        ),
    ],
)
def test_mistakes_name_the_line_and_key(written: str, message: str) -> None:
    assert error_of(WITH_TARGET.format(written)) == message
