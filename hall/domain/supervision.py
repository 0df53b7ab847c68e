"""E-supervision (电子监察): alarms from the hall's state and the configured thresholds. Pure.

`conditions()` finds what is wrong right now and since when; `Supervisor` remembers who
acknowledged what, and reports alarms that were raised (new, or their level went up).

Every alarm has a stable id, so a page can follow it across snapshots:

- ``waiting:<service>``: people waiting for one service at or over yellow / orange / red;
- ``wait:<ticket>``: a waiting ticket older than ``wait_target_s``;
- ``service:<ticket>``: a visit at a window longer than ``service_limit_s``;
- ``paused:<window>``: a window paused longer than ``pause_limit_s``;
- ``device:<device>``: a device offline longer than ``device_offline_s``;
- ``rating:<ticket>``: a bad rating (1-2), listed until someone acknowledges it.

Besides its Chinese `message`, every alarm carries `details`: the figures the message is made
of (window, reason, minutes…, see `DETAILS`), so a page can word it in its own language.

An alarm is listed while its condition holds; once acknowledged it shows who did. An
acknowledgement is forgotten when its alarm's condition ends (so a new occurrence alerts
again), and at the end of the hall's day (ticket numbers start again each day). No alarm
carries personal data: ticket numbers, window and device ids, staff ids only.

Every alarm carries the time its cause happened (`cause_at`), read from the hall's state so
that a restarted hub, or a standby taking over, shows the same times: a ticket's issue for a
long wait, a visit's start, a window's pause, a rating's time, the moment the queue reached
its yellow count (the issue of the ticket still waiting that made it so). Only a device's
going offline is known from the hub's own presence (a device never heard from counts from
the hub's start). `since` is when the condition began: the cause plus its limit.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from zoneinfo import ZoneInfo

from .config import SupervisionRules
from .model import Ticket, rfc3339
from .ops_ratings import LEVEL_LABELS
from .state import HallState

Level = Literal["yellow", "orange", "red"]
Kind = Literal["waiting", "wait", "service", "paused", "device", "rating"]
KINDS: tuple[Kind, ...] = ("waiting", "wait", "service", "paused", "device", "rating")
LEVEL_RANK: dict[str, int] = {"yellow": 1, "orange": 2, "red": 3}
ESCALATE_FACTOR = 2  # a time limit exceeded twice over turns a yellow alarm orange


@dataclass(frozen=True)
class Condition:
    """Something the thresholds flag right now."""

    id: str
    kind: Kind
    level: Level
    message: str
    cause_at: float  # when its cause happened (a ticket's issue, a pause's start, a rating)
    since: float  # when the condition began: the cause, plus the limit of a timed one
    sticky: bool = False  # stays until acknowledged, then is no longer listed (bad ratings)
    details: Mapping[str, str | int | None] = field(default_factory=dict)  # see `DETAILS`


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
    cause_at: float
    acked_by: str | None = None
    acked_at: float | None = None
    details: Mapping[str, str | int | None] = field(default_factory=dict)  # see `DETAILS`

    def view(self, tz: ZoneInfo) -> dict[str, Any]:
        """The dashboard's alarm object."""
        return {
            "id": self.id,
            "kind": self.kind,
            "level": self.level,
            "message": self.message,
            "details": dict(self.details),
            "since": rfc3339(self.since, tz),
            "cause_at": rfc3339(self.cause_at, tz),
            "acked": self.acked_by is not None,
            "acked_by": self.acked_by,
            "acked_at": rfc3339(self.acked_at, tz),
        }


@dataclass(frozen=True)
class Review:
    alarms: tuple[Alarm, ...]  # listed now, most severe first, then oldest cause first
    raised: tuple[Alarm, ...] = ()  # new since the last review, or their level went up
    dropped_acks: tuple[str, ...] = ()  # acknowledgements forgotten: remove them from the store


