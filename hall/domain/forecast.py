"""The wait estimate: the current queue played out under the hall's own calling policy.

Every window with a clerk signed in takes the next ticket by the policy of `queue.py` (green
channel, then appointments inside their slot, then normal tickets; the window's services in
its order of preference; arrival order) whenever it comes free, and keeps it for the learned
occupancy of that service at that window (`occupancy.py`: call to next call). Into the queue
come those expected to overtake: arrivals by time of day learned from the hall's history
(`arrivals.py`) and the day's booked appointments at their slots (weighted by how many of
today's bookings came). Windows work less when they usually pause (lunch), as the earlier
days' share of working window time by time of day says. A ticket's estimate is its
predicted call minus now.

A new ticket is a "ghost" at the end of its class in its service: it is called like any other
but takes no window time, so it moves nobody; its call is what a ticket taken now would get.
A window already busy comes free when its ticket in hand is expected to be done, given how
long it has already taken; a paused one after the usual length of a pause with its reason.
A service no open window serves gets no estimate, with the reason `no_window_open`.
Arrivals are played at the expected moments, or drawn at random (`draws`): the hall
(`state.py`) averages a few drawn days while the queue is short enough, since more arrivals
than usual delay a shared window's other services more than fewer hasten them.

Playing the queue out costs time in proportion to the queue, so a forecast is kept and reused
for a while (`Forecaster`): tickets taken since are placed after the last forecast ones at the
pace the forecast found for their service; it is made again after enough changes or time.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ParamSpec

from .catalogue import Appointment
from .model import Ticket, Window
from .queue import NO_TARGETS, Targets, effective_rank, pick_service, urgency, waiting_since

NO_WINDOW_OPEN = "no_window_open"
# The queue is longer than what is played out (`HORIZON_S`): no number is given, since any
# would only be the horizon itself, whatever the ticket's place.
BEYOND_HORIZON = "beyond_horizon"
MIN_PAUSE_LEFT_S = 60.0
HORIZON_S = 16 * 3600.0  # nothing is played out further ahead than this
GHOST_ARRIVAL = 1e12  # after every real arrival; expected arrivals come after the ghosts
CLASSES = ("green", "appointment", "normal")
DEFAULT_SHOW_SHARE = 0.9  # of booked appointments, until today's bookings say otherwise

P = ParamSpec("P")
Occupy = Callable[[str, str | None], float]  # (service, window) -> seconds


@dataclass(frozen=True)
class Estimate:
    """A wait estimate: seconds, or None with the reason there is none."""

    eta_s: int | None
    reason: str | None = None


@dataclass(slots=True)  # thousands per play-out: made and freed faster without a __dict__
class _Item:
    arrival: float
    service: str
    rank: int  # effective class from the slot on (queue.PRIORITY_RANK)
    slot_start: float | None
    no: str | None  # a real ticket's number; None for an expected arrival
    ghost: tuple[str, str] | None = None  # (service, class) of a ghost
    weight: float = 1.0  # an expected appointment counts as the share that comes
    since: float = 0.0  # when its wait began: weighed against its service's longest wait
    taken: bool = False  # an appointment called in the play-out (left in its bucket's heaps)


# An appointment in a bucket's heaps: (key, the order it was added in, the item).
_Keyed = tuple[float, int, "_Item"]


@dataclass
class _Bucket:
    """One service's queue: green and normal each in arrival order; the appointments in
    heaps, so that the first one inside its slot and the first one still early are found
    without going through all of them at every call (a play-out's moments only go forward:
    an appointment whose slot began stays inside it)."""

    green: list[_Item] = field(default_factory=list)
    normal: list[_Item] = field(default_factory=list)
    heads: list[int] = field(default_factory=lambda: [0, 0])  # next green, next normal
    inside: list[_Keyed] = field(default_factory=list)  # by arrival: slot begun
    early_by_slot: list[_Keyed] = field(default_factory=list)  # by slot start: not yet
    early: list[_Keyed] = field(default_factory=list)  # by arrival: not yet (or moved inside)
    added: int = 0  # appointments added: on equal keys, the first added comes first

    def add(self, item: _Item) -> None:
        if item.rank == 0:
            self.green.append(item)
        elif item.slot_start is not None or item.rank == 1:
            self.added += 1
            if item.slot_start is None:
                heapq.heappush(self.inside, (item.arrival, self.added, item))
            else:
                heapq.heappush(self.early_by_slot, (item.slot_start, self.added, item))
                heapq.heappush(self.early, (item.arrival, self.added, item))
        else:
            self.normal.append(item)

    def green_head(self) -> _Item | None:
        return self.green[self.heads[0]] if self.heads[0] < len(self.green) else None

    def normal_head(self) -> _Item | None:
        return self.normal[self.heads[1]] if self.heads[1] < len(self.normal) else None


@dataclass
class Forecast:
    """One play-out: the predicted call of every waiting ticket and of a new one per class."""

    made_at: float
    calls: dict[str, float]
    ghosts: dict[tuple[str, str], float]
    pace: dict[str, float]  # seconds between two calls of a service, near its queue's end
    served: frozenset[str]  # services some open window serves
    # The latest predicted call of a waiting ticket per (service, class): one taken now of
    # that class goes after it.
    last_calls: dict[tuple[str, str], float] = field(default_factory=dict)


def _appointment_pick(bucket: _Bucket, now: float) -> tuple[_Item | None, _Item | None]:
    """The first appointment inside its slot, and the first one still early (normal). Items
    called, or moved inside, are dropped from the heads of the heaps on the way."""
    slots = bucket.early_by_slot
    while slots and slots[0][0] <= now:  # its slot has begun: inside from now on
        _slot, added, item = heapq.heappop(slots)
        heapq.heappush(bucket.inside, (item.arrival, added, item))
    inside = bucket.inside
    while inside and inside[0][2].taken:
        heapq.heappop(inside)
    early = bucket.early
    while early:
        head = early[0][2]
        if not (head.taken or (head.slot_start is not None and head.slot_start <= now)):
            break
        heapq.heappop(early)
    return (inside[0][2] if inside else None), (early[0][2] if early else None)


def select(
    buckets: Mapping[str, _Bucket],
    preference: Sequence[str],
    now: float,
    targets: Targets = NO_TARGETS,
) -> _Item | None:
    """The next item for a window with these services, by `queue.py`'s policy; removed."""
    green = [
        (service, head)
        for service in preference
        if (bucket := buckets.get(service)) is not None and (head := bucket.green_head())
    ]
    if green:
        service, item = _pick(green, preference, now, targets)
        buckets[service].heads[0] += 1
        return item
    inside: list[tuple[str, _Item]] = []
    normal: list[tuple[str, _Item]] = []
    for service in preference:
        bucket = buckets.get(service)
        if bucket is None:
            continue
        # A queue that never had an appointment (most walk-in queues) skips their heaps.
        first_inside, early = _appointment_pick(bucket, now) if bucket.added else (None, None)
        if first_inside is not None:
            inside.append((service, first_inside))
        head = bucket.normal_head()
        if early is not None and (head is None or early.arrival < head.arrival):
            head = early
        if head is not None:
            normal.append((service, head))
    if inside:
        service, item = _pick(inside, preference, now, targets)
        item.taken = True
        return item
    if not normal:
        return None
    service, item = _pick(normal, preference, now, targets)
    bucket = buckets[service]
    if item is bucket.normal_head():
        bucket.heads[1] += 1
    else:
        item.taken = True
    return item


