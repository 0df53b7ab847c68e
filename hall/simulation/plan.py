"""Staffing advice (`hall plan`): which of the hall's windows to open in each half hour, each
serving the services the hall file lists for it, to call a target share of citizens within a
target wait; never more windows than the hall has.

First pooled Erlang C (`pooling.py`) for every half hour, from the profile's arrival rates
(with the visits transferred in and the appointments that come) and each service's time per
visit (the mean of its lognormal service time, the walk up and the clerk's gap between
visits): the fewest of the hall's windows such that every group of services has as many open
windows serving it as Erlang C asks for the group's arrivals together (and no window closed
for a single half hour between two it works). Erlang C assumes a
steady half hour; a peak leaves a queue for the next one. So the day is then simulated on its
own advice (`day.py`, the real pure core and its calling policy at shared windows): a half
hour whose tickets miss the target gets one more of the hall's windows, one serving its
service furthest from the target, and the day is simulated again, a few rounds at most. A
half hour that misses with every window serving its services open is out of reach: the plan
says so, with the share the simulation reached. When no window of the hall file serves one
of the profile's services, its lists cannot be used, and every window serves every service.
The advice is for working windows: clerks' lunch and breaks are covered by relief.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any

from hall.domain.config import DeviceConfig, HallConfig, WindowConfig

from .day import DayResult, simulate
from .erlang import MAX_WINDOWS, service_level, windows_needed
from .pooling import choose_windows, pooled_lists, uncovered
from .profile import DayProfile, Shift, clock_text

SLOT_S = 1800  # the advice is per half hour
ROUNDS = 4  # simulation checks at most
SAMPLES_PER_SLOT = 30  # points to average a half hour's arrival rate over
_TARGET = re.compile(
    r"\s*(?P<share>\d+(?:\.\d+)?)\s*%\s*within\s+(?P<wait>\d+(?:\.\d+)?)\s*"
    r"(?P<unit>min|minutes?|s|seconds?)\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Target:
    share: float  # 0-1
    wait_s: float

    def __str__(self) -> str:
        return f"{100 * self.share:g}% within {wait_text(self.wait_s)}"


def wait_text(wait_s: float) -> str:
    """A wait as people say it: "15 min", "2.5 min", under a minute "30 s"."""
    if wait_s < 60:
        return f"{round(wait_s, 1):g} s"
    return f"{round(wait_s / 60, 2):g} min"


def percent(share: float) -> str:
    """A share as a whole percentage, halves rounded up; the table and the summary lines
    use this one rounding of the exact share."""
    return f"{math.floor(100 * share + 0.5 + 1e-9):d}%"


def parse_target(text: str) -> Target:
    """ "80% within 15 min" (or "90% within 600 s"); ValueError saying what is accepted."""
    match = _TARGET.fullmatch(text)
    if match is None:
        raise ValueError(f'expected a share and a wait such as "80% within 15 min", got "{text}"')
    share = float(match["share"]) / 100
    wait = float(match["wait"]) * (60 if match["unit"].lower().startswith("m") else 1)
    if not 0 < share < 1:
        raise ValueError(f"the share must be above 0% and below 100%, got {match['share']}%")
    if not 0 < wait <= 4 * 3600:
        raise ValueError(f"the wait must be above 0 and at most 4 hours, got {match['wait']}")
    return Target(share, wait)


@dataclass
class Slot:
    """One half hour of the day."""

    start_s: int  # seconds of the day
    rates: dict[str, float]  # arrivals per hour per service (transfers in included)
    # Windows per service by Erlang C, each service alone (None: more than `MAX_WINDOWS`).
    erlang: dict[str, int | None]
    pooled: int  # windows by Erlang C for all its arrivals pooled on shared windows
    open: list[str]  # the advice: the hall's windows to open, after the simulation checks
    erlang_met: bool  # the windows first chosen meet the pooled conditions (`pooling.py`)
    every_window: bool = False  # every window serving one of its services is open
    issued: int = 0  # simulated tickets taken in the half hour
    within: int = 0  # of those, called within the target wait

    @property
    def share(self) -> float | None:
        return self.within / self.issued if self.issued else None

    def met(self, target: Target) -> bool:
        return self.share is None or self.share >= target.share


@dataclass
class Plan:
    target: Target
    profile: DayProfile
    slots: list[Slot]
    visit_s: dict[str, float]
    lists: list[WindowConfig]  # the hall's windows with the services the advice gives them
    hall_windows: int
    uncovered: list[str] = field(default_factory=list)  # services no window of the hall serves
    rounds: int = 0
    windows: list[WindowConfig] = field(default_factory=list)  # those open at some time

    @property
    def met(self) -> bool:
        return all(s.met(self.target) for s in self.slots)

    def serving(self, slot: Slot) -> dict[str, int]:
        """Open windows serving each service (a shared one counts for each); 0 for a service
        without arrivals in the half hour."""
        lists = {w.id: w.services for w in self.lists}
        return {
            code: sum(1 for w in slot.open if code in lists[w]) if rate > 0 else 0
            for code, rate in slot.rates.items()
        }


def visit_seconds(profile: DayProfile) -> dict[str, float]:
    """A window's time per visit of each service: the mean service time (lognormal: median
    × e^(σ²/2)), the walk up and the gap before the next call."""
    return {
        s.code: s.service_min * 60 * math.exp(s.service_sigma**2 / 2)
        + profile.walk_up_s
        + profile.gap_s
        for s in profile.services
    }


def slot_rates(profile: DayProfile, start_s: int) -> dict[str, float]:
    """Arrivals per hour per service in a half hour, with the visits transferred in."""
    step = SLOT_S / SAMPLES_PER_SLOT
    own = {
        s.code: 3600
        * sum(profile.rate_per_s(s, start_s + (i + 0.5) * step) for i in range(SAMPLES_PER_SLOT))
        / SAMPLES_PER_SLOT
        for s in profile.services
    }
    rates = dict(own)
    for s in profile.services:
        if s.transfer_to in rates:
            rates[s.transfer_to] += own[s.code] * profile.transfer_share
    if profile.appointments is not None:
        booked = profile.appointments
        for code in booked.services:
            if code in rates:
                share = booked.per_hour * (1 - booked.no_show_share) / len(booked.services)
                rates[code] += share
    return rates


def _useful(lists: list[WindowConfig], slot: Slot) -> list[str]:
    """The windows serving at least one of the half hour's services with arrivals."""
    return [w.id for w in lists if any(slot.rates.get(c, 0) > 0 for c in w.services)]


