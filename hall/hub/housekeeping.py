"""The hub's own chores: start the new day at midnight, report visits left unrated.

Both run whether or not any request comes: the day is changed here when the hall is quiet,
and the unrated visits are reported as the hub's own `ratings.sweep` operation (an `Actor`
of kind `hub`), through the same dispatch as every other operation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from hall.contract.cancellation import raise_if_cancel_lost
from hall.contract.wire import Request
from hall.domain.actor import Actor
from hall.domain.ops_ratings import unrated_due
from hall.hub.dispatch import Dispatch
from hall.hub.engine import HallEngine
from hall.hub.publish import Publisher

__all__ = ["HOUSEKEEPING_INTERVAL_S", "run_housekeeping"]

log = logging.getLogger("hall.hub.housekeeping")
HOUSEKEEPING_INTERVAL_S = 10.0


async def run_housekeeping(
    hall_id: str,
    engine: HallEngine,
    dispatch: Dispatch,
    publisher: Publisher,
    clock: Callable[[], float],
    epoch: Callable[[], int],
) -> None:
    """Run until cancelled (a store failure or `Fenced` ends it, and with it the hub)."""
    hub = Actor.hub(hall_id)
    sweeps = 0
    while True:
        raise_if_cancel_lost()  # a store call may have swallowed the stop (see there)
        await asyncio.sleep(HOUSEKEEPING_INTERVAL_S)
        if await engine.new_day_if_due():
            log.info("hall %s: a new day, %s", hall_id, engine.state.day)
            publisher.republish_all()
        if not unrated_due(engine.state, clock()):
            continue
        sweeps += 1
        await dispatch.submit(hub, Request(f"sweep-{epoch()}-{sweeps}", "ratings.sweep", {}))