def _pick(
    heads: Sequence[tuple[str, _Item]], preference: Sequence[str], now: float, targets: Targets
) -> tuple[str, _Item]:
    """The class's service head the window calls (`queue.pick_service`)."""
    if len(heads) == 1 or not targets:
        # Without wait targets every urgency is 0 and the heads (in the window's preference
        # order) go first to last: `pick_service` would answer 0. Most picks are these.
        return heads[0]
    options = [
        (preference.index(service), urgency(now - item.since, targets.get(service)))
        for service, item in heads
    ]
    return heads[pick_service(options)]


def _item_of(ticket: Ticket, now: float) -> _Item:
    return _Item(
        ticket.arrival,
        ticket.service,
        effective_rank(ticket, now),
        ticket.slot_start,
        ticket.no,
        since=waiting_since(ticket),
    )


def _poisson(draws: random.Random, mean: float) -> int:
    """A Poisson count: Knuth's method for small means, a rounded normal for large ones."""
    if mean > 30:
        return max(0, round(draws.gauss(mean, math.sqrt(mean))))
    limit, k, product = math.exp(-mean), 0, draws.random()
    while product > limit:
        k += 1
        product *= draws.random()
    return k


# At most this many expected arrivals are played out: past it, each stands for several (its
# weight), so that a burst of arrivals (a queue at the door when the hall opens, read as the
# rate of the hour to come) costs the forecast no more than a busy day does.
MAX_EXPECTED_ITEMS = 4000


