"""Alarms a manager can work with, across a hub's restart and a standby's takeover: each
alarm keeps the time its cause happened (a ticket's issue, a window's pause, a rating, a
device going offline), not the time the hub that lists it started; acknowledging every
alarm of a kind is kept and audited with the manager's name."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hall.hub.runtime import Running
from tests.integration.contract_client import ContractClient
from tests.integration.halls import online_client, running_hub
from tests.integration.test_failover import health, http_url
from tests.support import eventually, hall_run, write_hall_config

from .conftest import PASSWORD, Inbox, open_dashboard

pytestmark = pytest.mark.usefixtures("redis_client")

LIMITS = {"waiting_yellow": 1, "waiting_orange": 5, "waiting_red": 300}
# One second: the alarms are due as soon as the hub reviews them after their cause.
TIMED = {"wait_target_s": 1, "pause_limit_s": 1, "service_limit_s": 3600, "device_offline_s": 1}
# The printer is never connected: offline since the first hub started, whichever hub says so.
EXPECTED = ("wait:A002", "waiting:A", "paused:1", "rating:A001", "device:printer-1")
TAKEOVER_S = 30.0


def hub_file(write: Callable[..., Path], tmp_path: Path, name: str, users: Any) -> Path:
    """The test's hall for one hub `name` (its own folder, HTTP port and instance)."""
    folder = tmp_path / name
    folder.mkdir()
    return write(
        folder,
        users=users,
        supervision={**LIMITS, **TIMED},
        hub={"instance": f"hub-{name}"},
    )


def has_alarms(ids: tuple[str, ...]) -> Callable[[dict[str, Any]], bool]:
    def test(message: dict[str, Any]) -> bool:
        listed = {a["id"] for a in message["data"]["alarms"]}
        return set(ids) <= listed

    return test


async def alarms_seen(url: str, http: aiohttp.ClientSession) -> dict[str, Any]:
    """The dashboard's first snapshot listing every expected alarm: {"now", "alarms"}."""
    ws = await http.ws_connect("ws" + url[len("http") :] + "/ws/dashboard", origin=url)
    try:
        snapshot = await Inbox(ws).next("snapshot", has_alarms(EXPECTED), timeout=15)
    finally:
        await ws.close()
    data = snapshot["data"]
    return {"now": data["hall"]["now"], "alarms": {a["id"]: a for a in data["alarms"]}}


async def test_alarms_keep_the_time_of_their_cause_across_a_restart_and_a_takeover(
    tmp_path: Path,
    hall_id: str,
    mqtt_url: str,
    redis_url: str,
    password_hash: str,
    http: aiohttp.ClientSession,
) -> None:
    def write(folder: Path, **overrides: Any) -> Path:
        return write_hall_config(folder, hall_id, mqtt_url, redis_url, **overrides)

    users = [{"name": "admin", "password_hash": password_hash, "role": "manager"}]
    first_file = hub_file(write, tmp_path, "a", users)
    standby_file = hub_file(write, tmp_path, "b", users)

    async with running_hub(first_file) as hub:
        async with online_client(hub, hall_id) as c:
            await c.ok("pad-1", "window.open", {"staff": "S001"})
            rated = (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]
            await c.ok("pad-1", "call.next")
            await c.ok("pad-1", "ticket.start")
            await c.ok("pad-1", "ticket.finish")
            rating = await c.ok("eval-1", "eval.submit", {"ticket": rated["no"], "level": 1})
            waiting = (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]
            await c.ok("pad-1", "window.pause", {"reason": "午休"})
        await sign_in_at(http, hub.http_url)
        before = await alarms_seen(hub.http_url, http)
        causes = {alarm_id: a["cause_at"] for alarm_id, a in before["alarms"].items()}
        assert causes["wait:A002"] == waiting["issued_at"]
        assert causes["waiting:A"] == waiting["issued_at"]  # one waiting is the yellow count
        assert causes["rating:A001"] == rating["evaluation"]["at"]
        paused_at = before["alarms"]["paused:1"]["cause_at"]
        assert rating["evaluation"]["at"] < paused_at < before["now"]
        assert causes["device:printer-1"] < causes["rating:A001"]  # since the hub started
        # The manager acknowledges every waiting-too-long alarm at once.
        ws = await open_dashboard(http, hub)
        inbox = Inbox(ws)
        await ws.send_json({"type": "ack", "ref": "all-waits", "kind": "wait"})
        result = await inbox.next("result", lambda m: m["ref"] == "all-waits")
        assert result["ok"], result
        await ws.close()

    # The hub stopped; it starts again, later: every alarm still dates from its cause.
    async with running_hub(first_file) as hub:
        await sign_in_at(http, hub.http_url)
        again = await alarms_seen(hub.http_url, http)
        assert again["now"] > max(causes.values())
        for alarm_id in EXPECTED:
            assert again["alarms"][alarm_id]["cause_at"] == causes[alarm_id], alarm_id
        assert again["alarms"]["wait:A002"]["acked_by"] == "admin"
        assert again["alarms"]["paused:1"]["acked"] is False
        audit = await hub.hub.staff.users.audit_log(10)
        assert any(
            e["event"] == "alarms_acked" and e["by"] == "admin" and e["kind"] == "wait"
            and e["alarms"] == ["wait:A002"]
            for e in audit
        ), audit  # fmt: skip

    # Two `hall run` processes: the active one stops and the standby takes over, later.
    log = tmp_path / "hubs.log"
    async with hall_run(first_file, log) as active:
        await eventually(role_is(http, first_file, "active"), "the first hub active", TAKEOVER_S)
        async with hall_run(standby_file, log):
            standby_url = http_url(standby_file)
            await eventually(role_is(http, standby_file, "standby"), "a standby", TAKEOVER_S)
            active.send_signal(signal.SIGTERM)
            await asyncio.wait_for(active.wait(), TAKEOVER_S)
            # Active once it holds the lease; it serves pages once it has loaded the hall.
            await eventually(lambda: signed_in(http, standby_url), "the takeover", TAKEOVER_S)
            after = await alarms_seen(standby_url, http)
    for alarm_id in EXPECTED:
        assert after["alarms"][alarm_id]["cause_at"] == causes[alarm_id], alarm_id
    assert after["alarms"]["wait:A002"]["acked_by"] == "admin"


