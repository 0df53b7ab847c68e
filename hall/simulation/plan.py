"""Staffing advice (`hall plan`): how many windows a day needs per half hour, and which
service each serves, to call a target share of citizens within a target wait.

First Erlang C (`erlang.py`) for every service and half hour, from the profile's arrival rate
(with the visits transferred in from other services) and its time per visit (the mean of its
lognormal service time, the walk up and the clerk's gap between visits). Erlang C assumes a
steady half hour; a peak leaves a queue for the next one. So the day is then simulated on its
own advice (`day.py`, the real pure core): a half hour whose tickets miss the target gets one
more window for its service furthest from it, and the day is simulated again, a few rounds at
most. The advice is for working windows: clerks' lunch and breaks are covered by relief.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any

from hall.domain.config import DeviceConfig, HallConfig, WindowConfig

from .day import DayResult, simulate
from .erlang import service_level, windows_needed
from .profile import DayProfile, Shift

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
        return f"{100 * self.share:g}% within {self.wait_s / 60:g} min"


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
    erlang: dict[str, int]  # windows per service by Erlang C
    windows: dict[str, int]  # the advice, after the simulation checks
    issued: int = 0  # simulated tickets taken in the half hour
    within: int = 0  # of those, called within the target wait

    @property
    def share(self) -> float | None:
        return self.within / self.issued if self.issued else None


@dataclass
class Plan:
    target: Target
    profile: DayProfile
    slots: list[Slot]
    visit_s: dict[str, float]
    rounds: int = 0
    windows: list[WindowConfig] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return all(s.share is None or s.share >= self.target.share for s in self.slots)


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


def erlang_slots(profile: DayProfile, target: Target) -> list[Slot]:
    visit = visit_seconds(profile)
    slots: list[Slot] = []
    for start in range(profile.opens_s, profile.closes_s, SLOT_S):
        rates = slot_rates(profile, start)
        erlang = {
            code: windows_needed(rate / 3600, visit[code], target.share, target.wait_s)
            for code, rate in rates.items()
        }
        slots.append(Slot(start, rates, erlang, dict(erlang)))
    return slots


def planned_windows(profile: DayProfile, slots: list[Slot]) -> list[tuple[str, str, int]]:
    """(window id, its service, its rank among that service's windows): as many windows per
    service as its busiest half hour needs, numbered from 1 in the profile's service order."""
    out: list[tuple[str, str, int]] = []
    for s in profile.services:
        for rank in range(1, max((slot.windows[s.code] for slot in slots), default=0) + 1):
            out.append((str(len(out) + 1), s.code, rank))
    return out


def planned_day(
    hall: HallConfig, profile: DayProfile, slots: list[Slot]
) -> tuple[HallConfig, DayProfile, list[WindowConfig]]:
    """The hall with the advised windows (one pad each) and the profile with their shifts:
    the n-th window of a service works the half hours that need at least n."""
    windows = planned_windows(profile, slots)
    configs = [WindowConfig(w, (code,)) for w, code, _rank in windows]
    devices = tuple(d for d in hall.devices if d.window is None) + tuple(
        DeviceConfig(id=f"plan-pad-{w}", kind="window_pad", window=w) for w, _c, _r in windows
    )
    shifts: list[Shift] = []
    for w, code, rank in windows:
        start: int | None = None
        for slot in [*slots, None]:
            working = slot is not None and slot.windows[code] >= rank
            if working and start is None and slot is not None:
                start = slot.start_s
            if not working and start is not None:
                end = slot.start_s if slot is not None else profile.closes_s
                shifts.append(Shift((w,), start, end, None))
                start = None
    planned_hall = dataclasses.replace(hall, windows=tuple(configs), devices=devices, users=())
    planned_profile = dataclasses.replace(profile, shifts=tuple(shifts), pauses_per_day=0)
    return planned_hall, planned_profile, configs


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


def make_plan(hall: HallConfig, profile: DayProfile, target: Target, seed: int = 1) -> Plan:
    """The advice, checked and corrected by simulating the day on it (see the docstring)."""
    slots = erlang_slots(profile, target)
    plan = Plan(target, profile, slots, visit_seconds(profile))
    for round_no in range(1, ROUNDS + 1):
        planned_hall, planned_profile, plan.windows = planned_day(hall, profile, slots)
        shares = _score(slots, simulate(planned_hall, planned_profile, seed), target)
        plan.rounds = round_no
        missed = [i for i, s in enumerate(slots) if s.share is not None and s.share < target.share]
        if not missed or round_no == ROUNDS:
            break
        for i in missed:
            worst = min(shares[i], key=lambda code: shares[i][code])
            slots[i].windows[worst] += 1
    return plan


def plan_json(plan: Plan) -> dict[str, Any]:
    def clock(second: int) -> str:
        return f"{second // 3600:02d}:{second % 3600 // 60:02d}"

    return {
        "profile": plan.profile.name,
        "target": {"share": plan.target.share, "wait_s": plan.target.wait_s},
        "met": plan.met,
        "rounds": plan.rounds,
        "visit_s": {code: round(s, 1) for code, s in plan.visit_s.items()},
        "windows": [{"id": w.id, "services": list(w.services)} for w in plan.windows],
        "half_hours": [
            {
                "start": clock(s.start_s),
                "end": clock(s.start_s + SLOT_S),
                "arrivals_per_hour": {c: round(r, 1) for c, r in s.rates.items()},
                "erlang_windows": s.erlang,
                "windows": s.windows,
                "open_windows": sum(s.windows.values()),
                "erlang_service_level": {
                    c: round(
                        service_level(s.windows[c], r / 3600, plan.visit_s[c], plan.target.wait_s),
                        3,
                    )
                    for c, r in s.rates.items()
                },
                "simulated": {
                    "issued": s.issued,
                    "within_target": s.within,
                    "share": None if s.share is None else round(s.share, 3),
                },
            }
            for s in plan.slots
        ],
    }
