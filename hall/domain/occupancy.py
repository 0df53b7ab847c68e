"""How long a window is taken by one ticket of a service: from its call to the window's next
call (walk-up, the visit, the clerk's gap; a no-show's recalls), learned per service and per
window.

Start → finish alone leaves out the walk-up, the clerk's gap and the time a no-show holds the
window, and that is what a waiting citizen waits through. The estimate is robust: each sample
is clipped to a band around the median of the samples (a lunch break taken without pausing, a
window left alone, a very short first visit move it a little, never replace it), and a few
pseudo-samples of the prior keep it near the configured or learned service time until the
day has real measurements. A window's own figure leans on its service's until it has its own.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .model import Ticket

KEPT_SAMPLES = 100  # the newest samples per service, and per (service, window)
PRIOR_WEIGHT = 3.0  # the prior counts as this many samples
WINDOW_WEIGHT = 5.0  # a window's figure counts its service's as this many samples
CLIP_FACTOR = 4.0  # samples outside [median / 4, median × 4] are clipped to the band
MIN_FOR_MEDIAN = 5
# A window that called nobody for this long after a visit ended was idle, not occupied: the
# visit's sample ends at its finish plus the clerk's usual gap.
IDLE_AFTER_S = 180.0
DEFAULT_GAP_S = 20.0
MIN_LONGER = 5  # learned visits longer than the one in hand needed to tell what it has left
# How long a pause lasts is learned per reason (a lunch is not a short break), from a usual
# ten minutes worth two pauses.
USUAL_PAUSE_S = 600.0
PAUSE_PRIOR_WEIGHT = 2.0


def _robust_mean(samples: Sequence[float], prior: float, prior_weight: float) -> float:
    """The mean of the samples clipped to a band around their median (around the prior while
    they are few), shrunk toward the prior."""
    center = statistics.median(samples) if len(samples) >= MIN_FOR_MEDIAN else prior
    low, high = center / CLIP_FACTOR, center * CLIP_FACTOR
    total, count = prior * prior_weight, prior_weight
    for sample in samples:
        total += min(max(sample, low), high)
        count += 1
    return total / count


@dataclass
class _Marker:
    """The ticket a window called last, while its occupancy is still being measured."""

    service: str
    called_at: float
    finished_at: float | None = None


@dataclass
class Occupancy:
    """Learned window occupancy per service and per (service, window), in seconds."""

    samples: dict[str, deque[float]] = field(default_factory=dict)
    by_window: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    gap_s: float = DEFAULT_GAP_S  # the clerks' usual gap between a finish and the next call
    pauses: dict[str, tuple[float, int]] = field(default_factory=dict)  # reason: (total, n)
    _markers: dict[str, _Marker] = field(default_factory=dict)
    _cache: dict[tuple[str, str | None, float], float] = field(default_factory=dict)

    # ----- reading --------------------------------------------------------------------------
    def seconds(self, service: str, window: str | None, prior_s: float) -> float:
        """The expected occupancy of a ticket of `service` at `window` (None: any window)."""
        key = (service, window, prior_s)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        service_s = _robust_mean(self.samples.get(service, deque()), prior_s, PRIOR_WEIGHT)
        value = service_s
        if window is not None:
            own = self.by_window.get((service, window))
            if own:
                value = _robust_mean(own, service_s, WINDOW_WEIGHT)
        self._cache[key] = value
        return value

    def pause_s(
        self, reason: str | None, earlier: Mapping[str, tuple[float, int]] | None = None
    ) -> float:
        """How long a pause with this reason usually lasts: today's and the earlier days'
        pauses with that reason, around the usual length of every pause."""
        known = dict(earlier or {})
        for key, (total, count) in self.pauses.items():
            before = known.get(key, (0.0, 0))
            known[key] = (before[0] + total, before[1] + count)
        all_total = sum(t for t, _n in known.values())
        all_count = sum(n for _t, n in known.values())
        usual = (all_total + USUAL_PAUSE_S * PAUSE_PRIOR_WEIGHT) / (all_count + PAUSE_PRIOR_WEIGHT)
        total, count = known.get(reason or "", (0.0, 0))
        return (total + usual * PAUSE_PRIOR_WEIGHT) / (count + PAUSE_PRIOR_WEIGHT)

    def window_changed(
        self, before: str, since: float | None, after: str, at: float, reason: str | None = None
    ) -> None:
        """A window went from state `before` (since `since`, paused for `reason`) to `after`."""
        if since is None or at <= since or not (before == "paused" and after == "open"):
            return
        total, count = self.pauses.get(reason or "", (0.0, 0))
        self.pauses[reason or ""] = (total + at - since, count + 1)

    def remaining(self, service: str, window: str, elapsed: float, prior_s: float) -> float:
        """How much longer a ticket in hand for `elapsed` seconds holds the window: the mean
        of what the learned visits that lasted longer had left (a visit that has gone on long
        is often a long one); with too few of them, at least half a usual visit."""
        usual = self.seconds(service, window, prior_s)
        own = self.by_window.get((service, window))
        samples: Iterable[float] = own if own else self.samples.get(service, deque())
        longer = [s - elapsed for s in samples if s > elapsed]
        if len(longer) >= MIN_LONGER:
            return sum(longer) / len(longer)
        return max(usual - elapsed, usual / 2)

    # ----- learning -------------------------------------------------------------------------
    def learn(self, service: str, window: str, seconds: float) -> None:
        if seconds <= 0:
            return
        self.samples.setdefault(service, deque(maxlen=KEPT_SAMPLES)).append(seconds)
        self.by_window.setdefault((service, window), deque(maxlen=KEPT_SAMPLES)).append(seconds)
        for key in [k for k in self._cache if k[0] == service]:
            del self._cache[key]

    def called(self, window: str, service: str, at: float) -> None:
        """A window called a ticket: the previous one's occupancy ends here."""
        marker = self._markers.get(window)
        if marker is not None:
            if marker.finished_at is not None and at - marker.finished_at > IDLE_AFTER_S:
                end = marker.finished_at + self.gap_s
            else:
                end = at
                if marker.finished_at is not None:
                    gap = max(0.0, at - marker.finished_at)
                    self.gap_s = 0.9 * self.gap_s + 0.1 * gap
            self.learn(marker.service, window, end - marker.called_at)
        self._markers[window] = _Marker(service, at)

    def ended(self, window: str, at: float) -> None:
        """The ticket in hand finished, went away unseen or was sent elsewhere."""
        marker = self._markers.get(window)
        if marker is not None and marker.finished_at is None:
            marker.finished_at = at

    def stopped(self, window: str) -> None:
        """The window paused or closed: the time until its next call is no occupancy."""
        marker = self._markers.pop(window, None)
        if marker is not None and marker.finished_at is not None:
            self.learn(marker.service, window, marker.finished_at + self.gap_s - marker.called_at)

    def replay(self, tickets: Iterable[Ticket]) -> None:
        """Learn from a day's tickets as recorded (a hub loading the day again)."""
        calls = sorted(
            (t.called_at, t.window, t.service, t.finished_at)
            for t in tickets
            if t.called_at is not None and t.window is not None
        )
        for called_at, window, service, finished_at in calls:
            assert window is not None
            self.called(window, service, called_at)
            if finished_at is not None:
                self.ended(window, finished_at)
