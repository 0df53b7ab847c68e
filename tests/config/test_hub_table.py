"""The `[hub]` table: this hub's name and the lease timings, with the mistakes it refuses."""

from __future__ import annotations

import pytest

from hall.domain.config import HubConfig

from .hallfile import BASE, BASE_LINES, check, error_of

HUB_KEYS = "accepted here: instance, lease_s, renew_s"


def with_hub(*lines: str) -> str:
    return BASE + "\n[hub]\n" + "".join(f"{line}\n" for line in lines)


# The [hub] header is on line BASE_LINES + 2; its first key on the next line.
FIRST_KEY = BASE_LINES + 3


def test_without_a_hub_table_the_defaults_meet_the_takeover_target() -> None:
    hub = check(BASE).hub
    assert hub == HubConfig()
    assert hub.instance is None
    # A standby answers within 3 s of the active hub's death: the lease lapses first.
    assert hub.lease_s < 3 and hub.renew_s <= hub.lease_s / 3


def test_a_hub_table_is_read() -> None:
    hub = check(with_hub('instance = "hub-b"', "lease_s = 3", "renew_s = 0.5")).hub
    assert hub == HubConfig(instance="hub-b", lease_s=3.0, renew_s=0.5)


def test_a_longer_lease_alone_keeps_the_default_renewal() -> None:
    assert check(with_hub("lease_s = 10")).hub.renew_s == HubConfig().renew_s


def test_a_short_lease_alone_renews_within_a_third_of_it() -> None:
    hub = check(with_hub("lease_s = 0.6")).hub
    assert hub.renew_s == pytest.approx(0.2)


CASES: list[tuple[str, str, str]] = [
    (
        "unknown key",
        with_hub("lease = 2"),
        f"hall.toml:{FIRST_KEY}: hub.lease: unknown key ({HUB_KEYS})",
    ),
    (
        "instance with capitals",
        with_hub('instance = "Hub_B"'),
        f"hall.toml:{FIRST_KEY}: hub.instance: expected 1 to 32 characters a-z, 0-9 or -, "
        'got "Hub_B"',
    ),
    (
        "lease too short",
        with_hub("lease_s = 0.1"),
        f"hall.toml:{FIRST_KEY}: hub.lease_s: expected a number from 0.5 to 60.0, got 0.1",
    ),
    (
        "lease as text",
        with_hub('lease_s = "2"'),
        f'hall.toml:{FIRST_KEY}: hub.lease_s: expected a number from 0.5 to 60.0, got "2"',
    ),
    (
        "renewal too slow for the lease",
        with_hub("lease_s = 1.5", "renew_s = 1"),
        f"hall.toml:{FIRST_KEY + 1}: hub.renew_s: expected at most a third of lease_s (1.5 s), "
        "got 1",
    ),
    (
        "renewal of zero",
        with_hub("renew_s = 0"),
        f"hall.toml:{FIRST_KEY}: hub.renew_s: expected a number from 0.05 to 60.0, got 0",
    ),
]


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_hub_table(text: str, message: str) -> None:
    assert error_of(text) == message
