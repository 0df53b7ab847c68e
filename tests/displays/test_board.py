"""Board composition: the contract's board payload, as the hub publishes it, and the LED
board's lines made from it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from displays.board import BoardPayload, Call, board_lines, compose_board
from displays.ledtext import text_cells
from displays.phrasing import default_window_name

CST = timezone(timedelta(hours=8))
T0 = datetime(2024, 5, 6, 9, 30, tzinfo=CST)


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def compose_board_named(
    calls: Sequence[Call],
    waiting: dict[str, int],
    limit: int = 10,
    names: dict[str, str] | None = None,
) -> BoardPayload:
    """`compose_board` naming windows as a hall file would: `names`, else ``<id>号窗口``."""
    given = names or {}
    return compose_board(
        calls,
        waiting,
        window_name=lambda window: given.get(window) or default_window_name(window),
        limit=limit,
    )


def test_payload_shape_newest_first() -> None:
    board = compose_board_named(
        [("A001", "1", at(0)), ("B001", "3", at(2)), ("A002", "2", at(1))],
        {"B": 0, "A": 3},
        names={"3": "综合窗口"},
    )
    assert board == {
        "calls": [
            {
                "ticket": "B001",
                "window": "3",
                "at": "2024-05-06T09:32:00+08:00",
                "window_name": "综合窗口",
                "text": "B001 → 综合窗口",
            },
            {
                "ticket": "A002",
                "window": "2",
                "at": "2024-05-06T09:31:00+08:00",
                "window_name": "2号窗口",
                "text": "A002 → 2号窗口",
            },
            {
                "ticket": "A001",
                "window": "1",
                "at": "2024-05-06T09:30:00+08:00",
                "window_name": "1号窗口",
                "text": "A001 → 1号窗口",
            },
        ],
        "waiting": {"A": 3, "B": 0},
    }


def test_a_call_time_text_is_kept_as_given() -> None:
    board = compose_board_named([("A001", "1", "2024-05-06T09:30:00.250+08:00")], {})
    assert board["calls"][0]["at"] == "2024-05-06T09:30:00.250+08:00"


def test_recall_moves_a_ticket_to_the_top_once() -> None:
    board = compose_board_named(
        [("A001", "1", at(0)), ("A002", "2", at(1)), ("A001", "1", at(3))], {}
    )
    assert [c["ticket"] for c in board["calls"]] == ["A001", "A002"]
    assert board["calls"][0]["at"] == at(3)


def test_times_in_other_offsets_are_ordered_by_instant() -> None:
    utc_later = (T0 + timedelta(minutes=1)).astimezone(UTC)
    board = compose_board_named([("A001", "1", at(0)), ("A002", "2", utc_later)], {})
    assert [c["ticket"] for c in board["calls"]] == ["A002", "A001"]
    assert board["calls"][0]["at"] == "2024-05-06T01:31:00+00:00"


def test_equal_times_keep_the_later_listed_first() -> None:
    board = compose_board_named([("A001", "1", at(0)), ("A002", "2", at(0))], {})
    assert [c["ticket"] for c in board["calls"]] == ["A002", "A001"]


def test_at_most_ten_calls() -> None:
    calls = [(f"A{n:03d}", "1", at(n)) for n in range(1, 16)]
    board = compose_board_named(calls, {"A": 0})
    assert [c["ticket"] for c in board["calls"]] == [f"A{n:03d}" for n in range(15, 5, -1)]
    assert len(compose_board_named(calls, {}, limit=3)["calls"]) == 3


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
        compose_board_named(calls, waiting, limit)


def test_a_window_name_that_looks_like_an_id_number_is_refused() -> None:
    with pytest.raises(ValueError, match="digits"):
        compose_board_named([("A001", "1", at(0))], {}, names={"1": "110101199003071234"})


def test_board_lines() -> None:
    board = compose_board_named(
        [("A001", "1", at(0)), ("C003", "4", at(1))], {}, names={"4": "综合窗口"}
    )
    assert board_lines(board["calls"], 32) == ["C003 → 综合窗口", "A001 → 1号窗口"]
    # 12 cells: "C003 → " takes 8 (the arrow is full-width on GB2312 controllers).
    assert board_lines(board["calls"], 12) == ["C003 → 综合", "A001 → 1号"]


def test_board_lines_show_the_text_as_given() -> None:
    calls = [{"ticket": "A001", "window": "1", "text": "A001 请到东厅"}]
    assert board_lines(calls, 32) == ["A001 请到东厅"]
    for bad in ({"ticket": "A001", "window": "1"}, {"text": " "}, "A001"):
        with pytest.raises(ValueError):
            board_lines([bad], 32)


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
    board = compose_board_named(calls, {"A": 1}, names={"4": "综合窗口"})
    recent = board["calls"]
    assert len(recent) <= 10
    assert len({c["ticket"] for c in recent}) == len(recent)
    instants = [datetime.fromisoformat(c["at"]) for c in recent]
    assert instants == sorted(instants, reverse=True)
    # Each shown call is that ticket's latest call, at that call's window.
    for call in recent:
        latest = max(datetime.fromisoformat(a) for t, _, a in calls if t == call["ticket"])
        assert datetime.fromisoformat(call["at"]) == latest
        name = "综合窗口" if call["window"] == "4" else f"{call['window']}号窗口"
        assert call["window_name"] == name
        assert call["text"] == f"{call['ticket']} → {name}"
    lines = board_lines(recent, cells)
    assert len(lines) == len(recent)
    assert all(text_cells(line) <= cells for line in lines)
