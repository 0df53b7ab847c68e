"""Board composition: the contract's board payload and the LED board's lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from displays.board import board_lines, compose_board
from displays.ledtext import text_cells

CST = timezone(timedelta(hours=8))
T0 = datetime(2024, 5, 6, 9, 30, tzinfo=CST)


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def test_payload_shape_newest_first() -> None:
    board = compose_board(
        [("A001", "1", at(0)), ("B001", "3", at(2)), ("A002", "2", at(1))],
        {"B": 0, "A": 3},
    )
    assert board == {
        "calls": [
            {"ticket": "B001", "window": "3", "at": "2024-05-06T09:32:00+08:00"},
            {"ticket": "A002", "window": "2", "at": "2024-05-06T09:31:00+08:00"},
            {"ticket": "A001", "window": "1", "at": "2024-05-06T09:30:00+08:00"},
        ],
        "waiting": {"A": 3, "B": 0},
    }


def test_recall_moves_a_ticket_to_the_top_once() -> None:
    board = compose_board([("A001", "1", at(0)), ("A002", "2", at(1)), ("A001", "1", at(3))], {})
    assert [c["ticket"] for c in board["calls"]] == ["A001", "A002"]
    assert board["calls"][0]["at"] == at(3)


def test_times_in_other_offsets_are_ordered_by_instant() -> None:
    utc_later = (T0 + timedelta(minutes=1)).astimezone(UTC)
    board = compose_board([("A001", "1", at(0)), ("A002", "2", utc_later)], {})
    assert [c["ticket"] for c in board["calls"]] == ["A002", "A001"]
    assert board["calls"][0]["at"] == "2024-05-06T01:31:00+00:00"


def test_equal_times_keep_the_later_listed_first() -> None:
    board = compose_board([("A001", "1", at(0)), ("A002", "2", at(0))], {})
    assert [c["ticket"] for c in board["calls"]] == ["A002", "A001"]


def test_at_most_ten_calls() -> None:
    calls = [(f"A{n:03d}", "1", at(n)) for n in range(1, 16)]
    board = compose_board(calls, {"A": 0})
    assert [c["ticket"] for c in board["calls"]] == [f"A{n:03d}" for n in range(15, 5, -1)]
    assert len(compose_board(calls, {}, limit=3)["calls"]) == 3


@pytest.mark.parametrize(
    ("calls", "waiting", "limit"),
    [
        ([("A1", "1", "2024-05-06T09:30:00+08:00")], {}, 10),
        ([("A001", "Window 1", "2024-05-06T09:30:00+08:00")], {}, 10),
        ([("A001", "1", "2024-05-06T09:30:00")], {}, 10),  # no offset
        ([("A001", "1", "yesterday")], {}, 10),
        ([], {"AB": 1}, 10),
        ([], {"A": -1}, 10),
        ([], {"A": True}, 10),
        ([], {}, 11),
    ],
)
def test_refused(calls: list[tuple[str, str, str]], waiting: dict[str, int], limit: int) -> None:
    with pytest.raises(ValueError):
        compose_board(calls, waiting, limit)


def test_board_lines() -> None:
    board = compose_board([("A001", "1", at(0)), ("C003", "4", at(1))], {})
    assert board_lines(board, {"4": "综合窗口"}, 32) == ["C003 → 综合窗口", "A001 → 1号窗口"]
    # 12 cells: "C003 → " takes 8 (the arrow is full-width on GB2312 controllers).
    assert board_lines(board, {"4": "综合窗口"}, 12) == ["C003 → 综合", "A001 → 1号"]


calls_strategy = st.lists(
    st.tuples(
        st.from_regex(r"\A[A-C][0-9]{3}\Z"),
        st.sampled_from(["1", "2", "3", "4"]),
        st.integers(min_value=0, max_value=600).map(at),
    ),
    max_size=30,
)


@given(calls_strategy, st.integers(min_value=1, max_value=40))
def test_board_properties(calls: list[tuple[str, str, str]], cells: int) -> None:
    board = compose_board(calls, {"A": 1})
    recent = board["calls"]
    assert len(recent) <= 10
    assert len({c["ticket"] for c in recent}) == len(recent)
    instants = [datetime.fromisoformat(c["at"]) for c in recent]
    assert instants == sorted(instants, reverse=True)
    # Each shown call is that ticket's latest call.
    for call in recent:
        latest = max(datetime.fromisoformat(a) for t, _, a in calls if t == call["ticket"])
        assert datetime.fromisoformat(call["at"]) == latest
    lines = board_lines(board, {}, cells)
    assert len(lines) == len(recent)
    assert all(text_cells(line) <= cells for line in lines)
