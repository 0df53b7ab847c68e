"""The forecast maker's budget counts all of a forecast's time on the event loop, the reading
of the hall that comes before the first step included: forecasts then keep to about
1/COST_FACTOR of the hub's time however long that reading takes."""

from __future__ import annotations

import time

from hall.hub.forecasts import ForecastMaker
from hall.hub.metrics import Registry
from tests.domain.clerk import open_hall


async def test_the_reading_before_the_first_step_is_counted() -> None:
    hall = open_hall()
    hall.state.forecaster.deferred = True
    hall.take("A", 40)
    state = hall.state
    reading_s = 0.03
    own_steps = state.forecast_steps

    def slow_to_read(now: float):  # type: ignore[no-untyped-def]
        ends = time.perf_counter() + reading_s
        while time.perf_counter() < ends:  # the loop held, as by reading a long queue
            pass
        return own_steps(now)

    state.forecast_steps = slow_to_read  # type: ignore[method-assign]
    maker = ForecastMaker(lambda: state, lambda: hall.now, Registry())
    spent, forecast = await maker._make(state)
    assert forecast is not None and state.forecaster.forecast is forecast
    assert spent >= reading_s