def _expected_item_steps(
    expected: Mapping[str, Sequence[tuple[float, float, float, str]]],
    draws: random.Random | None,
) -> Generator[None, None, dict[str, list[tuple[float, _Item]]]]:
    """Expected arrivals per service as items, from (from, to, count, class) pieces in
    moments since the epoch: drawn at random (Poisson) with `draws`, else at the moments
    their running count passes a half. In steps of `SETUP_CHUNK` items."""
    total = sum(count for pieces in expected.values() for _s, _e, count, _k in pieces)
    thinning = min(1.0, MAX_EXPECTED_ITEMS / total) if total > 0 else 1.0
    weight = 1.0 / thinning
    out: dict[str, list[tuple[float, _Item]]] = {}
    serial = 0
    for service, pieces in expected.items():
        running = {"normal": 0.5, "green": 0.5}
        items: list[tuple[float, _Item]] = []
        for start, end, full_count, klass in pieces:
            count = full_count * thinning
            rank = 0 if klass == "green" else 2
            if draws is not None:
                for _ in range(_poisson(draws, count)):
                    serial += 1
                    if not serial % SETUP_CHUNK:
                        yield
                    at = draws.uniform(start, end)
                    item = _Item(
                        GHOST_ARRIVAL + serial, service, rank, None, None, weight=weight, since=at
                    )
                    items.append((at, item))
                continue
            before = running[klass]
            after = before + count
            k = int(before)
            while k + 1 <= after:
                k += 1
                at = start + (end - start) * (k - before) / count
                serial += 1
                if not serial % SETUP_CHUNK:
                    yield
                item = _Item(
                    GHOST_ARRIVAL + serial, service, rank, None, None, weight=weight, since=at
                )
                items.append((at, item))
            running[klass] = after
        items.sort(key=lambda pair: pair[0])
        out[service] = items
    return out


# A play-out pauses after this many calls played (a fraction of a millisecond), so that one
# made off the request path (`hall/hub/forecasts.py`) lets requests in between its slices.
# A step is a small part of the 0.5 ms slice the hub gives a forecast at a time: so many
# calls played, or tickets and expected arrivals set up (about 0.15 ms on a slow machine;
# at 50 calls a step, 0.4 ms, and slices overran to 1.5 ms).
STEPS_PER_SLICE = 20
SETUP_CHUNK = 100

Steps = Generator[None, None, "Forecast"]