def role_is(http: aiohttp.ClientSession, path: Path, role: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        report = await health(http, http_url(path))
        return report is not None and report.get("role") == role

    return check


async def signed_in(http: aiohttp.ClientSession, url: str) -> bool:
    """Sign in as admin at the hub of `url`: False while it does not serve the hall."""
    data = {"name": "admin", "password": PASSWORD}
    async with http.post(url + "/login", data=data, allow_redirects=False) as response:
        if response.status == 503:
            return False
        assert response.status == 303, await response.text()
        return True


async def sign_in_at(http: aiohttp.ClientSession, url: str) -> None:
    assert await signed_in(http, url)


async def test_acknowledging_a_kind_takes_a_known_kind_and_a_manager(
    web_hub: Running, http: aiohttp.ClientSession, mqtt: ContractClient
) -> None:
    await mqtt.ok("kiosk-1", "ticket.take", {"service": "A"})  # waiting:A (yellow at 1)
    await sign_in_at(http, web_hub.http_url)
    ws = await open_dashboard(http, web_hub)
    inbox = Inbox(ws)
    await inbox.next("snapshot", has_alarms(("waiting:A",)))
    for ref, message in (
        ("unknown", {"kind": "weather"}),
        ("both", {"kind": "waiting", "alarm": "waiting:A"}),
        ("number", {"kind": 3}),
    ):
        await ws.send_json({"type": "ack", "ref": ref, **message})
        result = await inbox.next("result", lambda m, ref=ref: m["ref"] == ref)
        assert result["error"]["code"] == "bad_request", result
        assert "kind must be one of waiting, wait, service" in result["error"]["message"]
    # Nothing of that kind listed: nothing to do, and nothing audited.
    await ws.send_json({"type": "ack", "ref": "none", "kind": "rating"})
    assert (await inbox.next("result", lambda m: m["ref"] == "none"))["ok"]
    await ws.send_json({"type": "ack", "ref": "all", "kind": "waiting"})
    assert (await inbox.next("result", lambda m: m["ref"] == "all"))["ok"]
    acked = await inbox.next("snapshot", lambda m: any(a["acked"] for a in m["data"]["alarms"]))
    assert [a["acked_by"] for a in acked["data"]["alarms"]] == ["admin"]
    await ws.close()
    audit = [e for e in await web_hub.hub.staff.users.audit_log(10) if e["event"] == "alarms_acked"]
    assert [(e["kind"], e["alarms"]) for e in audit] == [("waiting", ["waiting:A"])]

    # A viewer looks only.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as guest:
        data = {"name": "guest", "password": PASSWORD}
        async with guest.post(web_hub.http_url + "/login", data=data, allow_redirects=False):
            pass
        viewer = await open_dashboard(guest, web_hub)
        await viewer.send_json({"type": "ack", "ref": "v", "kind": "waiting"})
        result = await Inbox(viewer).next("result", lambda m: m["ref"] == "v")
        assert result["error"]["code"] == "forbidden"
        await viewer.close()


def test_presence_remembers_what_the_hubs_before_kept() -> None:
    """A device still as the store kept it counts from then; one that changed, from now;
    one the store never saw, from this hub's start (kept for the next hub)."""
    from hall.hub.presence import Presence
    from tests.domain.hallfile import small_hall

    events: list[dict[str, Any]] = []

    def clock() -> float:
        return 2000.0

    presence = Presence(small_hall(), clock, events.append)
    presence.remember(
        {"pad-1": (False, 100.0), "pad-2": (False, 200.0), "gone": (False, 1.0)}, 1000
    )
    view = presence.view(1000.0)
    assert view.since["pad-1"] == 100.0 and view.since["kiosk-1"] == 1000.0
    assert "gone" not in view.since  # no longer in the hall file
    presence.status_message("pad-1", b'{"state": "offline"}')  # as it was: since then
    presence.status_message("pad-2", b'{"state": "online"}')  # changed: since now
    view = presence.view(1000.0)
    assert (view.online["pad-1"], view.since["pad-1"]) == (False, 100.0)
    assert (view.online["pad-2"], view.since["pad-2"]) == (True, 2000.0)
    assert [e["device"] for e in events] == ["pad-1", "pad-2"]
