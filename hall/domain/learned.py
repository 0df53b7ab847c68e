"""What the wait estimate learned, as one JSON document a restarted hub reads back.

The hub keeps the hall's earlier days in memory (`arrivals.py`: arrivals per service and
class by quarter-hour, the share of signed-in window time paused, pause lengths by reason)
and learns today's pauses as windows pause and resume (`occupancy.py`). Today's arrivals and
window occupancy are learned again from the day's tickets, which the store keeps; the rest
would be lost with the process, and a restarted hub would fall back to the last hour's rate.
So the store keeps this snapshot (`hall/store`), written whenever it changes.

A snapshot of an earlier day than the one loaded (the hub was down over midnight) brings that
day's staffing and pauses in as an earlier day's; its arrivals are added from its tickets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hall.domain.compact import compact_json

from .arrivals import BINS, ArrivalHistory

VERSION = 1
_SEP = "|"  # between service and class in a stream's name (neither may contain it)

Pauses = dict[str, tuple[float, int]]  # reason: (total seconds, count)


@dataclass
class Learned:
    """The earlier days (`history`), and the day the snapshot was taken with its own pauses."""

    day: str
    history: ArrivalHistory
    pauses_today: Pauses = field(default_factory=dict)


def dumps(day: str, history: ArrivalHistory, pauses_today: Pauses) -> str:
    """The snapshot of `day`: the earlier days and today's staffing and pauses."""
    doc = {
        "version": VERSION,
        "day": day,
        "days": [
            {f"{service}{_SEP}{klass}": counts for (service, klass), counts in d.items()}
            for d in history.days
        ],
        "staffing": [[list(pair) for pair in d] for d in history.staffing],
        "staffing_today": [list(pair) for pair in history.staffing_today],
        "pauses": {reason: list(pair) for reason, pair in history.pauses.items()},
        "pauses_today": {reason: list(pair) for reason, pair in pauses_today.items()},
    }
    return compact_json(doc)


def _pauses(raw: Any) -> Pauses:
    return {str(reason): (float(total), int(count)) for reason, (total, count) in raw.items()}


def _bins(raw: Any) -> list[tuple[float, float]]:
    pairs = [(float(signed), float(paused)) for signed, paused in raw]
    if len(pairs) != BINS:
        raise ValueError(f"a staffing day has {len(pairs)} bins, not {BINS}")
    return pairs


def loads(raw: str | bytes) -> Learned:
    """Read a snapshot back; ValueError when it is not one this version wrote."""
    try:
        doc = json.loads(raw)
        if doc.get("version") != VERSION:
            raise ValueError(f"snapshot version {doc.get('version')!r}, not {VERSION}")
        history = ArrivalHistory()
        for day in doc["days"]:
            counts: dict[tuple[str, str], list[int]] = {}
            for name, row in day.items():
                service, klass = name.rsplit(_SEP, 1)
                if len(row) != BINS:
                    raise ValueError(f"arrivals of {name} have {len(row)} bins, not {BINS}")
                counts[(service, klass)] = [int(n) for n in row]
            history.days.append(counts)
        history.staffing = [_bins(d) for d in doc["staffing"]]
        history.staffing_today = _bins(doc["staffing_today"])
        history.pauses = _pauses(doc["pauses"])
        return Learned(str(doc["day"]), history, _pauses(doc["pauses_today"]))
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as bad:
        raise ValueError(f"not a snapshot of what the wait estimate learned: {bad}") from bad


def roll_over(learned: Learned) -> ArrivalHistory:
    """The history of a later day than the snapshot's: its staffing and pauses become an
    earlier day's (its arrivals come from its tickets: `ArrivalHistory.add_tickets_day`)."""
    history = learned.history
    history.add_staffing_day(history.staffing_today)
    history.staffing_today = [(0.0, 0.0)] * BINS
    for reason, (total, count) in learned.pauses_today.items():
        before = history.pauses.get(reason, (0.0, 0))
        history.pauses[reason] = (before[0] + total, before[1] + count)
    return history