def run_steps(steps: Steps) -> Forecast:
    """Runs a play-out's steps to the end and gives its forecast."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            forecast: Forecast = done.value
            return forecast


def play_out_steps(
    now: float,
    waiting: Iterable[Ticket],
    windows: Mapping[str, Window],
    window_services: Mapping[str, Sequence[str]],
    in_hand: Mapping[str, Ticket],
    occupy: Occupy,
    expected: Mapping[str, Sequence[tuple[float, float, float, str]]],
    appointments: Iterable[Appointment],
    show_share: float,
    pause_s: Callable[[str | None], float],
    remaining: Callable[[str, str, float], float],
    working: Callable[[float], float] = lambda at: 1.0,
    draws: random.Random | None = None,
    wait_targets: Targets = NO_TARGETS,
) -> Steps:
    """Play the hall's queue out from `now` (see the module's docstring); with `draws`, the
    expected arrivals and bookings come at random, as on a real day. A generator: each step
    plays `STEPS_PER_SLICE` calls or sets up `SETUP_CHUNK` tickets or expected arrivals; its
    value is the forecast (`run_steps`, `play_out`)."""
    buckets: dict[str, _Bucket] = {s: _Bucket() for s in _all_services(window_services)}
    open_ids = [w for w, win in windows.items() if win.state != "closed" and window_services.get(w)]
    served = frozenset(s for w in open_ids for s in window_services[w])
    targets = 0  # the tickets and ghosts still to be called; those no window serves never are
    # Tickets already ordered by arrival within each class keep the heads' order right.
    for n, ticket in enumerate(sorted(waiting, key=lambda t: t.arrival), 1):
        buckets.setdefault(ticket.service, _Bucket()).add(_item_of(ticket, now))
        targets += ticket.service in served
        if not n % SETUP_CHUNK:
            yield
    for service in served:
        bucket = buckets.setdefault(service, _Bucket())
        for klass in CLASSES:
            rank = {"green": 0, "appointment": 1, "normal": 2}[klass]
            slot = now if klass == "appointment" else None
            bucket.add(_Item(GHOST_ARRIVAL, service, rank, slot, None, (service, klass), since=now))
            targets += 1
    pending = yield from _expected_item_steps(
        {s: p for s, p in expected.items() if s in served}, draws
    )
    for booked in appointments:
        # A booking not yet checked in is expected at its slot, counted as the share of
        # today's bookings that came (or coming with that chance, drawn).
        if booked.service in served and booked.slot_end > now:
            if draws is not None and draws.random() >= show_share:
                continue
            at = max(now, booked.slot_start)
            expected_visit = _Item(
                GHOST_ARRIVAL + at, booked.service, 1, booked.slot_start, None, since=at
            )
            expected_visit.weight = 1.0 if draws is not None else show_share
            pending.setdefault(booked.service, []).append((at, expected_visit))
    for arrivals in pending.values():
        arrivals.sort(key=lambda pair: pair[0])
    cursor = dict.fromkeys(pending, 0)

    heap: list[tuple[float, str]] = []
    for w in open_ids:
        win = windows[w]
        hand = in_hand.get(w)
        free_at = now
        if win.state == "paused":
            # Back after the usual length of a pause with its reason; one that has gone on
            # longer than usual is expected back in a quarter of that.
            since = win.since if win.since is not None else now
            usual = pause_s(win.paused_reason)
            free_at = max(since + usual, now + max(MIN_PAUSE_LEFT_S, usual / 4))
        if hand is not None:
            began = hand.called_at if hand.called_at is not None else now
            free_at = max(free_at, now + remaining(hand.service, w, now - began))
        heap.append((free_at, w))
    heapq.heapify(heap)

    calls: dict[str, float] = {}
    ghosts: dict[tuple[str, str], float] = {}
    last_calls: dict[str, list[float]] = {}
    last_of_class: dict[tuple[str, str], float] = {}
    limit = now + HORIZON_S
    # Only this play-out's own values (the caller's copies of the hall at `now`) and the
    # (slowly learned) occupancy are read, so the steps may be spread over time.
    countdown = STEPS_PER_SLICE
    while heap and targets:
        countdown -= 1
        if not countdown:
            countdown = STEPS_PER_SLICE
            yield
        at, w = heapq.heappop(heap)
        if at > limit:
            break
        preference = window_services[w]
        for service in preference:  # the expected arrivals until now join their queues
            arriving = pending.get(service)
            if arriving:
                i = cursor[service]
                while i < len(arriving) and arriving[i][0] <= at:
                    buckets[service].add(arriving[i][1])
                    i += 1
                cursor[service] = i
        item = select(buckets, preference, at, wait_targets)
        if item is None:
            upcoming = [
                pending[s][cursor[s]][0]
                for s in preference
                if s in pending and cursor[s] < len(pending[s])
            ]
            if upcoming:
                heapq.heappush(heap, (max(min(upcoming), at + 1.0), w))
            continue
        if item.ghost is not None:
            ghosts[item.ghost] = at
            targets -= 1
            heapq.heappush(heap, (at, w))
            continue
        if item.no is not None:
            calls[item.no] = at
            targets -= 1
            klass = _class_of(item)
            last_of_class[(item.service, klass)] = at
        last_calls.setdefault(item.service, []).append(at)
        # A window works less when the hall's windows usually pause (lunch): its tickets
        # take longer by the share of the time it is expected to be away.
        heapq.heappush(heap, (at + occupy(item.service, w) * item.weight / working(at), w))
    pace = {s: _pace(s, last_calls.get(s, []), open_ids, window_services, occupy) for s in served}
    return Forecast(now, calls, ghosts, pace, served, last_of_class)


def _played(steps: Callable[P, Steps]) -> Callable[P, Forecast]:
    def played(*args: P.args, **kwargs: P.kwargs) -> Forecast:
        return run_steps(steps(*args, **kwargs))

    return played


play_out = _played(play_out_steps)  # the play-out made at once


def _class_of(item: _Item) -> str:
    """The class a ticket was taken in, as a new ticket's (`Forecaster.new_call`)."""
    if item.rank == 0:
        return "green"
    return "appointment" if item.slot_start is not None or item.rank == 1 else "normal"