def _alone(rate_per_s: float, visit_s: float, target: Target) -> int | None:
    """Windows one service needs alone by Erlang C; None when more than any hall has."""
    try:
        return windows_needed(rate_per_s, visit_s, target.share, target.wait_s)
    except ValueError:
        return None


def erlang_slots(profile: DayProfile, target: Target, lists: list[WindowConfig]) -> list[Slot]:
    """Each half hour's windows by the pooled conditions (`pooling.py`), from the hall's."""
    visit = visit_seconds(profile)
    slots: list[Slot] = []
    kept: tuple[str, ...] = ()
    for start in range(profile.opens_s, profile.closes_s, SLOT_S):
        rates = slot_rates(profile, start)
        per_s = {code: rate / 3600 for code, rate in rates.items()}
        pool = choose_windows(lists, per_s, visit, target.share, target.wait_s, kept)
        erlang = {code: _alone(rate, visit[code], target) for code, rate in per_s.items()}
        slots.append(Slot(start, rates, erlang, pool.pooled, list(pool.open), pool.met))
        kept = pool.open
    bridge(slots, lists)
    return slots


def bridge(slots: list[Slot], lists: list[WindowConfig]) -> None:
    """A window is not closed for a single half hour between two it works: open it there
    too (filling one gap makes no new one)."""
    order = {w.id: i for i, w in enumerate(lists)}
    for before, slot, after in zip(slots, slots[1:], slots[2:], strict=False):
        bridged = (set(before.open) & set(after.open)) - set(slot.open)
        slot.open = sorted([*slot.open, *bridged], key=order.__getitem__)
    for slot in slots:
        slot.every_window = set(_useful(lists, slot)) <= set(slot.open)


def planned_day(
    hall: HallConfig, profile: DayProfile, lists: list[WindowConfig], slots: list[Slot]
) -> tuple[HallConfig, DayProfile, list[WindowConfig]]:
    """The hall with the advised windows (one pad each) and the profile with their shifts:
    each window works the runs of half hours it is open in."""
    used = {w for slot in slots for w in slot.open}
    configs = [w for w in lists if w.id in used]
    devices = tuple(d for d in hall.devices if d.window is None) + tuple(
        DeviceConfig(id=f"plan-pad-{w.id}", kind="window_pad", window=w.id) for w in configs
    )
    shifts = [
        Shift((w.id,), start, end, None)
        for w in configs
        for start, end in open_runs(profile, slots, w.id)
    ]
    planned_hall = dataclasses.replace(hall, windows=tuple(configs), devices=devices, users=())
    planned_profile = dataclasses.replace(profile, shifts=tuple(shifts), pauses_per_day=0)
    return planned_hall, planned_profile, configs


