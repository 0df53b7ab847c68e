"""The one backoff rule: exponential, capped, with full jitter."""

from __future__ import annotations

import random

import pytest

from hall.contract.backoff import Backoff, backoff_delay


def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    top = [backoff_delay(n, 0.5, 60.0, lambda: 0.999999) for n in range(1, 12)]
    assert top[:4] == pytest.approx([0.5, 1.0, 2.0, 4.0], rel=1e-5)
    assert max(top) == pytest.approx(60.0, rel=1e-5)
    assert all(backoff_delay(n, 0.5, 60.0, lambda: 0.0) == 0.0 for n in range(1, 12))
    assert backoff_delay(10_000, 0.5, 60.0, lambda: 0.5) == pytest.approx(30.0)


def test_every_delay_stays_within_its_ceiling() -> None:
    rng = random.Random(7)
    for attempt in range(1, 40):
        ceiling = min(10.0, 0.2 * 2 ** (attempt - 1))
        delays = [backoff_delay(attempt, 0.2, 10.0, rng.random) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.9  # the jitter spreads over the whole window


def test_a_retry_loop_grows_until_a_success_resets_it() -> None:
    backoff = Backoff(0.5, 10.0, rand=lambda: 0.999999)
    waits = [backoff.next() for _ in range(7)]
    assert waits == pytest.approx([0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0], rel=1e-5)
    assert backoff.failures == 7
    backoff.reset()
    assert backoff.next() == pytest.approx(0.5, rel=1e-5)