# The figures each kind of alarm carries besides its Chinese `message`, so that a page words
# the alarm in its own language. Names are shown as the hall file gives them (`window_name`:
# the window's configured name, else "<id>号窗口"); `reason` is the clerk's own text.
DETAILS: dict[Kind, tuple[str, ...]] = {
    "waiting": ("service", "service_name", "waiting"),  # and `service_name_en` when set
    "wait": ("ticket", "service", "minutes"),
    "service": ("ticket", "window", "window_name", "minutes"),
    "paused": ("window", "window_name", "reason", "minutes"),
    "device": ("device", "device_kind", "minutes"),
    "rating": ("ticket", "rating", "window", "window_name", "staff"),
}


def _minutes(seconds: float) -> int:
    return max(1, round(seconds / 60))


def _timed_level(over_s: float, limit_s: int) -> Level:
    return "orange" if over_s >= ESCALATE_FACTOR * limit_s else "yellow"


def _window_name(state: HallState, window_id: str) -> str:
    configured = state.config.window(window_id)
    if configured is not None and configured.name:
        return configured.name
    return f"{window_id}号窗口"


def _add_timed(
    found: list[Condition],
    kind: Kind,
    key: str,
    began: float,
    now: float,
    limit_s: int,
    what: str,
    details: Mapping[str, str | int | None],
    after: str = "",
) -> None:
    """Flags `key` once it has lasted `limit_s`: "<what> <minutes> 分钟<after>"; its details
    get the minutes."""
    lasted = now - began
    if lasted >= limit_s:
        found.append(
            Condition(
                f"{kind}:{key}",
                kind,
                _timed_level(lasted, limit_s),
                f"{what} {_minutes(lasted)} 分钟{after}",
                cause_at=began,
                since=began + limit_s,
                details={**details, "minutes": _minutes(lasted)},
            )
        )


def _waiting_details(state: HallState, code: str, name: str, n: int) -> dict[str, str | int | None]:
    details: dict[str, str | int | None] = {"service": code, "service_name": name, "waiting": n}
    configured = state.config.service(code)
    if configured is not None and configured.name_en:
        details["service_name_en"] = configured.name_en  # the hall file's, when it gives one
    return details


def _count_reached(state: HallState, code: str, count: int) -> float:
    """When at least `count` people waited for service `code`, as the tickets still waiting
    tell: the issue of the `count`-th oldest (those who left since only make it earlier)."""
    waiting = state.waiting.get(code, {})
    oldest = heapq.nsmallest(
        min(len(waiting), max(1, count)), (t.issued_at for t in waiting.values())
    )
    return oldest[-1]