def open_runs(profile: DayProfile, slots: list[Slot], window: str) -> list[tuple[int, int]]:
    """(from, to) seconds of the day: the runs of half hours `window` is open in."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for slot in [*slots, None]:
        working = slot is not None and window in slot.open
        if working and start is None and slot is not None:
            start = slot.start_s
        if not working and start is not None:
            runs.append((start, slot.start_s if slot is not None else profile.closes_s))
            start = None
    return runs


def _score(slots: list[Slot], result: DayResult, target: Target) -> dict[int, dict[str, float]]:
    """Fill each half hour's simulated share; return each one's share per service."""
    per_service: dict[int, dict[str, list[int]]] = {}
    for slot in slots:
        slot.issued = slot.within = 0
    for record in result.tickets.values():
        second = record.issued_at - result.day_start
        index = int((second - result.profile.opens_s) // SLOT_S)
        if not 0 <= index < len(slots):
            continue
        waited = None if record.called_at is None else record.called_at - record.issued_at
        ok = waited is not None and waited <= target.wait_s
        slots[index].issued += 1
        slots[index].within += ok
        counts = per_service.setdefault(index, {}).setdefault(record.service, [0, 0])
        counts[0] += 1
        counts[1] += ok
    return {
        i: {code: within / issued for code, (issued, within) in services.items()}
        for i, services in per_service.items()
    }


def _extra_window(lists: list[WindowConfig], slot: Slot, shares: dict[str, float]) -> str | None:
    """A closed window to add where a half hour missed: one serving its service furthest
    from the target (that service highest in its preference, then the fewest services, then
    the hall file's order), else any serving one of its services; None when every window
    serving its services is open."""
    for code in sorted(shares, key=lambda c: shares[c]):
        closed = [
            (w.services.index(code), len(w.services), i, w.id)
            for i, w in enumerate(lists)
            if code in w.services and w.id not in slot.open
        ]
        if closed:
            return min(closed)[3]
    # Its missing tickets' services have every window open: one helping with the others.
    return next((w for w in _useful(lists, slot) if w not in slot.open), None)


def make_plan(hall: HallConfig, profile: DayProfile, target: Target, seed: int = 1) -> Plan:
    """The advice, checked and corrected by simulating the day on it (see the docstring)."""
    codes = [s.code for s in profile.services]
    missing = uncovered(hall.windows, codes)
    lists = pooled_lists(hall.windows, codes) if missing else list(hall.windows)
    slots = erlang_slots(profile, target, lists)
    plan = Plan(target, profile, slots, visit_seconds(profile), lists, len(hall.windows), missing)
    order = {w.id: i for i, w in enumerate(lists)}
    for round_no in range(1, ROUNDS + 1):
        planned_hall, planned_profile, plan.windows = planned_day(hall, profile, lists, slots)
        shares = _score(slots, simulate(planned_hall, planned_profile, seed), target)
        plan.rounds = round_no
        missed = [i for i, s in enumerate(slots) if not s.met(target)]
        if not missed or round_no == ROUNDS:
            break
        added = False
        for i in missed:
            extra = _extra_window(lists, slots[i], shares.get(i, {}))
            if extra is not None:
                slots[i].open = sorted([*slots[i].open, extra], key=order.__getitem__)
                added = True
        bridge(slots, lists)  # a window added in one half hour may leave a gap of one
        if not added:
            break  # every window that could help is open where the target is missed
    return plan


def _pooled_level(plan: Plan, slot: Slot) -> float:
    """Erlang C's share within the target for the half hour's windows as one pool."""
    rate = sum(slot.rates.values()) / 3600
    if rate <= 0:
        return 1.0
    mean = sum(r / 3600 * plan.visit_s[c] for c, r in slot.rates.items()) / rate
    return service_level(len(slot.open), rate, mean, plan.target.wait_s)


def plan_json(plan: Plan) -> dict[str, Any]:
    slots = plan.slots
    return {
        "profile": plan.profile.name,
        "target": {"share": plan.target.share, "wait_s": plan.target.wait_s},
        "met": plan.met,
        "target_met": plan.met,
        "rounds": plan.rounds,
        "hall_windows": plan.hall_windows,
        "service_lists": "pooled" if plan.uncovered else "hall file",
        "uncovered_services": plan.uncovered,
        "visit_s": {code: round(s, 1) for code, s in plan.visit_s.items()},
        "windows": [
            {
                "id": w.id,
                "services": list(w.services),
                "open": [
                    {"from": clock_text(a), "to": clock_text(b)}
                    for a, b in open_runs(plan.profile, slots, w.id)
                ],
            }
            for w in plan.windows
        ],
        "unreachable": [
            {
                "start": clock_text(s.start_s),
                "end": clock_text(s.start_s + SLOT_S),
                "share": s.share,
            }
            for s in slots
            if not s.met(plan.target) and s.every_window
        ],
        "half_hours": [_half_hour(plan, s) for s in slots],
    }


def _half_hour(plan: Plan, s: Slot) -> dict[str, Any]:
    serving = plan.serving(s)
    return {
        "start": clock_text(s.start_s),
        "end": clock_text(s.start_s + SLOT_S),
        "arrivals_per_hour": {c: round(r, 1) for c, r in s.rates.items()},
        "erlang_windows": s.erlang,
        "erlang_pooled": s.pooled if s.pooled <= MAX_WINDOWS else None,
        "erlang_met": s.erlang_met,
        "windows": serving,
        "open_windows": len(s.open),
        "window_ids": list(s.open),
        "erlang_service_level": {
            c: round(service_level(serving[c], r / 3600, plan.visit_s[c], plan.target.wait_s), 3)
            for c, r in s.rates.items()
        },
        "erlang_pooled_service_level": round(_pooled_level(plan, s), 3),
        "target_met": s.met(plan.target),
        "every_window_open": s.every_window,
        "simulated": {
            "issued": s.issued,
            "within_target": s.within,
            "share": None if s.share is None else round(s.share, 3),
        },
    }
