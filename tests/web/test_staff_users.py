"""The administrator manages the staff accounts from the dashboard: added, role changed,
disabled (signed out at once), reset, deleted; never the last administrator, never one's own
rights; every change audited without secrets; the store, not the hall file, is what signs
in once a hall has users."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hall.hub.runtime import Running
from tests.integration.conftest import running_hub

from .conftest import PASSWORD, closed_by_hub, demo_devices, open_dashboard, sign_in

USERS = "/dashboard/staff/users"
NEW_PASSWORD = "a new password 42"


@pytest.fixture
def hall_config_path(hall_file: Callable[..., Path], password_hash: str) -> Path:
    return hall_file(
        users=[
            {"name": "root", "password_hash": password_hash, "role": "administrator"},
            {"name": "admin", "password_hash": password_hash, "role": "manager"},
        ],
        devices=demo_devices(),
    )


async def send(
    http: aiohttp.ClientSession, hub: Running, method: str, path: str, body: Any = None
) -> tuple[int, Any]:
    """The status and the JSON (a refusal's message) of a request from a page of this hub."""
    async with http.request(
        method, hub.http_url + path, json=body, headers={"Origin": hub.http_url}
    ) as response:
        body = await response.json()
    if response.status >= 400:  # a refusal: {"error": {"code", "message"}}, its message
        assert set(body["error"]) == {"code", "message"}, body
        return response.status, body["error"]["message"]
    return response.status, body


async def listed(http: aiohttp.ClientSession, hub: Running) -> dict[str, Any]:
    status, body = await send(http, hub, "GET", USERS)
    assert status == 200, body
    return dict(body)


async def test_an_administrator_adds_a_manager_who_signs_in_and_is_disabled(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    await sign_in(http, web_hub, "root")
    new = {"name": "赵敏", "role": "manager", "password": NEW_PASSWORD}
    status, body = await send(http, web_hub, "POST", USERS, new)
    assert status == 201 and body["fields"] == ["role", "password"], body
    assert (await send(http, web_hub, "POST", USERS, new))[0] == 409  # the name is taken
    short = {**new, "name": "钱", "password": "short"}
    status, text = await send(http, web_hub, "POST", USERS, short)
    assert status == 400 and "at least 8" in text
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as zhao:
        await sign_in(zhao, web_hub, "赵敏", NEW_PASSWORD)
        ws = await open_dashboard(zhao, web_hub)
        await ws.receive_json()  # the snapshot
        status, body = await send(http, web_hub, "POST", f"{USERS}/赵敏", {"action": "disable"})
        assert status == 200 and body["fields"] == ["disabled"]
        assert await closed_by_hub(ws)  # signed out at once
        async with zhao.get(web_hub.http_url + "/dashboard", allow_redirects=False) as r:
            assert r.status in (302, 303)
        async with zhao.post(
            web_hub.http_url + "/login",
            data={"name": "赵敏", "password": NEW_PASSWORD},
            allow_redirects=False,
        ) as r:
            assert r.status == 401  # a disabled user may not sign in again
    audit = [e for e in (await listed(http, web_hub))["audit"] if "fields" in e]  # changes
    assert [e["event"] for e in audit[:2]] == ["user_disabled", "user_added"]
    assert audit[0]["by"] == "root" and audit[0]["user"] == "赵敏"
    assert NEW_PASSWORD not in json.dumps(audit) and "$argon2" not in json.dumps(audit)


async def test_a_clerk_needs_a_staff_number_and_a_pin_and_a_role_change_applies_at_once(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    await sign_in(http, web_hub, "root")
    status, text = await send(http, web_hub, "POST", USERS, {"name": "li", "role": "clerk"})
    assert status == 400 and "staff" in text
    clerk = {"name": "li", "role": "clerk", "staff": "1001", "pin": "12"}
    assert (await send(http, web_hub, "POST", USERS, clerk))[0] == 400  # a PIN of 4-8 digits
    clerk["pin"] = "4711"
    assert (await send(http, web_hub, "POST", USERS, clerk))[0] == 201
    twin = {"name": "wang", "role": "clerk", "staff": "1001", "pin": "4712"}
    status, text = await send(http, web_hub, "POST", USERS, twin)
    assert status == 409 and "staff number" in text
    users = {u["name"]: u for u in (await listed(http, web_hub))["users"]}
    assert {k: v for k, v in users["li"].items() if k != "version"} == {
        "name": "li", "role": "clerk", "staff": "1001", "pin": True, "card": False,
        "disabled": False,
    }  # fmt: skip
    reset = {"action": "reset", "pin": "8080", "card": "card-77"}
    status, body = await send(http, web_hub, "POST", f"{USERS}/li", reset)
    assert status == 200 and body["fields"] == ["pin", "card"]
    # The manager "admin" becomes an auditor: the session it has may no longer act.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as admin:
        await sign_in(admin, web_hub, "admin")
        assert (await send(admin, web_hub, "GET", USERS))[0] == 200
        role = {"action": "role", "role": "auditor"}
        assert (await send(http, web_hub, "POST", f"{USERS}/admin", role))[0] == 200
        assert (await send(admin, web_hub, "GET", USERS))[0] == 403
        assert (await send(admin, web_hub, "POST", USERS, twin))[0] == 403
    assert (await send(http, web_hub, "DELETE", f"{USERS}/li"))[0] == 200
    assert (await send(http, web_hub, "DELETE", f"{USERS}/li"))[0] == 404
    audit = (await listed(http, web_hub))["audit"]
    assert audit[1]["event"] == "role_changed" and audit[1]["role"] == "auditor"
    assert "4711" not in json.dumps(audit) and "card-77" not in json.dumps(audit)


async def test_never_the_last_administrator_nor_ones_own_rights(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    await sign_in(http, web_hub, "root")
    for change in ({"action": "disable"}, {"action": "role", "role": "manager"}):
        status, text = await send(http, web_hub, "POST", f"{USERS}/root", change)
        assert status == 409 and "own" in text, text
    assert (await send(http, web_hub, "DELETE", f"{USERS}/root"))[0] == 409
    status, text = await send(http, web_hub, "POST", f"{USERS}/root", {"action": "fly"})
    assert status == 400 and "action" in text
    assert (await send(http, web_hub, "POST", USERS, [1, 2]))[0] == 400
    # A manager may look at the users but not change them.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as admin:
        await sign_in(admin, web_hub, "admin")
        assert (await listed(admin, web_hub))["me"] == {
            "user": "admin", "role": "manager", "manage": False,
        }  # fmt: skip
        assert (await send(admin, web_hub, "DELETE", f"{USERS}/root"))[0] == 403
    # The store itself keeps one administrator: the last one cannot go, whoever asks.
    users = web_hub.hub.staff.users
    root = await users.get("root")
    entry = {"at": 0, "by": "test", "event": "user_deleted", "user": "root"}
    assert await users.change("delete", "root", None, entry, was=root) == "last_administrator"
    # A change made from a stale copy of the user is refused, not lost over the newer one.
    admin = await users.get("admin")
    assert admin is not None
    status, _ = await send(http, web_hub, "POST", f"{USERS}/admin", {"action": "disable"})
    assert status == 200
    stale = dataclasses.replace(admin, role="auditor")
    assert await users.change("replace", "admin", stale, entry, was=admin) == "changed"
    assert (await users.get("admin")) == dataclasses.replace(admin, disabled=True)


async def test_the_hall_file_seeds_only_a_hall_without_users(
    hall_config_path: Path, http: aiohttp.ClientSession, hall_file: Callable[..., Path],
    password_hash: str,
) -> None:  # fmt: skip
    async with running_hub(hall_config_path) as first:
        await sign_in(http, first, "root")
        assert (await send(http, first, "DELETE", f"{USERS}/admin"))[0] == 200
    # The file names "admin" again and a new "newcomer": the stored users stay as they are.
    path = hall_file(
        users=[
            {"name": "root", "password_hash": password_hash, "role": "administrator"},
            {"name": "admin", "password_hash": password_hash, "role": "manager"},
            {"name": "newcomer", "password_hash": password_hash, "role": "manager"},
        ],
        devices=demo_devices(),
    )
    async with running_hub(path) as again:
        assert [u.name for u in await again.hub.staff.users.all()] == ["root"]
        # root's session of the first hub is still good after the restart.
        assert (await listed(http, again))["me"]["user"] == "root"
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
            async with other.post(
                again.http_url + "/login",
                data={"name": "newcomer", "password": PASSWORD},
                allow_redirects=False,
            ) as r:
                assert r.status == 401


async def test_a_change_from_a_stale_copy_is_refused_and_a_clerk_is_promoted_with_a_password(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    await sign_in(http, web_hub, "root")
    clerk = {"name": "sun", "role": "clerk", "staff": "2002", "pin": "4711"}
    assert (await send(http, web_hub, "POST", USERS, clerk))[0] == 201
    shown = {u["name"]: u for u in (await listed(http, web_hub))["users"]}["sun"]
    # Two administrators' pages show the same version; the first change wins.
    first = {"action": "role", "role": "manager", "version": shown["version"]}
    status, text = await send(http, web_hub, "POST", f"{USERS}/sun", first)
    assert status == 400 and text.startswith("password:")  # a dashboard role needs one
    first["password"] = NEW_PASSWORD  # asked for by the page, sent with the role
    status, body = await send(http, web_hub, "POST", f"{USERS}/sun", first)
    assert status == 200 and body["fields"] == ["role", "password"], body
    second = {"action": "role", "role": "auditor", "version": shown["version"]}
    status, text = await send(http, web_hub, "POST", f"{USERS}/sun", {**second, "password": ""})
    assert status == 409 and "reload" in text
    stale_delete = f"{USERS}/sun?version={shown['version']}"
    assert (await send(http, web_hub, "DELETE", stale_delete))[0] == 409
    now = {u["name"]: u for u in (await listed(http, web_hub))["users"]}["sun"]
    assert now["role"] == "manager" and now["version"] != shown["version"]
    bad = {"action": "disable", "version": 7}
    assert (await send(http, web_hub, "POST", f"{USERS}/sun", bad))[0] == 400
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as sun:
        await sign_in(sun, web_hub, "sun", NEW_PASSWORD)  # the promoted clerk signs in
        assert (await send(sun, web_hub, "GET", USERS))[0] == 200
    fresh = {"action": "role", "role": "auditor", "version": now["version"]}
    assert (await send(http, web_hub, "POST", f"{USERS}/sun", fresh))[0] == 200
    assert (await send(http, web_hub, "DELETE", f"{USERS}/sun?version=" + now["version"]))[0] == 409
