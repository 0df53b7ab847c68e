"""E-supervision (电子监察): alarms from the hall's state and the configured thresholds. Pure.

`conditions()` finds what is wrong right now; `Supervisor` remembers since when, who
acknowledged what, and reports alarms that were raised (new, or their level went up).

Every alarm has a stable id, so a page can follow it across snapshots:

- ``waiting:<service>``: people waiting for one service at or over yellow / orange / red;
- ``wait:<ticket>``: a waiting ticket older than ``wait_target_s``;
- ``service:<ticket>``: a visit at a window longer than ``service_limit_s``;
- ``paused:<window>``: a window paused longer than ``pause_limit_s``;
- ``device:<device>``: a device offline longer than ``device_offline_s``;
- ``rating:<ticket>``: a bad rating (1-2), listed until someone acknowledges it.

An alarm is listed while its condition holds; once acknowledged it shows who did. An
acknowledgement is forgotten when its alarm's condition ends (so a new occurrence alerts
again), and at the end of the hall's day (ticket numbers start again each day). No alarm
carries personal data: ticket numbers, window and device ids, staff ids only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

from ..config import SupervisionRules
from .model import rfc3339
from .ops_ratings import LEVEL_LABELS
from .state import HallState

Level = Literal["yellow", "orange", "red"]
Kind = Literal["waiting", "wait", "service", "paused", "device", "rating"]
LEVEL_RANK: dict[str, int] = {"yellow": 1, "orange": 2, "red": 3}
ESCALATE_FACTOR = 2  # a time limit exceeded twice over turns a yellow alarm orange


@dataclass(frozen=True)
class Condition:
    """Something the thresholds flag right now."""

    id: str
    kind: Kind
    level: Level
    message: str
    since: float | None = None  # when it began, when the data tells; else when first seen
    sticky: bool = False  # stays until acknowledged, then is no longer listed (bad ratings)


@dataclass(frozen=True)
class Ack:
    by: str  # the dashboard user's name
    at: float
    day: str  # the hall day it was given: forgotten on later days

    def to_json(self) -> str:
        return json.dumps(
            {"by": self.by, "at": self.at, "day": self.day}, ensure_ascii=False, sort_keys=True
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> Ack:
        data = json.loads(raw)
        return cls(by=str(data["by"]), at=float(data["at"]), day=str(data["day"]))


@dataclass(frozen=True)
class Alarm:
    id: str
    kind: Kind
    level: Level
    message: str
    since: float
    acked_by: str | None = None
    acked_at: float | None = None

    def view(self, tz: ZoneInfo) -> dict[str, Any]:
        """The dashboard's alarm object."""
        return {
            "id": self.id,
            "kind": self.kind,
            "level": self.level,
            "message": self.message,
            "since": rfc3339(self.since, tz),
            "acked": self.acked_by is not None,
            "acked_by": self.acked_by,
        }


@dataclass(frozen=True)
class Review:
    alarms: tuple[Alarm, ...]  # listed now, most severe first, then oldest first
    raised: tuple[Alarm, ...] = ()  # new since the last review, or their level went up
    dropped_acks: tuple[str, ...] = ()  # acknowledgements forgotten: remove them from the store


def _minutes(seconds: float) -> int:
    return max(1, round(seconds / 60))


def _timed_level(over_s: float, limit_s: int) -> Level:
    return "orange" if over_s >= ESCALATE_FACTOR * limit_s else "yellow"


def _window_name(state: HallState, window_id: str) -> str:
    configured = state.config.window(window_id)
    if configured is not None and configured.name:
        return configured.name
    return f"{window_id}号窗口"


