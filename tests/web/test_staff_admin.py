"""The dashboard's staff section: a manager lists the signed-in sessions and ends one (its
dashboard socket is closed at once and the cookie no longer works), an auditor may not; the
users and their lockouts, unlocked by a manager."""

from __future__ import annotations

import aiohttp

from hall.domain import roles
from hall.domain.config import UserConfig
from hall.hub.runtime import Running
from hall.hub.staff import STAFF

from .conftest import closed_by_hub, open_dashboard, sign_in

STAFF_URL = "/dashboard/staff"


def test_every_role_has_its_table_row_and_an_auditor_never_acts() -> None:
    assert set(roles.PERMISSIONS) == set(roles.ROLES)
    assert roles.canonical_role("viewer") == "auditor"
    assert roles.allowed("viewer", roles.READ) and not roles.may_act("viewer")
    for action in roles.ACTIONS:
        assert roles.allowed("administrator", action)
        assert roles.allowed("auditor", action) == (action == roles.READ)
    assert not roles.allowed("clerk", roles.READ) and roles.allowed("clerk", "window.sign_in")
    assert not roles.allowed("manager", roles.USERS_MANAGE)


async def test_a_manager_ends_another_session_and_its_dashboard_closes(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as guest:
        await sign_in(guest, web_hub, "guest")
        guest_ws = await open_dashboard(guest, web_hub)
        await guest_ws.receive_json()  # the snapshot
        async with guest.get(web_hub.http_url + STAFF_URL + "/sessions") as r:
            assert r.status == 403  # an auditor looks at the hall, not at who is signed in
        await sign_in(http, web_hub, "admin")
        async with http.get(web_hub.http_url + STAFF_URL + "/sessions") as r:
            assert r.status == 200
            listed = (await r.json())["sessions"]
        assert {(s["user"], s["role"]) for s in listed} >= {
            ("guest", "auditor"),
            ("admin", "manager"),
        }
        assert all("token" not in s for s in listed)
        target = next(s["id"] for s in listed if s["user"] == "guest")
        async with http.delete(
            f"{web_hub.http_url}{STAFF_URL}/sessions/{target}", headers={"Origin": web_hub.http_url}
        ) as r:
            assert r.status == 200, await r.text()
        assert await closed_by_hub(guest_ws)
        async with guest.get(web_hub.http_url + "/dashboard", allow_redirects=False) as r:
            assert r.status in (302, 303)  # back to the sign-in page
        async with http.delete(
            f"{web_hub.http_url}{STAFF_URL}/sessions/{target}", headers={"Origin": web_hub.http_url}
        ) as r:
            assert r.status == 404


async def test_a_manager_sees_a_lockout_and_lifts_it(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    staff = web_hub.hub.staff
    await staff.attempts.fail(STAFF, "1001", now=web_hub.hub.now(), lock_after=1, lock_s=60,
                              forget_after_s=60)  # fmt: skip
    await staff.users.put(UserConfig("li", "$argon2id$x", "clerk", staff="1001"))
    await sign_in(http, web_hub, "admin")
    async with http.get(web_hub.http_url + STAFF_URL + "/users") as r:
        body = await r.json()
    assert {"user": "li", "kind": "staff", "subject": "1001", "failures": 1}.items() <= next(
        lock for lock in body["lockouts"] if lock["user"] == "li"
    ).items()
    assert next(u for u in body["users"] if u["name"] == "guest")["role"] == "auditor"
    async with http.post(
        web_hub.http_url + STAFF_URL + "/unlock",
        json={"kind": "staff", "subject": "1001"},
        headers={"Origin": web_hub.http_url},
    ) as r:
        assert r.status == 200
    async with http.get(web_hub.http_url + STAFF_URL + "/users") as r:
        body = await r.json()
    assert not any(lock["user"] == "li" for lock in body["lockouts"])
    assert body["audit"][0]["event"] == "unlocked" and body["audit"][0]["by"] == "admin"


async def test_the_staff_section_refuses_with_json_errors(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    async with http.get(web_hub.http_url + STAFF_URL + "/users") as r:
        assert r.status == 401
        assert (await r.json())["error"]["code"] == "unauthorized"
    await sign_in(http, web_hub, "admin")
    refusals = {
        b"not json": "JSON object",
        b"[1, 2]": "JSON object",
        b'{"kind": "staff"}': "kind",
        b'{"kind": "x", "subject": "1"}': "kind",
    }
    for body, named in refusals.items():
        async with http.post(
            web_hub.http_url + STAFF_URL + "/unlock",
            data=body,
            headers={"Content-Type": "application/json"},
        ) as r:
            assert r.status == 400, body
            error = (await r.json())["error"]
            assert error["code"] == "bad_request" and named in error["message"], body
    async with http.post(
        web_hub.http_url + STAFF_URL + "/unlock",
        json={"kind": "staff", "subject": "1001"},
        headers={"Origin": "http://elsewhere.example"},
    ) as r:
        assert r.status == 403
        assert (await r.json())["error"]["code"] == "bad_origin"
