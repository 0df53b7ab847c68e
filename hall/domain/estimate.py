"""Estimated wait (智能引导): honest about shared windows and closed ones.

The naive estimate (position × mean service time ÷ windows) is wrong when windows are shared,
at opening, after a pause and at peaks. This one:
- learns the service time per service from finished tickets (exponentially weighted mean,
  seeded by the configured default until tickets have been measured);
- counts only open windows serving the service (a paused window still counts: it will resume;
  a closed one does not);
- splits a shared window between its services in proportion to their waiting counts, so a
  window serving A and B gives A most of its time when most of the crowd waits for A.
If no window serving the service is open (before opening), every configured window serving it
is counted as if open: the estimate then says what the wait will be once the hall opens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

EWMA_WEIGHT = 0.2  # weight of the newest measurement
MAX_PLAUSIBLE_SERVICE_S = 4 * 3600  # longer "services" are forgotten windows, not data


@dataclass
class ServiceTimes:
    """Learned mean service time per service (seconds)."""

    default_s: float
    means: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def mean(self, service: str) -> float:
        return self.means.get(service, self.default_s)

    def learn(self, service: str, service_s: float) -> None:
        if service_s <= 0 or service_s > MAX_PLAUSIBLE_SERVICE_S:
            return
        count = self.counts.get(service, 0)
        if count == 0:
            self.means[service] = service_s
        else:
            self.means[service] = (1 - EWMA_WEIGHT) * self.mean(service) + EWMA_WEIGHT * service_s
        self.counts[service] = count + 1


def window_capacity(
    service: str,
    window_services: Mapping[str, Sequence[str]],
    open_windows: set[str],
    waiting: Mapping[str, int],
) -> float:
    """How many windows' worth of serving the service gets now (shared windows split)."""
    serving = [w for w, svcs in window_services.items() if service in svcs]
    counted = [w for w in serving if w in open_windows] or serving
    capacity = 0.0
    for w in counted:
        svcs = window_services[w]
        demand = sum(waiting.get(s, 0) for s in svcs)
        if demand == 0:
            capacity += 1.0 / len(svcs)
        else:
            # A window gives each service a share of its time in proportion to who waits,
            # but never less than an equal tenth, so an emptying queue still moves.
            share = waiting.get(service, 0) / demand
            capacity += max(share, 0.1 / len(svcs))
    return capacity


def eta_seconds(
    ahead: int,
    service: str,
    times: ServiceTimes,
    window_services: Mapping[str, Sequence[str]],
    open_windows: set[str],
    waiting: Mapping[str, int],
) -> int:
    """Estimated seconds until a ticket with `ahead` people before it is called."""
    capacity = window_capacity(service, window_services, open_windows, waiting)
    if capacity <= 0:
        # No window serves this service at all: say a long wait, never a false "now".
        capacity = 0.1
    # The people ahead, plus on average half a service for a window to come free.
    return round((max(ahead, 0) + 0.5) * times.mean(service) / capacity)
