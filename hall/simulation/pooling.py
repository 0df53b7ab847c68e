"""Which of the hall's windows to open for a half hour: pooled windows, never more than the
hall has, each serving the services its own list in the hall file gives it.

A window serving several services pools their queues, so the windows a group of services
needs together are fewer than the sum of what each needs alone (Erlang C on the pooled
arrival rate, with the mix's mean time per visit). The condition used here: for every group
of the services with arrivals, the open windows that serve at least one of them are at least
as many as Erlang C asks for the group pooled. The single services in it say each service has
enough windows that can call it; the whole set says the open windows carry the whole load;
the groups between catch a bottleneck (two services that only the same two windows serve).

The windows are chosen greedily: the one that helps the most unmet groups first (on a tie a
window already open in the half hour before, then the hall file's order); then each window
the conditions hold without is closed again. When even every window that serves one of the
services cannot meet them, every such window is advised and the advice says the target is
out of reach. Pure: values in, values out.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from hall.domain.config import WindowConfig

from .erlang import windows_needed

__all__ = ["Pool", "choose_windows", "pooled_lists", "uncovered"]

ALL_GROUPS_UP_TO = 8  # services with arrivals; beyond, single services, pairs and the whole
UNREACHABLE = 10**6  # what a group needs when Erlang C finds no number of windows


@dataclass(frozen=True)
class Pool:
    """The advice for one half hour."""

    open: tuple[str, ...]  # window ids, in the hall file's order
    met: bool  # the conditions hold with these windows
    pooled: int  # Erlang C for all the half hour's arrivals pooled on shared windows


def _groups(count: int) -> list[int]:
    """Bit masks of the groups of services checked (see `ALL_GROUPS_UP_TO`)."""
    full = (1 << count) - 1
    if count <= ALL_GROUPS_UP_TO:
        return list(range(1, full + 1))
    singles = [1 << i for i in range(count)]
    pairs = [(1 << i) | (1 << j) for i, j in itertools.combinations(range(count), 2)]
    return [*singles, *pairs, full]


def _need(
    codes: Sequence[str],
    rates: Mapping[str, float],
    visit_s: Mapping[str, float],
    share: float,
    wait_s: float,
) -> int:
    rate = sum(rates[c] for c in codes)
    mean = sum(rates[c] * visit_s[c] for c in codes) / rate
    try:
        return windows_needed(rate, mean, share, wait_s)
    except ValueError:
        return UNREACHABLE


def choose_windows(
    windows: Sequence[WindowConfig],
    rates_per_s: Mapping[str, float],
    visit_s: Mapping[str, float],
    share: float,
    wait_s: float,
    keep: Collection[str] = (),
) -> Pool:
    """The fewest of `windows` that meet the conditions above for these arrivals (per
    second per service) and times per visit; `keep`: the windows open the half hour before."""
    demand = [c for c, r in rates_per_s.items() if r > 0 and c in visit_s]
    if not demand:
        return Pool((), True, 0)
    bit = {code: 1 << i for i, code in enumerate(demand)}
    masks = {w.id: sum(bit.get(c, 0) for c in set(w.services)) for w in windows}
    order = {w.id: i for i, w in enumerate(windows)}
    groups = _groups(len(demand))
    need = {
        g: _need([c for c in demand if g & bit[c]], rates_per_s, visit_s, share, wait_s)
        for g in groups
    }
    pooled = need[groups[-1]]
    touch = {w: frozenset(g for g in groups if masks[w] & g) for w in masks}
    count = dict.fromkeys(groups, 0)
    chosen: list[str] = []
    useful = [w.id for w in windows if masks[w.id]]
    while short := frozenset(g for g in groups if count[g] < need[g]):
        scored = [(len(touch[w] & short), w) for w in useful if w not in chosen]
        scored = [(gain, w) for gain, w in scored if gain]
        if not scored:
            return Pool(tuple(useful), False, pooled)
        _gain, best = max(scored, key=lambda s: (s[0], s[1] in keep, -order[s[1]]))
        chosen.append(best)
        for g in touch[best]:
            count[g] += 1
    # Close again what the conditions hold without: the last chosen, not kept, first.
    for w in sorted(reversed(chosen), key=lambda w: w in keep):
        if all(count[g] > need[g] for g in touch[w]):
            chosen.remove(w)
            for g in touch[w]:
                count[g] -= 1
    return Pool(tuple(sorted(chosen, key=order.__getitem__)), True, pooled)


def uncovered(windows: Sequence[WindowConfig], codes: Collection[str]) -> list[str]:
    """The services among `codes` that no window serves, in the order given."""
    served = {c for w in windows for c in w.services}
    return [c for c in codes if c not in served]


def pooled_lists(windows: Sequence[WindowConfig], codes: Sequence[str]) -> list[WindowConfig]:
    """The hall's windows each serving every one of `codes`: the same ids and number, each
    window's own services first, then the others, starting one further along for each
    window so that no service is everywhere the last called."""
    out: list[WindowConfig] = []
    for i, window in enumerate(windows):
        own = [c for c in window.services if c in codes]
        turn = i % len(codes) if codes else 0
        rest = [c for c in [*codes[turn:], *codes[:turn]] if c not in own]
        out.append(WindowConfig(window.id, (*own, *rest), window.name))
    return out
