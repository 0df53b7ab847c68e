"""Two hubs for one hall in one test: the second stands by, connected and answering /healthz,
and takes over with a newer epoch when the first leaves; the managers stay signed in; a hub
that cannot bind its port claims nothing; a request to a replaced hub gets 503, not 500."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aredis
from yarl import URL

from hall.contract.config import load_config
from hall.contract.errors import Fenced
from hall.hub.runtime import Running, StartupError
from hall.store.hall_store import HallStore
from hall.web.sessions import hash_password
from tests.support import eventually, write_hall_config

from .conftest import hall_services_with_web, running_hub
from .contract_client import ContractClient

PASSWORD = "standby secret 7"
API_TOKEN = "standby-api-token-0123456789"


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


def hub_file(
    tmp_path: Path, name: str, hall_id: str, mqtt_url: str, redis_url: str, hash_: str, **extra: Any
) -> Path:
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    return write_hall_config(
        folder,
        hall_id,
        mqtt_url,
        redis_url,
        users=[{"name": "admin", "password_hash": hash_, "role": "manager"}],
        api_clients=[{"id": "office", "token": API_TOKEN}],
        **extra,
    )


@contextlib.asynccontextmanager
async def standing_by(path: Path) -> AsyncIterator[tuple[Running, asyncio.Task[None]]]:
    """A hub whose run task was started but is not (yet) the active one."""
    async with hall_services_with_web(load_config(path)) as running:
        task = asyncio.create_task(running.hub.run())
        try:
            yield running, task
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def get_json(
    http: aiohttp.ClientSession, url: str, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    async with http.get(url, allow_redirects=False, **kwargs) as response:
        return response.status, await response.json(content_type=None)


def online(epoch_above: int = 0) -> Any:
    return lambda d: isinstance(d, dict) and d.get("state") == "online" and d["epoch"] > epoch_above


async def test_a_standby_waits_ready_and_takes_over_with_sessions_kept(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str, password_hash: str
) -> None:
    first_path = hub_file(tmp_path, "a", hall_id, mqtt_url, redis_url, password_hash)
    second_path = hub_file(tmp_path, "b", hall_id, mqtt_url, redis_url, password_hash)
    jar = aiohttp.CookieJar(unsafe=True)
    async with (
        aiohttp.ClientSession(cookie_jar=jar) as http,
        standing_by(first_path) as (first, first_run),
        ContractClient(
            first.endpoint.host, first.endpoint.port, hall_id, f"sb-{hall_id}-{os.getpid()}"
        ) as c,
    ):
        await asyncio.wait_for(first.hub.ready.wait(), 10)
        status_topic = c.topic("hub/status")
        first_status = await c.wait_latest(status_topic, online())
        assert first_status["instance"] == first.hub.instance
        assert (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]["no"] == "A001"
        async with http.post(
            first.http_url + "/login", data={"name": "admin", "password": PASSWORD}
        ) as signed_in:
            assert signed_in.status == 200 and signed_in.url.path == "/dashboard"
        token = jar.filter_cookies(URL(first.http_url))["hall_session"].value

        async with standing_by(second_path) as (second, second_run):
            # Standing by: connected to broker and store, HTTP bound, saying so with a 503.
            async def standing_by_ready() -> bool:
                status, report = await get_json(http, second.http_url + "/healthz")
                return status == 503 and report["broker"] and report["store"]

            await eventually(standing_by_ready, "the standby connected to broker and store")
            status, report = await get_json(http, second.http_url + "/healthz")
            assert report["role"] == report["status"] == "standby"
            assert report["instance"] == second.hub.instance != first.hub.instance
            status, refused = await get_json(http, second.http_url + "/api/services")
            assert status == 503 and refused["error"]["code"] == "standby"
            async with http.get(second.http_url + "/metrics") as metrics:
                assert "hall_hub_active 0" in await metrics.text()
            # It claimed nothing and answers no device: the first hub still serves alone.
            assert second.store.epoch == 0 and not second_run.done()
            mark = c.count(c.topic("res", "kiosk-1"))
            assert (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]["no"] == (
                "A002"
            )
            await c.ok("kiosk-1", "ticket.status", {"no": "A002"})  # after the answer above
            assert len(c.since(c.topic("res", "kiosk-1"), mark)) == 2  # one answer each
            status, report = await get_json(http, first.http_url + "/healthz")
            assert status == 200 and report["role"] == "active"

            # The first hub stops in good order: the standby takes over with a newer epoch.
            first_epoch = first_status["epoch"]
            first_run.cancel()
            taken = await c.wait_latest(status_topic, online(first_epoch), timeout=10)
            assert taken["instance"] == second.hub.instance
            await asyncio.wait_for(second.hub.ready.wait(), 10)
            assert second.store.epoch == taken["epoch"]
            status, report = await get_json(http, second.http_url + "/healthz")
            assert status == 200 and report["role"] == "active"
            # The hall carries on; the manager signed in on the first hub is still signed in.
            assert (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]["no"] == (
                "A003"
            )
            async with http.get(second.http_url + "/dashboard", allow_redirects=False) as page:
                assert page.status == 200
            # Signing out on the new hub revokes the session everywhere.
            async with http.post(second.http_url + "/logout", allow_redirects=False) as out:
                assert out.status == 303
            jar.update_cookies({"hall_session": token}, URL(second.http_url))
            async with http.get(second.http_url + "/dashboard", allow_redirects=False) as page:
                assert page.status == 302 and page.headers["Location"] == "/login"


async def test_a_hub_that_cannot_bind_its_port_claims_nothing(
    tmp_path: Path,
    hall_id: str,
    mqtt_url: str,
    redis_url: str,
    password_hash: str,
    redis_client: aredis.Redis,
) -> None:
    first_path = hub_file(tmp_path, "a", hall_id, mqtt_url, redis_url, password_hash)
    async with running_hub(first_path) as first:
        e = first.endpoint
        async with ContractClient(e.host, e.port, hall_id, f"port-{hall_id}-{os.getpid()}") as c:
            status_topic = c.topic("hub/status")
            before = await c.wait_latest(status_topic, online())
            taken_port = int(first.http_url.rsplit(":", 1)[1])
            second_path = hub_file(
                tmp_path,
                "b",
                hall_id,
                mqtt_url,
                redis_url,
                password_hash,
                http_port=taken_port,
                hub={"instance": "second"},
            )
            with pytest.raises(StartupError, match="cannot listen for HTTP"):
                async with hall_services_with_web(load_config(second_path)):
                    raise AssertionError("started on a taken port")
            # Nothing claimed, nothing published: the running hub goes on as it was.
            assert int(await redis_client.get(f"{{hall:{hall_id}}}:epoch")) == before["epoch"]
            assert (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]["no"] == (
                "A001"
            )
            assert c.latest[status_topic] == before
            assert c.messages[status_topic][-1] == before


async def test_an_http_request_to_a_replaced_hub_gets_503_and_the_hub_leaves(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str, password_hash: str
) -> None:
    path = hub_file(tmp_path, "a", hall_id, mqtt_url, redis_url, password_hash)
    async with (
        aiohttp.ClientSession() as http,
        standing_by(path) as (old, old_run),
    ):
        await asyncio.wait_for(old.hub.ready.wait(), 10)
        # A newer hub claims the hall behind this one's back (its lease is still running).
        newer = HallStore.connect(redis_url, hall_id)
        try:
            await newer.claim_epoch()
        finally:
            await newer.close()
        headers = {"Authorization": f"Bearer {API_TOKEN}"}
        async with http.post(
            old.http_url + "/api/catalogue",
            json={"action": "close", "code": "A"},
            headers=headers,
        ) as response:
            assert response.status == 503
            assert (await response.json())["error"]["code"] == "internal"
        with pytest.raises(BaseExceptionGroup) as stopped:
            await asyncio.wait_for(old_run, 10)
        assert stopped.value.subgroup(Fenced) is not None
        status, report = await get_json(http, old.http_url + "/healthz")
        assert status == 503 and report["role"] == "stopped"


async def test_an_older_hubs_late_will_is_overwritten_and_a_newer_hub_ends_this_one(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str, password_hash: str
) -> None:
    path = hub_file(tmp_path, "a", hall_id, mqtt_url, redis_url, password_hash)
    async with standing_by(path) as (hub, run):
        await asyncio.wait_for(hub.hub.ready.wait(), 10)
        e = hub.endpoint
        async with ContractClient(e.host, e.port, hall_id, f"will-{hall_id}-{os.getpid()}") as c:
            topic = c.topic("hub/status")
            mine = await c.wait_latest(topic, online())
            epoch = mine["epoch"]
            # An older hub's will arrives late (its connection was slow to be found dead).
            late_will = {"state": "offline", "epoch": epoch - 1, "instance": "old"}
            await c.client.publish(topic, json.dumps(late_will), qos=1, retain=True)
            await c.wait_latest(topic, lambda d: d == late_will)
            assert await c.wait_latest(topic, online()) == mine
            assert not run.done()
            # A newer hub says it is online: this one leaves.
            newer = {"state": "online", "epoch": epoch + 1, "instance": "newer"}
            await c.client.publish(topic, json.dumps(newer), qos=1, retain=True)
            with pytest.raises(BaseExceptionGroup) as stopped:
                await asyncio.wait_for(run, 10)
            assert stopped.value.subgroup(Fenced) is not None
            # Replaced, it says nothing more: the newer hub's status stays. (Anything it had
            # said before stopping reached the broker before this probe did.)
            probe = c.topic("probe")
            await c.client.publish(probe, b'"after"', qos=1)
            await c.wait_latest(probe, lambda d: d == "after")
            assert c.latest[topic] == newer
            await c.client.publish(topic, b"", qos=1, retain=True)  # the retained one cleared
