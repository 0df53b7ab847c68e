"""The link from the relay to the back office: slow, cut and black-holed through the fault
proxy; and dead letters that come back by themselves once the back office answers again."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis.asyncio as aredis

from hall.store.outbox import Outbox
from portal_link.relay import RelayTimings
from tests.integration.contract_client import ContractClient
from tests.integration.halls import hall_with_client, served
from tests.portal.conftest import FAST, SECRET, OfficeServer, relaying
from tests.support import write_hall_config

from .proxy import fault_proxy

pytestmark = pytest.mark.usefixtures("redis_client")


async def serve_and_rate(c: ContractClient) -> str:
    no = await served(c, "kiosk-1", "pad-1")
    await c.ok("eval-1", "eval.submit", {"ticket": no, "level": 5})
    return no


def in_order(*tickets: str) -> list[tuple[str, str]]:
    return [pair for no in tickets for pair in (("case", no), ("evaluation", no))]


async def test_a_slow_cut_and_black_holed_link_loses_nothing(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str, back_office: OfficeServer
) -> None:
    office = back_office
    host, port = office.url.removeprefix("http://").split(":")
    async with fault_proxy(host, int(port)) as proxy:
        config = write_hall_config(
            tmp_path,
            hall_id,
            mqtt_url,
            redis_url,
            portal={"url": f"http://127.0.0.1:{proxy.port}/hall-api", "secret": SECRET},
        )
        async with (
            hall_with_client(config, hall_id) as (running, c),
            relaying(running) as run,
        ):
            proxy.latency_s = 0.1
            await c.ok("pad-1", "window.open", {"staff": "S001"})
            first = await serve_and_rate(c)
            await run.until(lambda: office.stored() == 2, "the first visit, slowly")

            proxy.cut()
            failed = run.relay.failed
            second = await serve_and_rate(c)
            await run.until(lambda: run.relay.failed > failed + 1, "attempts refused by the cut")
            assert office.stored() == 2
            proxy.restore()
            await run.until(lambda: office.stored() == 4, "the second visit after the cut")

            proxy.blackhole()
            failed = run.relay.failed
            third = await serve_and_rate(c)
            await run.until(lambda: run.relay.failed > failed, "an attempt lost in the hole")
            proxy.restore()
            await run.until(lambda: office.stored() == 6, "the third visit after the hole")
        assert run.relay.dead_lettered == 0
    assert office.arrival() == in_order(first, second, third)


async def test_dead_letters_come_back_once_the_back_office_answers_again(
    portal_config_path: Path, hall_id: str, back_office: OfficeServer, redis_client: aredis.Redis
) -> None:
    """A case refused for good stays; a case that expired while the back office was down,
    and its rating held behind it, go through once it answers again, in their order."""
    office = back_office
    outbox = Outbox(redis_client, hall_id)
    short = RelayTimings(**{**FAST.__dict__, "max_age_s": 0.3})
    async with (
        hall_with_client(portal_config_path, hall_id) as (running, c),
        relaying(running, timings=short) as run,
    ):
        await c.ok("pad-1", "window.open", {"staff": "S001"})
        await office.control("400")
        refused = await served(c, "kiosk-1", "pad-1")
        await run.until(lambda: run.relay.dead_lettered == 1, "the case refused")
        await office.control("503")
        expired = await serve_and_rate(c)
        await run.until(lambda: run.relay.dead_lettered == 3, "case expired, rating held")
        assert office.stored() == 0
        await office.control("ok")
        later = await served(c, "kiosk-1", "pad-1")
        await run.until(lambda: office.stored() == 3, "the later case and the expired visit")
        assert run.relay.revived == 2
    assert office.arrival() == [("case", later), *in_order(expired)]
    (dead,) = await outbox.dead_entries()
    assert dead.status == 400 and dead.reason.startswith("refused by the back office")
    assert f"-{refused}" in dead.key or refused in dead.entry.decode()
