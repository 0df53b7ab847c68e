"""Service times learned per service: start to finish of each visit, the mean the hub stores
and shows (`mean_service_s`), and the prior of each window's time per ticket that the wait
estimate learns (`occupancy.py`; the estimate itself is `forecast.py`'s).

An exponentially weighted mean, seeded by the configured default: the first measurements are
averaged with it, so one very short first visit does not replace it.
"""

from __future__ import annotations

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
        # The first measurements are averaged with the configured default (weights 1/2, 1/3,
        # …) before the running weight takes over: one very short first visit moves the mean
        # halfway, it does not replace the default.
        weight = max(EWMA_WEIGHT, 1.0 / (count + 2))
        self.means[service] = (1 - weight) * self.mean(service) + weight * service_s
        self.counts[service] = count + 1
