"""A line logged for each of thousands of refusals would bury the log: the first is logged at
once, then one line an interval, saying how many happened since the last."""

from __future__ import annotations

import logging

import pytest

from hall.contract.log_every import LogEvery


def test_first_at_once_then_one_line_an_interval_with_the_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [100.0]
    log_every = LogEvery(logging.getLogger("test.log_every"), logging.ERROR, 10.0, lambda: now[0])
    with caplog.at_level(logging.ERROR, "test.log_every"):
        for n in range(1_000):
            log_every("store unavailable for %s: %s", "ticket.take", f"try {n}")
        assert [r.getMessage() for r in caplog.records] == [
            "store unavailable for ticket.take: try 0 (1 time(s) since the last such line)"
        ]
        now[0] += 10.0
        log_every("store unavailable for %s: %s", "call.next", "try 1000")
    assert len(caplog.records) == 2
    assert caplog.records[1].getMessage() == (
        "store unavailable for call.next: try 1000 (1000 time(s) since the last such line)"
    )
    assert caplog.records[1].levelno == logging.ERROR