def _all_services(window_services: Mapping[str, Sequence[str]]) -> set[str]:
    return {s for services in window_services.values() for s in services}


def _pace(
    service: str,
    calls: list[float],
    open_ids: Sequence[str],
    window_services: Mapping[str, Sequence[str]],
    occupy: Occupy,
) -> float:
    """Seconds between two calls of the service near the end of the play-out: from the last
    calls when there are enough, else from the windows that serve it."""
    if len(calls) >= 4:
        recent = calls[-8:]
        spread = recent[-1] - recent[0]
        if spread > 0:
            return spread / (len(recent) - 1)
    rate = sum(
        1.0 / (occupy(service, w) * len(window_services[w]))
        for w in open_ids
        if service in window_services[w]
    )
    return 1.0 / rate if rate > 0 else 0.0


# A forecast is made again after a minute, or after eight changes to the hall; a long queue
# (whose waits are hours) is played out again less often: after a tenth of a second of age
# and one change per twenty-five people waiting.
REFRESH_S = 60.0
REFRESH_S_PER_WAITING = 0.1
MIN_CHANGES = 8
CHANGES_PER_WAITING = 1 / 25


@dataclass
class Forecaster:
    """The forecast in use, and the tickets taken since it was made.

    Made at once when it is due (`current`), or, `deferred` (the hub), made off the request
    path: a due forecast is then only `wanted`, the one in use goes on serving (with the
    tickets taken since placed after it) until the hub `install`s the new one, which was
    played out from the hall as it was at `begin`. Only the first forecast, and one whose
    served services are no longer the hall's (a window opened or closed for a service), are
    still made at once: no estimate may count on a window that is not there."""

    forecast: Forecast | None = None
    changes: int = 0
    stale: bool = True
    taken_since: dict[tuple[str, str], int] = field(default_factory=dict)
    placed: dict[str, float] = field(default_factory=dict)  # taken since: predicted call
    deferred: bool = False
    wanted: bool = False  # deferred: a forecast is due, for the hub to make
    generation: int = 0  # forecasts made or begun; a begun one made stale by another is dropped
    _last_placed: dict[tuple[str, str], float] = field(default_factory=dict)  # per class
    # The tickets taken since `begin` (number, (service, class)), in order; None when no
    # forecast is being made.
    _taken_while_made: list[tuple[str, tuple[str, str]]] | None = None

    def changed(self, moves_others: bool = False) -> None:
        """The hall changed; a change that moves many (a ticket put before others, a window
        opened or closed) makes the forecast stale at once."""
        self.changes += 1
        if moves_others:
            self.stale = True

    def due(self, now: float, waiting: int) -> bool:
        forecast = self.forecast
        return (
            forecast is None
            or self.stale
            or now < forecast.made_at
            or now - forecast.made_at > max(REFRESH_S, waiting * REFRESH_S_PER_WAITING)
            or self.changes > max(MIN_CHANGES, waiting * CHANGES_PER_WAITING)
        )

    def current(
        self,
        now: float,
        waiting: int,
        make: Callable[[], Forecast],
        served_now: frozenset[str] | None = None,
    ) -> Forecast:
        forecast = self.forecast
        if forecast is not None and not self.due(now, waiting):
            return forecast
        if (
            self.deferred
            and forecast is not None
            and now >= forecast.made_at
            and (served_now is None or served_now == forecast.served)
        ):
            self.wanted = True
            return forecast
        self.begin()
        return self.install(self.generation, make())

    def begin(self) -> int:
        """A forecast of the hall as it is now is being made: the changes from here on count
        against it. Gives its generation, for `install`."""
        self.generation += 1
        self.changes, self.stale, self.wanted = 0, False, False
        self._taken_while_made = []
        return self.generation

    def install(self, generation: int, forecast: Forecast) -> Forecast:
        """The forecast begun as `generation` is made: it is the one in use, unless another
        was begun since (that one will be). The tickets taken while it was made are placed
        after its own, in the order they were taken."""
        taken = self._taken_while_made
        if generation != self.generation or taken is None:
            return self.forecast if self.forecast is not None else forecast
        self.forecast = forecast
        self.taken_since, self.placed, self._last_placed = {}, {}, {}
        self._taken_while_made = None
        for no, (service, klass) in taken:
            self._place(forecast, no, service, klass)
        return forecast

    def new_call(self, forecast: Forecast, service: str, klass: str) -> float | None:
        """When a ticket of this class taken now would be called: after the ones of its
        class taken since the forecast, and never before one placed earlier (the drawn
        play-outs' mean may put the class's end a little before its last ticket's call)."""
        key = (service, klass)
        base = forecast.ghosts.get(key)
        if base is None:
            return None
        call = base + self.taken_since.get(key, 0) * forecast.pace.get(service, 0.0)
        return max(call, forecast.last_calls.get(key, call), self._last_placed.get(key, call))

    def taken(self, no: str, service: str, klass: str) -> None:
        """A ticket was taken: it goes after the ones taken before it since the forecast."""
        if self._taken_while_made is not None:
            self._taken_while_made.append((no, (service, klass)))
        if self.forecast is None or self.stale:
            return
        self._place(self.forecast, no, service, klass)

    def _place(self, forecast: Forecast, no: str, service: str, klass: str) -> None:
        key = (service, klass)
        call = self.new_call(forecast, service, klass)
        if call is not None:
            self.placed[no] = call
            self._last_placed[key] = call
        self.taken_since[key] = self.taken_since.get(key, 0) + 1

    def ticket_call(self, forecast: Forecast, no: str) -> float | None:
        called = forecast.calls.get(no)
        return called if called is not None else self.placed.get(no)


