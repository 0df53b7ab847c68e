"""Erlang C: how many windows a queue needs, for calls arriving at random (Poisson) and served
for random lengths (exponential) by identical windows, first come first served.

`load` is the offered load in erlangs: arrivals per second × mean seconds at the window. It is
the steady state of a half hour that lasts; a peak that builds a queue needs more, which the
plan's simulation check finds.
"""

from __future__ import annotations

import math

__all__ = ["erlang_c", "service_level", "windows_needed"]

MAX_WINDOWS = 200


def erlang_c(windows: int, load: float) -> float:
    """The probability that an arrival has to wait, with `windows` serving `load` erlangs
    (1 when the windows cannot keep up)."""
    if load <= 0:
        return 0.0
    if windows <= load:
        return 1.0
    # Erlang B by its recurrence (stable for large numbers), then C from B.
    blocking = 1.0
    for k in range(1, windows + 1):
        blocking = load * blocking / (k + load * blocking)
    return windows * blocking / (windows - load * (1 - blocking))


def service_level(windows: int, rate_per_s: float, mean_service_s: float, wait_s: float) -> float:
    """The share of arrivals called within `wait_s` seconds."""
    load = rate_per_s * mean_service_s
    if load <= 0:
        return 1.0
    if windows <= load:
        return 0.0
    waiting = erlang_c(windows, load)
    return 1.0 - waiting * math.exp(-(windows - load) * wait_s / mean_service_s)


def windows_needed(rate_per_s: float, mean_service_s: float, share: float, wait_s: float) -> int:
    """The fewest windows that call `share` of arrivals within `wait_s` (0 with no arrivals)."""
    if rate_per_s <= 0:
        return 0
    windows = max(1, math.floor(rate_per_s * mean_service_s) + 1)
    while service_level(windows, rate_per_s, mean_service_s, wait_s) < share:
        windows += 1
        if windows > MAX_WINDOWS:
            raise ValueError(f"more than {MAX_WINDOWS} windows would be needed")
    return windows
