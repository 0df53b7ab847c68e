"""A clerk disabled or deleted on /dashboard/staff is signed out at their window at once: the
window is closed as a manager closes it (audited with who), so the pad can no longer call or
pause; a staff number freed by a deletion is signed in nowhere when it is given again."""

from __future__ import annotations

import aiohttp

from hall.hub.runtime import Running
from tests.integration.contract_client import ContractClient

from .conftest import sign_in
from .test_staff_users import USERS, hall_config_path, send

__all__ = ["hall_config_path"]  # the hall with the administrator "root"


async def test_a_disabled_or_deleted_clerk_is_signed_out_at_the_window(
    web_hub: Running, http: aiohttp.ClientSession, mqtt: ContractClient
) -> None:
    await sign_in(http, web_hub, "root")
    for name, staff, pin in (("li", "1001", "4711"), ("wang", "1002", "4712")):
        clerk = {"name": name, "role": "clerk", "staff": staff, "pin": pin}
        assert (await send(http, web_hub, "POST", USERS, clerk))[0] == 201
    await mqtt.ok("pad-1", "window.open", {"staff": "1001", "pin": "4711"})
    await mqtt.ok("pad-2", "window.open", {"staff": "1002", "pin": "4712"})
    windows = web_hub.hub.state.windows
    assert (windows["1"].state, windows["2"].state) == ("open", "open")

    status, body = await send(http, web_hub, "POST", f"{USERS}/li", {"action": "disable"})
    assert status == 200, body
    assert body["windows"] == [{"window": "1", "staff": "1001", "result": "closed"}]
    assert windows["1"].state == "closed" and windows["1"].staff is None
    assert await mqtt.error("pad-1", "call.next") == "window_closed"
    assert await mqtt.error("pad-1", "window.pause", {"reason": "x"}) == "window_closed"
    assert await mqtt.error("pad-1", "window.open", {"staff": "1001", "pin": "4711"}) == (
        "bad_credentials"
    )

    status, body = await send(http, web_hub, "DELETE", f"{USERS}/wang")
    assert status == 200 and body["windows"][0]["window"] == "2", body
    assert windows["2"].state == "closed"
    newcomer = {"name": "zhao", "role": "clerk", "staff": "1002", "pin": "5555"}
    status, body = await send(http, web_hub, "POST", USERS, newcomer)
    assert status == 201 and "windows" not in body, body
    assert all(w.staff != "1002" for w in windows.values())

    twin = {"name": "ＺＨＡＯ", "role": "clerk", "staff": "1003", "pin": "5556"}
    status, text = await send(http, web_hub, "POST", USERS, twin)
    assert status == 409 and "zhao" in text
    bidi = {"name": "zh\u202eao", "role": "clerk", "staff": "1003", "pin": "5556"}
    status, text = await send(http, web_hub, "POST", USERS, bidi)
    assert status == 400 and "U+202E" in text

    audit = (await send(http, web_hub, "GET", USERS))[1]["audit"]
    ended = [e for e in audit if e["event"] == "window_signed_out"]
    assert {(e["user"], e["window"], e["by"]) for e in ended} == {
        ("li", "1", "root"),
        ("wang", "2", "root"),
    }