def estimate_at(call: float | None, service: str, forecast: Forecast, now: float) -> Estimate:
    if service not in forecast.served:
        return Estimate(None, NO_WINDOW_OPEN)
    if call is None:
        return Estimate(None, BEYOND_HORIZON)
    return Estimate(max(0, round(call - now)))


def drawn_steps(
    one: Callable[[random.Random | None], Steps], runs: int, draws: random.Random
) -> Steps:
    """One play-out at the expected arrivals (`runs` ≤ 1), or the mean of `runs` with
    arrivals drawn from `draws`."""
    if runs <= 1:
        return (yield from one(None))
    made = []
    for _ in range(runs):
        made.append((yield from one(draws)))
    return averaged(made)


def averaged(forecasts: Sequence[Forecast]) -> Forecast:
    """The mean of several play-outs of the same moment (drawn arrivals)."""
    if len(forecasts) == 1:
        return forecasts[0]
    first = forecasts[0]

    def mean_of(maps: Iterable[Mapping[Any, float]]) -> dict[Any, float]:
        totals: dict[Any, list[float]] = {}
        for values in maps:
            for key, value in values.items():
                totals.setdefault(key, []).append(value)
        return {key: sum(v) / len(v) for key, v in totals.items()}

    return Forecast(
        first.made_at,
        mean_of(f.calls for f in forecasts),
        mean_of(f.ghosts for f in forecasts),
        mean_of(f.pace for f in forecasts),
        first.served,
        mean_of(f.last_calls for f in forecasts),
    )