def conditions(
    state: HallState,
    rules: SupervisionRules,
    now: float,
    online: Mapping[str, bool],
    online_since: Mapping[str, float],
    baseline: float,
) -> list[Condition]:
    """What is wrong now. `online`/`online_since`: each device's status and when it last
    changed; a device never heard from counts as offline since `baseline` (the hub's start)."""
    found: list[Condition] = []
    counts = state.waiting_counts()
    for service in state.services:
        n = counts.get(service.code, 0)
        level: Level | None = None
        if n >= rules.waiting_red:
            level = "red"
        elif n >= rules.waiting_orange:
            level = "orange"
        elif n >= rules.waiting_yellow:
            level = "yellow"
        if level is not None:
            found.append(
                Condition(
                    f"waiting:{service.code}", "waiting", level, f"{service.name} 等候 {n} 人"
                )
            )
    for ticket in sorted(state.tickets.values(), key=lambda t: t.arrival):
        if ticket.state == "waiting":
            waited = now - ticket.issued_at
            if waited >= rules.wait_target_s:
                found.append(
                    Condition(
                        f"wait:{ticket.no}",
                        "wait",
                        _timed_level(waited, rules.wait_target_s),
                        f"{ticket.no} 已等候 {_minutes(waited)} 分钟",
                        since=ticket.issued_at + rules.wait_target_s,
                    )
                )
        elif ticket.state == "serving" and ticket.started_at is not None:
            serving = now - ticket.started_at
            if serving >= rules.service_limit_s:
                where = _window_name(state, ticket.window) if ticket.window else "窗口"
                found.append(
                    Condition(
                        f"service:{ticket.no}",
                        "service",
                        _timed_level(serving, rules.service_limit_s),
                        f"{ticket.no} 在{where}办理已 {_minutes(serving)} 分钟",
                        since=ticket.started_at + rules.service_limit_s,
                    )
                )
        if ticket.rated and ticket.rating is not None and ticket.rating <= 2:
            where = _window_name(state, ticket.window) if ticket.window else "窗口"
            staff = f" 工号 {ticket.staff}" if ticket.staff else ""
            found.append(
                Condition(
                    f"rating:{ticket.no}",
                    "rating",
                    "red",
                    f"{ticket.no} 差评「{LEVEL_LABELS[ticket.rating]}」({where}{staff})",
                    since=None,
                    sticky=True,
                )
            )
    for window in sorted(state.windows.values(), key=lambda w: w.id):
        if window.state == "paused" and window.since is not None:
            paused = now - window.since
            if paused >= rules.pause_limit_s:
                reason = f"({window.paused_reason})" if window.paused_reason else ""
                found.append(
                    Condition(
                        f"paused:{window.id}",
                        "paused",
                        _timed_level(paused, rules.pause_limit_s),
                        f"{_window_name(state, window.id)} 暂停 {_minutes(paused)} 分钟{reason}",
                        since=window.since + rules.pause_limit_s,
                    )
                )
    for device in state.config.devices:
        if online.get(device.id, False):
            continue
        offline_since = online_since.get(device.id, baseline)
        offline = now - offline_since
        if offline >= rules.device_offline_s:
            found.append(
                Condition(
                    f"device:{device.id}",
                    "device",
                    "orange",
                    f"设备 {device.id} 离线 {_minutes(offline)} 分钟",
                    since=offline_since + rules.device_offline_s,
                )
            )
    return found


@dataclass
class Supervisor:
    """The alarms over time: first-seen times, acknowledgements, what was raised."""

    rules: SupervisionRules
    acks: dict[str, Ack] = field(default_factory=dict)
    _first_seen: dict[str, float] = field(default_factory=dict)
    _levels: dict[str, str] = field(default_factory=dict)  # of the alarms listed last time
    _current: dict[str, Alarm] = field(default_factory=dict)
    _sticky: set[str] = field(default_factory=set)

    @property
    def alarms(self) -> tuple[Alarm, ...]:
        return tuple(self._current.values())

    def review(
        self,
        state: HallState,
        now: float,
        online: Mapping[str, bool],
        online_since: Mapping[str, float],
        baseline: float,
    ) -> Review:
        found = conditions(state, self.rules, now, online, online_since, baseline)
        return self.apply(found, now, state.day)

    def apply(self, found: Iterable[Condition], now: float, day: str) -> Review:
        """Take the conditions found at `now` on hall day `day`; the alarms to list."""
        dropped = [alarm_id for alarm_id, ack in self.acks.items() if ack.day != day]
        for alarm_id in dropped:
            del self.acks[alarm_id]
        active: dict[str, Condition] = {c.id: c for c in found}
        for alarm_id in list(self.acks):
            if alarm_id not in active:
                del self.acks[alarm_id]  # its condition ended: a new occurrence alerts again
                dropped.append(alarm_id)
        listed: list[Alarm] = []
        raised: list[Alarm] = []
        for condition in active.values():
            since = condition.since
            if since is None:
                since = self._first_seen.setdefault(condition.id, now)
            ack = self.acks.get(condition.id)
            if condition.sticky and ack is not None:
                continue  # a bad rating that someone acknowledged: dealt with
            alarm = Alarm(
                condition.id,
                condition.kind,
                condition.level,
                condition.message,
                since,
                ack.by if ack else None,
                ack.at if ack else None,
            )
            listed.append(alarm)
            before = self._levels.get(condition.id)
            if before is None or LEVEL_RANK[condition.level] > LEVEL_RANK[before]:
                raised.append(alarm)
        for alarm_id in list(self._first_seen):
            if alarm_id not in active:
                del self._first_seen[alarm_id]
        listed.sort(key=lambda a: (-LEVEL_RANK[a.level], a.since, a.id))
        self._current = {a.id: a for a in listed}
        self._levels = {a.id: a.level for a in listed}
        self._sticky = {c.id for c in active.values() if c.sticky}
        return Review(tuple(listed), tuple(raised), tuple(dropped))

    def ack(self, alarm_id: str, by: str, now: float, day: str) -> tuple[Alarm, Ack]:
        """Acknowledge a listed alarm; raises KeyError when no such alarm is listed.

        Returns the alarm as acknowledged and the acknowledgement to store. Acknowledging an
        acknowledged alarm again keeps the first acknowledgement.
        """
        alarm = self._current[alarm_id]
        ack = self.acks.get(alarm_id) or Ack(by=by, at=now, day=day)
        self.acks[alarm_id] = ack
        acked = Alarm(alarm.id, alarm.kind, alarm.level, alarm.message, alarm.since, ack.by, ack.at)
        if alarm_id in self._sticky:
            del self._current[alarm_id]  # dealt with: no longer listed
            self._levels.pop(alarm_id, None)
        else:
            self._current[alarm_id] = acked
        return acked, ack
