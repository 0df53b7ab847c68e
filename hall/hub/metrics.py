"""A small Prometheus registry: counters, gauges and histograms in the text exposition format."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

Labels = tuple[tuple[str, str], ...]
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    inner = ",".join(
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in labels
    )
    return "{" + inner + "}"


@dataclass
class Counter:
    name: str
    help: str
    values: dict[Labels, float] = field(default_factory=lambda: defaultdict(float))

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        self.values[tuple(sorted(labels.items()))] += amount

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        lines += [f"{self.name}{_labels(k)} {v:g}" for k, v in sorted(self.values.items())]
        return lines


@dataclass
class Gauge:
    """A value read at scrape time from a callback returning {labels: value}: a gauge, or a
    counter kept elsewhere as a plain number (`kind="counter"`)."""

    name: str
    help: str
    read: Callable[[], dict[Labels, float]]
    kind: str = "gauge"

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]
        lines += [f"{self.name}{_labels(k)} {v:g}" for k, v in sorted(self.read().items())]
        return lines


@dataclass
class Histogram:
    name: str
    help: str
    buckets: tuple[float, ...] = LATENCY_BUCKETS
    counts: dict[Labels, list[int]] = field(default_factory=dict)
    sums: dict[Labels, float] = field(default_factory=lambda: defaultdict(float))

    def observe(self, value: float, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        counts = self.counts.setdefault(key, [0] * (len(self.buckets) + 1))
        counts[bisect.bisect_left(self.buckets, value)] += 1
        self.sums[key] += value

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        for key, counts in sorted(self.counts.items()):
            running = 0
            for bound, count in zip((*self.buckets, float("inf")), counts, strict=True):
                running += count
                le = "+Inf" if bound == float("inf") else f"{bound:g}"
                lines.append(f"{self.name}_bucket{_labels((*key, ('le', le)))} {running}")
            lines.append(f"{self.name}_sum{_labels(key)} {self.sums[key]:g}")
            lines.append(f"{self.name}_count{_labels(key)} {running}")
        return lines


@dataclass
class Registry:
    metrics: list[Counter | Gauge | Histogram] = field(default_factory=list)

    def counter(self, name: str, help: str, *, labelled: bool = False) -> Counter:
        """A counter; one without labels is shown as 0 from the start, not only once it has
        counted something (an alert on its growth needs a first value to grow from)."""
        metric = Counter(name, help)
        if not labelled:
            metric.values[()] = 0.0
        self.metrics.append(metric)
        return metric

    def gauge(self, name: str, help: str, read: Callable[[], dict[Labels, float]]) -> Gauge:
        metric = Gauge(name, help, read)
        self.metrics.append(metric)
        return metric

    def counter_read(self, name: str, help: str, read: Callable[[], float]) -> Gauge:
        """A counter whose total is kept by its owner and read at scrape time."""
        metric = Gauge(name, help, lambda: {(): float(read())}, kind="counter")
        self.metrics.append(metric)
        return metric

    def histogram(self, name: str, help: str) -> Histogram:
        metric = Histogram(name, help)
        self.metrics.append(metric)
        return metric

    def render(self) -> str:
        lines: list[str] = []
        for metric in self.metrics:
            lines += metric.render()
        return "\n".join(lines) + "\n"
