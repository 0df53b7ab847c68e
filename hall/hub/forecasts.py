"""The wait forecast, made off the request path.

A forecast plays the whole queue out (`hall/domain/forecast.py`): tens of milliseconds with
a few hundred people waiting, more with thousands. Made inside a request, it held up that
request and every one behind it. The hub's hall state therefore defers it
(`Forecaster.deferred`): a request that finds the forecast due goes on with the one in use
and marks a new one wanted; this task then plays it out in slices of at most `SLICE_S`,
letting the event loop serve requests between them (for `GIVE_WAY` times as long as each
slice took), and installs it when done.

Its cost is bounded too: after a forecast that took `t` of the loop's time, the next one
starts no sooner than `COST_FACTOR * t` later, so forecasts take at most about 1/COST_FACTOR
of the hub's time however fast the hall changes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from hall.domain.forecast import Forecast
from hall.domain.state import HallState
from hall.hub.metrics import Registry

__all__ = ["COST_FACTOR", "POLL_S", "SLICE_S", "ForecastMaker"]

SLICE_S = 0.0005  # the longest the loop is held by one slice of a play-out
GIVE_WAY = 9.0  # after each slice, the loop is left to the requests for this many times it
# took: a forecast being made takes at most a tenth of the loop, so requests never queue up
# behind it
POLL_S = 0.05  # how often the maker looks whether a forecast is wanted
COST_FACTOR = 20.0  # at most about 5% of the hub's time goes to forecasts
MIN_GAP_S = 0.2  # and never two within this


class ForecastMaker:
    """Makes the forecasts of the hall that `state()` gives (it changes at midnight)."""

    def __init__(
        self,
        state: Callable[[], HallState],
        clock: Callable[[], float],
        metrics: Registry,
    ) -> None:
        self._state = state
        self._clock = clock
        self._made = metrics.counter("hall_forecasts_total", "Wait forecasts made off requests")
        self._spent = metrics.counter(
            "hall_forecast_seconds_total", "Event-loop time spent making wait forecasts"
        )
        self._dropped = metrics.counter(
            "hall_forecasts_dropped_total",
            "Wait forecasts dropped half-made (the hall was reloaded or made one at once)",
        )
        self._next_at = 0.0  # monotonic: the next forecast starts no sooner

    async def run(self) -> None:
        """Run until cancelled."""
        while True:
            await asyncio.sleep(POLL_S)
            state = self._state()
            forecaster = state.forecaster
            if not forecaster.wanted or time.monotonic() < self._next_at:
                continue
            spent, forecast = await self._make(state)
            self._spent.inc(spent)
            self._next_at = time.monotonic() + max(MIN_GAP_S, COST_FACTOR * spent)
            if forecast is None:
                self._dropped.inc()
                continue
            self._made.inc()

    async def _make(self, state: HallState) -> tuple[float, Forecast | None]:
        """Play the hall's forecast out in slices; gives the loop time it took, and the
        forecast if it was installed."""
        forecaster = state.forecaster
        generation = forecaster.begin()
        started = time.perf_counter()
        # Taking what the play-out reads of the hall (every waiting ticket) is part of the
        # forecast's cost too: the budget counts it.
        steps = state.forecast_steps(self._clock())
        spent = time.perf_counter() - started
        while True:
            started = time.perf_counter()
            try:
                while time.perf_counter() - started < SLICE_S:
                    next(steps)
            except StopIteration as done:
                spent += time.perf_counter() - started
                forecast: Forecast = done.value
                break
            took = time.perf_counter() - started
            spent += took
            # The requests that came meanwhile go first, and those of the next moments too.
            await asyncio.sleep(took * GIVE_WAY)
            if self._state() is not state or forecaster.generation != generation:
                steps.close()
                return spent, None
        if self._state() is not state or forecaster.generation != generation:
            return spent, None
        forecaster.install(generation, forecast)
        return spent, forecast
