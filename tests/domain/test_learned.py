"""The snapshot of what the wait estimate learned: read back as written, a later day rolls
it over, and anything else is refused with a clear error."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest

from hall.domain.arrivals import BIN_S, BINS, ArrivalHistory
from hall.domain.learned import dumps, loads, roll_over

TZ = ZoneInfo("Asia/Shanghai")


def history() -> ArrivalHistory:
    learned = ArrivalHistory()
    learned.add_day([(("A", "normal"), 9 * 3600.0), (("A", "green"), 9.5 * 3600.0)])
    learned.add_day([(("B|x", "normal"), 14 * 3600.0)] * 3)  # a "|" in a code is kept
    learned.signed_in(False, 9 * 3600.0, 12 * 3600.0)
    learned.signed_in(True, 12 * 3600.0, 12.5 * 3600.0)
    learned.add_staffing_day(learned.staffing_today)
    learned.staffing_today = [(0.0, 0.0)] * BINS
    learned.signed_in(True, 10 * 3600.0, 10 * 3600.0 + 300)
    learned.add_pause("午餐 lunch", 1800.0)
    return learned


def test_a_snapshot_reads_back_as_written() -> None:
    original = history()
    back = loads(dumps("2026-12-01", original, {"break": (300.0, 1)}))
    assert back.day == "2026-12-01"
    assert back.history.days == original.days
    assert back.history.staffing == original.staffing
    assert back.history.staffing_today == original.staffing_today
    assert back.history.pauses == original.pauses
    assert back.pauses_today == {"break": (300.0, 1)}
    assert back.history.expected(9 * 3600.0, 10 * 3600.0) == original.expected(
        9 * 3600.0, 10 * 3600.0
    )
    assert back.history.working_shares() == original.working_shares()


def test_a_later_day_makes_the_snapshot_day_an_earlier_one() -> None:
    learned = loads(dumps("2026-12-01", history(), {"break": (300.0, 1)}))
    rolled = roll_over(learned)
    assert len(rolled.staffing) == 2
    assert rolled.staffing[-1][10 * 3600 // BIN_S] == (300.0, 300.0)
    assert rolled.staffing_today == [(0.0, 0.0)] * BINS
    assert rolled.pauses == {"午餐 lunch": (1800.0, 1), "break": (300.0, 1)}


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        json.dumps({"version": 2}),
        json.dumps({"version": 1, "day": "2026-12-01"}),
        dumps("2026-12-01", ArrivalHistory(), {}).replace(
            '"staffing_today":[[0.0,0.0],', '"staffing_today":['
        ),
    ],
)
def test_anything_else_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match=r"snapshot|bins"):
        loads(raw)
