"""The outbox relay against the reference back office, with the real hub, broker and Redis.

Every case and rating arrives once, signed, a rating never before its case, through outages,
timeouts, refusals, restarts and a relay stopped between sending and acknowledging.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aredis

from hall.contract.errors import Fenced
from hall.domain.config import PortalConfig
from hall.store.outbox import GROUP, HELD_REASON, Outbox
from portal_link.relay import OutboxRelay, RelayTimings
from tests.integration.contract_client import ContractClient
from tests.integration.halls import hall_with_client, served
from tests.support import eventually

from .conftest import FAST, OfficeServer, relayed_hall, relaying

pytestmark = pytest.mark.usefixtures("redis_client")

CASE_KEYS = {
    "case_id",
    "hall",
    "ticket",
    "service",
    "window",
    "staff",
    "outcome",
    "issued_at",
    "called_at",
    "started_at",
    "finished_at",
    "wait_s",
    "service_s",
}
EVALUATION_KEYS = {"case_id", "hall", "ticket", "window", "staff", "level", "at"}


async def serve_and_rate(c: ContractClient, level: int = 5) -> str:
    """A ticket served at window 1 and rated there: its number."""
    no = await served(c, "kiosk-1", "pad-1")
    await c.ok("eval-1", "eval.submit", {"ticket": no, "level": level})
    return no


def in_order(*tickets: str) -> list[tuple[str, str]]:
    return [pair for no in tickets for pair in (("case", no), ("evaluation", no))]


async def outbox_len(client: aredis.Redis, hall_id: str) -> int:
    return int(await client.xlen(f"{{hall:{hall_id}}}:outbox"))


async def test_a_hall_day_arrives_once_signed_and_in_order(
    portal_config_path: Path, hall_id: str, back_office: OfficeServer, redis_client: aredis.Redis
) -> None:
    office = back_office
    async with hall_with_client(portal_config_path, hall_id) as (running, c):
        # The hub made the relay (with its default timings) because the file has [portal].
        assert running.relay is not None
        async with relaying(running, running.relay) as run:
            await c.ok("pad-1", "window.open", {"staff": "S001"})
            for service, priority in (("A", "normal"), ("A", "normal"), ("B", "green")):
                await c.ok("kiosk-1", "ticket.take", {"service": service, "priority": priority})
            assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "B001"
            await c.ok("pad-1", "ticket.start")
            await c.ok("pad-1", "ticket.finish")
            await c.ok("eval-1", "eval.submit", {"ticket": "B001", "level": 5})
            assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A001"
            await c.ok("pad-1", "call.no_show")
            assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A002"
            await c.ok("pad-1", "ticket.finish")  # a keypad ends the visit straight from called
            await c.ok("pad-1", "eval.submit", {"ticket": "A002", "level": 2})

            await run.until(lambda: office.stored() == 5, "3 cases and 2 evaluations stored")
            assert office.arrival() == [
                ("case", "B001"),
                ("evaluation", "B001"),
                ("case", "A001"),
                ("case", "A002"),
                ("evaluation", "A002"),
            ]
            stats = office.office.stats
            assert (stats.received, stats.duplicates, stats.rejected) == (5, 0, 0)
            ids = [r["webhook_id"] for r in office.office.requests]
            assert len(set(ids)) == 5  # each sent once, each signature accepted

            cases = {row["ticket"]: row for row in office.office.store.list("case")}
            for row in cases.values():
                assert CASE_KEYS <= set(row) and row["hall"] == hall_id
                assert row["case_id"].startswith(f"{hall_id}-") and row["case_id"].endswith(
                    row["ticket"]
                )
            assert cases["B001"]["outcome"] == "done" and cases["B001"]["staff"] == "S001"
            assert cases["A001"]["outcome"] == "no_show" and cases["A001"]["service_s"] is None
            # Who ended each visit: the clerk signed in at the window.
            assert all(row["ended_by"] == {"kind": "staff", "id": "S001"} for row in cases.values())
            assert isinstance(cases["A002"]["wait_s"], int)
            evaluations = {row["ticket"]: row for row in office.office.store.list("evaluation")}
            assert {k: evaluations[k]["level"] for k in evaluations} == {"B001": 5, "A002": 2}
            assert all(EVALUATION_KEYS <= set(row) for row in evaluations.values())
            assert evaluations["A002"]["case_id"] == cases["A002"]["case_id"]

            # Accepted entries leave the outbox; the hub's /metrics shows the relay.
            await run.until(lambda: run.relay.delivered == 5, "all five acknowledged")
            assert await outbox_len(redis_client, hall_id) == 0
            await running.relay.refresh_stats()
            async with (
                aiohttp.ClientSession() as session,
                session.get(running.http_url + "/metrics") as response,
            ):
                metrics = await response.text()
            for line in (
                "hall_outbox_backlog 0",
                "hall_outbox_oldest_age_seconds 0",
                "hall_outbox_dead 0",
                "hall_outbox_delivered_total 5",
            ):
                assert line in metrics.splitlines(), metrics


async def test_an_outage_holds_everything_back_then_all_arrives_in_order(
    portal_config_path: Path, hall_id: str, back_office: OfficeServer
) -> None:
    office = back_office
    await office.control("503", retry_after="1")
    async with relayed_hall(portal_config_path, hall_id) as (_running, c, run):
        tickets = [await serve_and_rate(c, level) for level in (5, 4, 3)]
        await run.until(lambda: office.office.stats.unavailable >= 2, "two attempts refused")
        assert office.stored() == 0
        tried = list(office.office.requests)
        # Head of line: only the oldest entry is tried while the back office is down, and the
        # relay waited as long as Retry-After asked (1 s) between attempts.
        assert len({r["webhook_id"] for r in tried}) == 1
        assert tried[1]["at"] - tried[0]["at"] >= 0.9
        # The relay counts a refusal once it has read the answer, a moment after the office
        # counted sending it.
        await run.until(lambda: run.relay.failed >= 2, "both refusals counted by the relay")

        await office.control("ok")
        await run.until(lambda: office.stored() == 6, "all six entries stored")
        assert office.arrival() == in_order(*tickets)
        assert office.office.stats.duplicates == 0


async def test_a_back_office_that_does_not_answer_is_retried(
    portal_config_path: Path, hall_id: str, back_office: OfficeServer
) -> None:
    office = back_office
    await office.control("timeout")
    async with relayed_hall(portal_config_path, hall_id) as (_running, c, run):
        no = await serve_and_rate(c)
        await run.until(lambda: office.office.stats.timeouts >= 2, "tried again after a timeout")
        assert office.stored() == 0 and run.relay.failed >= 1
        await office.control("ok")
        await run.until(lambda: office.stored() == 2, "the case and its evaluation stored")
        assert office.arrival() == in_order(no)
        assert office.office.stats.duplicates == 0


async def hall_outbox(config: Path, *args: str) -> tuple[int, str]:
    """`hall outbox ...` as its own process: exit status and output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hall.cli.main",
        "outbox",
        *args,
        "--config",
        str(config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_a_refusal_goes_to_the_dead_letters_and_retry_brings_it_back(
    portal_config_path: Path, hall_id: str, back_office: OfficeServer, redis_client: aredis.Redis
) -> None:
    office = back_office
    outbox = Outbox(redis_client, hall_id)
    await office.control("400")
    async with relayed_hall(portal_config_path, hall_id) as (_running, c, run):
        refused = await serve_and_rate(c)
        await run.until(lambda: run.relay.dead_lettered == 2, "case refused, evaluation held")
        dead = await outbox.dead_entries()
        assert [(d.kind, d.status, d.attempts) for d in dead] == [
            ("case", 400, 1),
            ("evaluation", None, 0),
        ]
        assert dead[0].reason.startswith("refused by the back office: HTTP 400")
        assert "mode 400" in dead[0].reason  # what the back office said
        assert dead[1].reason == HELD_REASON and dead[0].key == dead[1].key
        case_id = dead[0].key
        # The evaluation was never sent: it waits behind its case.
        assert office.office.stats.refused == 1 and office.stored() == 0

        # Dead letters block nothing else.
        await office.control("ok")
        accepted = await serve_and_rate(c)
        await run.until(lambda: office.stored() == 2, "the next ticket's entries stored")

        status, out = await hall_outbox(portal_config_path, "status", "--json")
        assert status == 0, out
        assert json.loads(out) == {**json.loads(out), "backlog": 0, "dead": 2}
        status, out = await hall_outbox(portal_config_path, "status")
        assert status == 0 and "dead letters: 2" in out and "backlog: 0" in out, out
        status, out = await hall_outbox(portal_config_path, "dead")
        assert status == 0 and case_id in out and "HTTP 400" in out and HELD_REASON in out, out
        status, out = await hall_outbox(portal_config_path, "dead", "--json")
        listed = json.loads(out)
        assert [(d["kind"], d["key"], d["attempts"]) for d in listed] == [
            ("case", case_id, 1),
            ("evaluation", case_id, 0),
        ]
        assert listed[0]["body"]["ticket"] == refused

        status, out = await hall_outbox(portal_config_path, "retry", "--key", case_id)
        assert status == 0 and "put 2 entries back" in out, out
        await run.until(lambda: office.stored() == 4, "the retried case and evaluation stored")
        await run.until(lambda: run.relay.delivered == 4, "all acknowledged")
        assert office.arrival() == in_order(accepted, refused)
        status, out = await hall_outbox(portal_config_path, "retry", "--key", case_id)
        assert status == 1 and "no dead letters of case" in out, out

    assert await outbox.dead_entries() == []
    assert not await redis_client.exists(outbox.held_key, outbox.requeued_key)
    assert await outbox_len(redis_client, hall_id) == 0


async def test_an_evaluation_overtaken_by_a_retried_case_waits_for_it(
    portal_config_path: Path, hall_id: str, back_office: OfficeServer, redis_client: aredis.Redis
) -> None:
    """The rating was added while its case sat in the dead letters; the case is retried and
    lands behind it in the outbox: the relay moves the rating behind its case."""
    office = back_office
    outbox = Outbox(redis_client, hall_id)
    await office.control("400")
    async with hall_with_client(portal_config_path, hall_id) as (running, c):
        await c.ok("pad-1", "window.open", {"staff": "S001"})
        async with relaying(running) as run:
            no = await served(c, "kiosk-1", "pad-1")
            await run.until(lambda: run.relay.dead_lettered == 1, "the case refused")
        # No relay runs now: the rating waits in the outbox, then the case is put back after it.
        await c.ok("eval-1", "eval.submit", {"ticket": no, "level": 4})
        assert await outbox.retry() == 1
        await office.control("ok")
        async with relaying(running) as run:
            await run.until(lambda: office.stored() == 2, "case and evaluation stored")
            await run.until(lambda: run.relay.delivered == 2, "both acknowledged")
    assert office.arrival() == in_order(no)
    assert office.office.stats.refused == 1  # the rating was sent once, after its case
    assert not await redis_client.exists(outbox.requeued_key)
    assert await outbox_len(redis_client, hall_id) == 0


async def test_a_relay_stopped_between_sending_and_acknowledging_sends_again(
    portal_config_path: Path, hall_id: str, back_office: OfficeServer, redis_client: aredis.Redis
) -> None:
    office = back_office
    await office.control("hold")  # the back office stores, then is slow to answer
    async with hall_with_client(portal_config_path, hall_id) as (running, c):
        await c.ok("pad-1", "window.open", {"staff": "S001"})
        async with relaying(running, timings=RelayTimings(block_ms=100), consumer="first") as run:
            no = await served(c, "kiosk-1", "pad-1")
            await run.until(lambda: office.office.stats.held == 1, "the case stored, answer held")
            sent = run.relay.sending
        # The relay (and then the hub) stopped before the answer came: the entry is pending.
    pending = await redis_client.xpending(f"{{hall:{hall_id}}}:outbox", GROUP)
    assert pending["pending"] == 1 and pending["consumers"] == [{"name": b"first", "pending": 1}]
    await office.control("ok")  # the held answer goes to a closed connection

    async with relayed_hall(portal_config_path, hall_id, consumer="second", staff=None) as (
        running,
        c,
        run,
    ):
        await run.until(lambda: office.office.stats.duplicates == 1, "the case sent again")
        await eventually(lambda: run.relay.delivered == 1, "the repeat acknowledged")
    requests = office.requests_for(str(sent))
    assert [r["outcome"] for r in requests] == ["stored, held", "duplicate"]
    assert office.arrival() == [("case", no)] and office.stored() == 1
    assert await outbox_len(redis_client, hall_id) == 0
    consumers = await redis_client.xinfo_consumers(f"{{hall:{hall_id}}}:outbox", GROUP)
    assert [info["name"] for info in consumers] == [b"second"]  # the dead one is forgotten


async def test_a_restart_during_an_outage_loses_nothing(
    portal_config_path: Path, hall_id: str, back_office: OfficeServer
) -> None:
    office = back_office
    await office.control("503")
    async with relayed_hall(portal_config_path, hall_id) as (_running, c, run):
        before = [await serve_and_rate(c), await serve_and_rate(c)]
        await run.until(lambda: office.office.stats.unavailable >= 2, "attempts refused")
    async with relayed_hall(portal_config_path, hall_id, staff=None) as (_running, c, run):
        after = await serve_and_rate(c)
        seen = office.office.stats.unavailable
        await run.until(lambda: office.office.stats.unavailable > seen, "tried again after restart")
        assert office.stored() == 0
        await office.control("ok")
        await run.until(lambda: office.stored() == 6, "everything stored")
    assert office.arrival() == in_order(*before, after)
    assert office.office.stats.duplicates == 0


async def test_an_entry_too_old_goes_to_the_dead_letters(
    portal_config_path: Path, hall_id: str, back_office: OfficeServer, redis_client: aredis.Redis
) -> None:
    office = back_office
    outbox = Outbox(redis_client, hall_id)
    await office.control("503")
    short = RelayTimings(**{**FAST.__dict__, "max_age_s": 0.3})
    async with relayed_hall(portal_config_path, hall_id, timings=short) as (_running, c, run):
        no = await served(c, "kiosk-1", "pad-1")
        await run.until(lambda: run.relay.dead_lettered == 1, "the case expired")
        (dead,) = await outbox.dead_entries()
        assert dead.kind == "case" and dead.reason.startswith("expired: not accepted within")
        assert "HTTP 503" in dead.reason and dead.attempts >= 1
        await office.control("ok")
        assert await outbox.retry(dead.key) == 1
        await run.until(lambda: office.stored() == 1, "the retried case stored")
    assert office.arrival() == [("case", no)]


async def test_a_malformed_entry_is_set_aside_and_the_rest_goes_on(
    portal_config_path: Path, hall_id: str, back_office: OfficeServer, redis_client: aredis.Redis
) -> None:
    office = back_office
    outbox = Outbox(redis_client, hall_id)
    await redis_client.xadd(outbox.key, {"entry": b'{"kind": "invoice"}'})
    async with relayed_hall(portal_config_path, hall_id) as (_running, c, run):
        no = await served(c, "kiosk-1", "pad-1")
        await run.until(lambda: office.stored() == 1, "the case stored")
    (dead,) = await outbox.dead_entries()
    assert dead.reason == "malformed entry: unknown kind 'invoice'" and dead.key == ""
    assert office.arrival() == [("case", no)]


async def test_a_relay_whose_hub_was_replaced_stops(
    portal_config_path: Path, hall_id: str, back_office: OfficeServer, redis_client: aredis.Redis
) -> None:
    await back_office.control("503")
    async with hall_with_client(portal_config_path, hall_id) as (running, c):
        await c.ok("pad-1", "window.open", {"staff": "S001"})
        portal = running.hub.config.portal
        assert isinstance(portal, PortalConfig)
        store = running.store
        relay = OutboxRelay(
            store.outbox(), hall_id, portal, timings=FAST, epoch=lambda: store.epoch
        )
        task = asyncio.create_task(relay.run())
        try:
            await served(c, "kiosk-1", "pad-1")
            await eventually(lambda: relay.failed >= 1, "an attempt failed", tasks=[task])
            await redis_client.incr(f"{{hall:{hall_id}}}:epoch")  # another hub took the hall
            with pytest.raises(ExceptionGroup) as raised:
                await asyncio.wait_for(task, 10)
            assert raised.group_contains(Fenced)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