def _notable(state: HallState, rules: SupervisionRules, now: float) -> list[Ticket]:
    """The tickets that may raise an alarm, in order of arrival: waiting past the target, in
    service past the limit, rated badly. Found from the hall's indexes, never by sorting the
    whole day (this runs several times a second, and a busy hall has thousands by noon)."""
    found = {
        t.no: t
        for queue in state.waiting.values()
        for t in queue.values()
        if now - t.issued_at >= rules.wait_target_s
    }
    for t in state.serving.values():
        if t.started_at is not None and now - t.started_at >= rules.service_limit_s:
            found[t.no] = t
    found.update(state.rated_badly)
    return sorted(found.values(), key=lambda t: t.arrival)


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
            reached = _count_reached(state, service.code, rules.waiting_yellow)
            found.append(
                Condition(
                    f"waiting:{service.code}",
                    "waiting",
                    level,
                    f"{service.name} 等候 {n} 人",
                    cause_at=reached,
                    since=reached,
                    details=_waiting_details(state, service.code, service.name, n),
                )
            )
    for ticket in _notable(state, rules, now):
        if ticket.state == "waiting":
            _add_timed(
                found,
                "wait",
                ticket.no,
                ticket.issued_at,
                now,
                rules.wait_target_s,
                f"{ticket.no} 已等候",
                {"ticket": ticket.no, "service": ticket.service},
            )
        elif ticket.state == "serving" and ticket.started_at is not None:
            name = _window_name(state, ticket.window) if ticket.window else None
            _add_timed(
                found,
                "service",
                ticket.no,
                ticket.started_at,
                now,
                rules.service_limit_s,
                f"{ticket.no} 在{name or '窗口'}办理已",
                {"ticket": ticket.no, "window": ticket.window, "window_name": name},
            )
        if ticket.rated_badly and ticket.rating is not None:
            name = _window_name(state, ticket.window) if ticket.window else None
            staff = f" 工号 {ticket.staff}" if ticket.staff else ""
            # A rating stored before ratings kept their time: the visit's end is the closest.
            rated_at = ticket.rated_at or ticket.finished_at or ticket.issued_at
            found.append(
                Condition(
                    f"rating:{ticket.no}",
                    "rating",
                    "red",
                    f"{ticket.no} 差评「{LEVEL_LABELS[ticket.rating]}」({name or '窗口'}{staff})",
                    cause_at=rated_at,
                    since=rated_at,
                    sticky=True,
                    details={
                        "ticket": ticket.no,
                        "rating": ticket.rating,
                        "window": ticket.window,
                        "window_name": name,
                        "staff": ticket.staff,
                    },
                )
            )
    for window in sorted(state.windows.values(), key=lambda w: w.id):
        if window.state == "paused" and window.since is not None:
            reason = f"({window.paused_reason})" if window.paused_reason else ""
            name = _window_name(state, window.id)
            _add_timed(
                found,
                "paused",
                window.id,
                window.since,
                now,
                rules.pause_limit_s,
                f"{name} 暂停",
                {"window": window.id, "window_name": name, "reason": window.paused_reason or None},
                reason,
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
                    cause_at=offline_since,
                    since=offline_since + rules.device_offline_s,
                    details={
                        "device": device.id,
                        "device_kind": device.kind,
                        "minutes": _minutes(offline),
                    },
                )
            )
    return found


@dataclass
class Supervisor:
    """The alarms over time: acknowledgements, and what was raised since the last review."""

    rules: SupervisionRules
    acks: dict[str, Ack] = field(default_factory=dict)
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
        return self.apply(found, state.day)

    def apply(self, found: Iterable[Condition], day: str) -> Review:
        """Take the conditions found on hall day `day`; the alarms to list. Their times are
        the conditions' own (read from the hall's state), never when this supervisor saw them,
        so a restarted hub lists the same alarms with the same times."""
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
            ack = self.acks.get(condition.id)
            if condition.sticky and ack is not None:
                continue  # a bad rating that someone acknowledged: dealt with
            alarm = Alarm(
                condition.id,
                condition.kind,
                condition.level,
                condition.message,
                since=condition.since,
                cause_at=condition.cause_at,
                acked_by=ack.by if ack else None,
                acked_at=ack.at if ack else None,
                details=condition.details,
            )
            listed.append(alarm)
            before = self._levels.get(condition.id)
            if before is None or LEVEL_RANK[condition.level] > LEVEL_RANK[before]:
                raised.append(alarm)
        listed.sort(key=alarm_order)
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
        acked = replace(alarm, acked_by=ack.by, acked_at=ack.at)
        if alarm_id in self._sticky:
            del self._current[alarm_id]  # dealt with: no longer listed
            self._levels.pop(alarm_id, None)
        else:
            self._current[alarm_id] = acked
        return acked, ack

    def ack_kind(self, kind: str, by: str, now: float, day: str) -> list[tuple[Alarm, Ack]]:
        """Acknowledge every listed alarm of `kind` not yet acknowledged (none: an empty list)."""
        due = [a.id for a in self._current.values() if a.kind == kind and a.acked_by is None]
        return [self.ack(alarm_id, by, now, day) for alarm_id in due]


def alarm_order(alarm: Alarm) -> tuple[int, float, str]:
    """Most severe first, then the oldest cause first (then by id, so the order is stable)."""
    return (-LEVEL_RANK[alarm.level], alarm.cause_at, alarm.id)
