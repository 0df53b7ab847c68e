"""A simulated day's profile (TOML): when the hall opens, who comes for what and when, how long
services take, who works at which window. Checked like the hall file: every error names the
file, the line and the key.

Arrivals per service are an inhomogeneous Poisson process: a base rate per hour, raised by a
morning and an afternoon peak (Gaussian bumps `peak_factor` times the base at their top).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from hall.contract.config_base import FileChecker, parse_toml, show
from hall.domain.config import HallConfig

_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
WINDOW_KINDS = ("window_pad", "caller")


@dataclass(frozen=True)
class ServiceLoad:
    code: str
    per_hour: float  # base arrival rate, outside the peaks
    service_min: float  # median time at the window, start to finish
    service_sigma: float  # lognormal spread of service times
    transfer_to: str | None = None  # where a transferred visit goes


@dataclass(frozen=True)
class Shift:
    windows: tuple[str, ...]
    start_s: int  # seconds of the day
    end_s: int
    lunch_s: int | None  # when its clerks pause for lunch, if they do


@dataclass(frozen=True)
class Appointments:
    per_hour: float
    slot_min: int
    services: tuple[str, ...]
    no_show_share: float


@dataclass(frozen=True)
class DayProfile:
    name: str
    day: date
    opens_s: int
    closes_s: int
    history_days: int
    morning_peak_s: int
    afternoon_peak_s: int
    peak_width_s: float
    peak_factor: float
    green_share: float
    walk_up_s: float
    no_show_share: float
    rating_share: float
    transfer_share: float
    gap_s: float
    pauses_per_day: int
    pause_min: float
    lunch_min: float
    recall_after_s: float
    recalls_before_no_show: int
    overtime_min: float
    services: tuple[ServiceLoad, ...]
    shifts: tuple[Shift, ...]
    appointments: Appointments | None

    def rate_per_s(self, service: ServiceLoad, second: float) -> float:
        """The arrival rate of a service at a second of the day (0 outside the hours)."""
        if not self.opens_s <= second < self.closes_s:
            return 0.0
        bumps = sum(
            math.exp(-0.5 * ((second - peak) / self.peak_width_s) ** 2)
            for peak in (self.morning_peak_s, self.afternoon_peak_s)
        )
        return service.per_hour / 3600.0 * (1.0 + (self.peak_factor - 1.0) * bumps)

    def peak_rate_per_s(self, service: ServiceLoad) -> float:
        """An upper bound of `rate_per_s` over the day (for thinning)."""
        return service.per_hour / 3600.0 * (1.0 + (self.peak_factor - 1.0) * 2.0)


_TOP = ("day", "arrivals", "citizens", "clerks", "services", "shifts", "appointments")


class _ProfileChecker(FileChecker):
    def clock(self, table: dict[str, Any], path: tuple[str | int, ...], key: str) -> int:
        value = self.present(table, path, key)
        match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise self.error((*path, key), f'expected a time "HH:MM", got {show(value)}')
        return int(match[1]) * 3600 + int(match[2]) * 60

    def number(
        self, table: dict[str, Any], path: tuple[str | int, ...], key: str, low: float, high: float
    ) -> float:
        return self.number_in(self.present(table, path, key), (*path, key), low, high)

    def count(
        self, table: dict[str, Any], path: tuple[str | int, ...], key: str, low: int, high: int
    ) -> int:
        return self.int_in(self.present(table, path, key), (*path, key), low, high)


def load_profile(
    text: str, name: str, hall: HallConfig, *, shifts_needed: bool = True
) -> DayProfile:
    """Check a profile's text against the hall it runs in; ConfigError names line and key.
    `hall plan` makes its own shifts, so it passes `shifts_needed=False`: a profile without
    `[[shifts]]` is then taken (any given are still checked)."""
    doc = parse_toml(text, name)
    check = _ProfileChecker(name, text)
    check.table(doc, (), _TOP)
    day = check.table(
        check.present(doc, (), "day"), ("day",), ("name", "date", "opens", "closes", "history_days")
    )
    arrivals = check.table(
        check.present(doc, (), "arrivals"),
        ("arrivals",),
        ("morning_peak", "afternoon_peak", "peak_width_min", "peak_factor", "green_share"),
    )
    citizens = check.table(
        doc.get("citizens", {}),
        ("citizens",),
        ("walk_up_s", "no_show_share", "rating_share", "transfer_share"),
    )
    clerks = check.table(
        doc.get("clerks", {}),
        ("clerks",),
        (
            "gap_s",
            "pauses_per_day",
            "pause_min",
            "lunch_min",
            "recall_after_s",
            "recalls_before_no_show",
            "overtime_min",
        ),
    )
    raw_date = check.present(day, ("day",), "date")
    # TOML's date-times are `datetime`, a kind of `date`: a day is asked for, not a moment.
    if isinstance(raw_date, datetime) or not isinstance(raw_date, date):
        raise check.error(
            ("day", "date"), f"expected a date such as 2026-11-17, got {show(raw_date)}"
        )
    opens = check.clock(day, ("day",), "opens")
    closes = check.clock(day, ("day",), "closes")
    if closes <= opens:
        raise check.error(("day", "closes"), "the hall must close after it opens")
    morning = check.clock(arrivals, ("arrivals",), "morning_peak")
    afternoon = check.clock(arrivals, ("arrivals",), "afternoon_peak")
    if afternoon < morning:
        raise check.error(
            ("arrivals", "afternoon_peak"), "the afternoon peak comes before the morning one"
        )
    # One peak may lie outside a short day's hours (a morning-only day keeps the afternoon
    # peak it is given); with both outside, the day has no peak: a mistake in the times.
    if not any(opens <= peak <= closes for peak in (morning, afternoon)):
        raise check.error(
            ("arrivals", "morning_peak"),
            f"both peaks lie outside the opening hours {clock_text(opens)}-{clock_text(closes)}",
        )
    services = _services(check, doc, hall)
    if not any(d.kind == "kiosk" for d in hall.devices):
        raise check.error(("services",), "the hall file has no kiosk to issue tickets")
    appointments = _appointments(check, doc, services)
    if not any(load.per_hour > 0 for load in services) and not (
        appointments is not None and appointments.per_hour > 0
    ):
        raise check.error(
            ("services",), "no one comes: every per_hour is 0 and no appointments are booked"
        )
    breaks = _Breaks(
        round(_opt(check, clerks, ("clerks",), "pauses_per_day", 2, 0, 20)),
        _opt(check, clerks, ("clerks",), "pause_min", 8, 0, 120),
        _opt(check, clerks, ("clerks",), "lunch_min", 40, 0, 180),
    )
    shifts = _shifts(check, doc, hall, (opens, closes), breaks, needed=shifts_needed)
    if shifts_needed:
        _served_by_shifts(check, hall, services, appointments, shifts)
    return DayProfile(
        name=check.nonempty_string(check.present(day, ("day",), "name"), ("day", "name")),
        day=raw_date,
        opens_s=opens,
        closes_s=closes,
        history_days=check.count(day, ("day",), "history_days", 0, 60)
        if "history_days" in day
        else 10,
        morning_peak_s=morning,
        afternoon_peak_s=afternoon,
        peak_width_s=60 * check.number(arrivals, ("arrivals",), "peak_width_min", 5, 240),
        peak_factor=check.number(arrivals, ("arrivals",), "peak_factor", 1, 10),
        green_share=_opt(check, arrivals, ("arrivals",), "green_share", 0.03, 0, 0.5),
        walk_up_s=_opt(check, citizens, ("citizens",), "walk_up_s", 30, 0, 600),
        no_show_share=_opt(check, citizens, ("citizens",), "no_show_share", 0.05, 0, 0.9),
        rating_share=_opt(check, citizens, ("citizens",), "rating_share", 0.6, 0, 1),
        transfer_share=_opt(check, citizens, ("citizens",), "transfer_share", 0.02, 0, 0.5),
        gap_s=_opt(check, clerks, ("clerks",), "gap_s", 15, 0, 600),
        pauses_per_day=breaks.per_day,
        pause_min=breaks.pause_min,
        lunch_min=breaks.lunch_min,
        recall_after_s=_opt(check, clerks, ("clerks",), "recall_after_s", 40, 5, 600),
        recalls_before_no_show=round(
            _opt(check, clerks, ("clerks",), "recalls_before_no_show", 2, 0, 10)
        ),
        overtime_min=_opt(check, clerks, ("clerks",), "overtime_min", 60, 0, 480),
        services=services,
        shifts=shifts,
        appointments=appointments,
    )


def _opt(
    check: _ProfileChecker,
    table: dict[str, Any],
    path: tuple[str | int, ...],
    key: str,
    default: float,
    low: float,
    high: float,
) -> float:
    return check.number(table, path, key, low, high) if key in table else float(default)


def _services(
    check: _ProfileChecker, doc: dict[str, Any], hall: HallConfig
) -> tuple[ServiceLoad, ...]:
    entries = check.entries(
        doc, "services", ("code", "per_hour", "service_min", "service_sigma", "transfer_to")
    )
    if not entries:
        raise check.error(("services",), "a profile needs at least one [[services]] entry")
    known = {s.code for s in hall.services}
    loads: list[ServiceLoad] = []
    for i, entry in enumerate(entries):
        path = ("services", i)
        code = check.present(entry, path, "code")
        if code not in known:
            raise check.error((*path, "code"), f"the hall file has no service {show(code)}")
        if any(load.code == code for load in loads):
            raise check.error((*path, "code"), f"service {code} is listed twice")
        transfer_to = entry.get("transfer_to")
        if transfer_to is not None and (transfer_to not in known or transfer_to == code):
            raise check.error(
                (*path, "transfer_to"),
                f"expected another service of the hall, got {show(transfer_to)}",
            )
        loads.append(
            ServiceLoad(
                code=str(code),
                per_hour=check.number(entry, path, "per_hour", 0, 1000),
                service_min=check.number(entry, path, "service_min", 0.2, 240),
                service_sigma=_opt(check, entry, path, "service_sigma", 0.5, 0, 2),
                transfer_to=transfer_to,
            )
        )
    codes = {load.code for load in loads}
    for i, load in enumerate(loads):
        if load.transfer_to is not None and load.transfer_to not in codes:
            raise check.error(
                ("services", i, "transfer_to"),
                f"service {load.transfer_to} has no [[services]] entry in this profile",
            )
    return tuple(loads)


@dataclass(frozen=True)
class _Breaks:
    """The clerks' pauses, as the profile's [clerks] gives them."""

    per_day: int
    pause_min: float
    lunch_min: float


def _served_by_shifts(
    check: _ProfileChecker,
    hall: HallConfig,
    services: tuple[ServiceLoad, ...],
    appointments: Appointments | None,
    shifts: tuple[Shift, ...],
) -> None:
    """Every service someone comes for is served by a window some shift works: else its
    tickets would never be called."""
    worked = {hall.window(window) for shift in shifts for window in shift.windows}
    served = {code for config in worked if config is not None for code in config.services}
    booked = set(appointments.services) if appointments and appointments.per_hour else set()
    for i, load in enumerate(services):
        if (load.per_hour > 0 or load.code in booked) and load.code not in served:
            raise check.error(
                ("services", i, "code"),
                f"no window a shift works serves {load.code} (the hall file's [[windows]]"
                " services): its tickets would never be called",
            )


def clock_text(second: int) -> str:
    """ "HH:MM" of a second of the day."""
    return f"{second // 3600:02d}:{second % 3600 // 60:02d}"


def _shifts(
    check: _ProfileChecker,
    doc: dict[str, Any],
    hall: HallConfig,
    hours: tuple[int, int],
    breaks: _Breaks,
    *,
    needed: bool,
) -> tuple[Shift, ...]:
    entries = check.entries(doc, "shifts", ("windows", "from", "to", "lunch"))
    opens, closes = hours
    if not entries and needed:
        raise check.error(("shifts",), "a profile needs at least one [[shifts]] entry")
    shifts: list[Shift] = []
    for i, entry in enumerate(entries):
        path: tuple[str | int, ...] = ("shifts", i)
        windows = check.present(entry, path, "windows")
        if not isinstance(windows, list) or not windows:
            raise check.error(
                (*path, "windows"), f"expected a list of window ids, got {show(windows)}"
            )
        for j, window in enumerate(windows):
            if not isinstance(window, str):
                raise check.error(
                    (*path, "windows", j), f'expected a window id as text ("1"), got {show(window)}'
                )
            if window in windows[:j]:
                raise check.error((*path, "windows", j), f"window {window} is listed twice")
            if hall.window(window) is None:
                raise check.error(
                    (*path, "windows", j), f"the hall file has no window {show(window)}"
                )
            if not any(d.window == window and d.kind in WINDOW_KINDS for d in hall.devices):
                raise check.error(
                    (*path, "windows", j),
                    f"window {window} has no window_pad or caller in the hall file to act for it",
                )
        start, end = check.clock(entry, path, "from"), check.clock(entry, path, "to")
        if end <= start:
            raise check.error((*path, "to"), "a shift must end after it begins")
        if start >= closes or end <= opens:
            raise check.error(
                (*path, "from"),
                f"the shift {clock_text(start)}-{clock_text(end)} lies outside the hall's"
                f" opening hours {clock_text(opens)}-{clock_text(closes)}",
            )
        lunch = check.clock(entry, path, "lunch") if "lunch" in entry else None
        lunch_min = breaks.lunch_min
        if lunch is not None and not start <= lunch <= end - lunch_min * 60:
            raise check.error(
                (*path, "lunch"),
                f"a lunch of {lunch_min:g} min at {clock_text(lunch)} does not fit in the shift"
                f" {clock_text(start)}-{clock_text(end)}",
            )
        away_min = breaks.per_day * breaks.pause_min + (lunch_min if lunch is not None else 0)
        if away_min * 60 >= end - start:
            raise check.error(
                (*path, "to"),
                f"the clerks' pauses ({breaks.per_day} of {breaks.pause_min:g} min) and lunch"
                f" would fill the whole shift {clock_text(start)}-{clock_text(end)}",
            )
        shift = Shift(tuple(str(w) for w in windows), start, end, lunch)
        for other in shifts:
            shared = set(other.windows) & set(shift.windows)
            if shared and other.start_s < end and start < other.end_s:
                raise check.error(
                    (*path, "windows"), f"window {min(shared)} is in two shifts at the same time"
                )
        shifts.append(shift)
    return tuple(shifts)


def _appointments(
    check: _ProfileChecker, doc: dict[str, Any], loads: tuple[ServiceLoad, ...]
) -> Appointments | None:
    if "appointments" not in doc:
        return None
    path = ("appointments",)
    table = check.table(
        doc["appointments"], path, ("per_hour", "slot_min", "services", "no_show_share")
    )
    services = check.present(table, path, "services")
    if not isinstance(services, list) or not services:
        raise check.error(
            (*path, "services"), f"expected a list of service codes, got {show(services)}"
        )
    known = {load.code for load in loads}
    for j, code in enumerate(services):
        if code not in known:
            raise check.error(
                (*path, "services", j),
                f"service {show(code)} has no [[services]] entry in this profile",
            )
    return Appointments(
        per_hour=check.number(table, path, "per_hour", 0, 500),
        slot_min=check.count(table, path, "slot_min", 5, 240),
        services=tuple(str(s) for s in services),
        no_show_share=_opt(check, table, path, "no_show_share", 0.1, 0, 1),
    )
