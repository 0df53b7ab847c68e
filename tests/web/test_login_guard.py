"""Sign-in throttling and lockout against a real hub; the counts outlive the hub."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aredis
from yarl import URL

from hall.hub.runtime import Running
from hall.store.login_attempts import Attempts
from hall.web import login_guard
from hall.web.login_guard import LoginRules, refusal
from hall.web.pages import PASSWORD_CHECKS
from tests.integration.conftest import running_hub

from .conftest import PASSWORD

# No waiting between failures, a lock at the 5th: the lockout without the delays' seconds.
QUICK_LOCK = LoginRules(account_free=100, address_free=100, account_lock_after=5, lock_s=600)


async def post_login(
    http: aiohttp.ClientSession, hub: Running, password: str, name: str = "admin"
) -> aiohttp.ClientResponse:
    async with http.post(
        hub.http_url + "/login",
        data={"name": name, "password": password},
        allow_redirects=False,
    ) as response:
        await response.read()
        return response


async def test_wrong_passwords_lock_the_account_and_the_right_one_is_then_refused(
    monkeypatch: pytest.MonkeyPatch, hall_config_path: Path, http: aiohttp.ClientSession
) -> None:
    monkeypatch.setattr(login_guard, "RULES", QUICK_LOCK)
    async with running_hub(hall_config_path) as hub:
        for _ in range(5):
            assert (await post_login(http, hub, "wrong")).status == 401
        locked = await post_login(http, hub, PASSWORD)
        assert locked.status == 403
        events = [(e["event"], e["user"]) for e in await hub.hub.staff.users.audit_log()]
        assert events[:2] == [("login_locked", "admin"), ("login_failed", "admin")]
        assert PASSWORD not in json.dumps(events)
        retry_after = int(locked.headers["Retry-After"])
        assert 590 <= retry_after <= 600
        text = await locked.text()
        assert "锁定" in text and re.search(r"请在 \d\d:\d\d", text)
        assert not http.cookie_jar.filter_cookies(URL(hub.http_url))
        # Another account is not locked by it.
        assert (await post_login(http, hub, PASSWORD, name="guest")).status == 303
        assert (await hub.hub.staff.users.audit_log())[0]["event"] == "login"
    # A restart forgets nothing: the counts are in the store.
    async with running_hub(hall_config_path) as hub:
        assert (await post_login(http, hub, PASSWORD)).status == 403


async def test_after_a_few_failures_the_next_attempt_must_wait(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    for _ in range(3):
        assert (await post_login(http, web_hub, "wrong")).status == 401
    response = await post_login(http, web_hub, PASSWORD)
    assert response.status == 429
    assert response.headers["Retry-After"] == "1"
    assert "秒后再试" in await response.text()


async def test_one_address_guessing_many_accounts_is_locked(
    monkeypatch: pytest.MonkeyPatch, hall_config_path: Path, http: aiohttp.ClientSession
) -> None:
    rules = LoginRules(account_free=100, address_free=100, address_lock_after=6, lock_s=60)
    monkeypatch.setattr(login_guard, "RULES", rules)
    async with running_hub(hall_config_path) as hub:
        for n in range(6):
            assert (await post_login(http, hub, "x", name=f"user{n}")).status == 401
        assert (await post_login(http, hub, PASSWORD)).status == 403


async def test_guesses_at_one_account_sent_at_once_wait_in_turn_and_are_audited(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    answers = await asyncio.gather(*(post_login(http, web_hub, f"guess{n}") for n in range(10)))
    statuses = sorted(response.status for response in answers)
    free = login_guard.RULES.account_free
    assert statuses == [401] * free + [429] * (10 - free), statuses  # the backoff holds
    audit = await web_hub.hub.staff.users.audit_log()
    failed = [e for e in audit if e["event"] == "login_failed"]
    assert len(failed) == free and all(e["user"] == "admin" for e in failed)
    assert all("guess" not in json.dumps(e) for e in audit)
    await post_login(http, web_hub, "wrong", name="nobody-of-this-name")
    assert (await web_hub.hub.staff.users.audit_log())[0] == {
        **(await web_hub.hub.staff.users.audit_log())[0],
        "event": "login_failed",
        "user": "",
    }


async def test_twenty_parallel_guesses_run_at_most_two_password_checks_at_once(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    checks = web_hub.app[PASSWORD_CHECKS]
    guesses = (post_login(http, web_hub, "guess", name=f"user{n}") for n in range(20))
    answers = await asyncio.gather(*guesses)  # many accounts: one account's wait in turn
    statuses = sorted(response.status for response in answers)
    assert set(statuses) <= {401, 429, 503}, statuses
    assert 503 in statuses  # more than the queue holds: refused at once, not queued
    busy = [r for r in answers if r.status == 503]
    assert all(r.headers["Retry-After"] == "2" for r in busy)
    assert checks.peak <= checks.at_once
    async with http.get(web_hub.http_url + "/healthz") as response:
        assert response.status == 200


async def test_the_counts_are_stored_under_digests_not_names(
    web_hub: Running, http: aiohttp.ClientSession, redis_url: str, hall_id: str
) -> None:
    assert (await post_login(http, web_hub, "wrong", name="王小明")).status == 401
    client = aredis.from_url(redis_url)
    try:
        keys = [k.decode() async for k in client.scan_iter(match=f"{{hall:{hall_id}}}:login:*")]
    finally:
        await client.aclose()
    assert len(keys) == 2  # the account and the address
    assert not any("王小明" in k or "127.0.0.1" in k for k in keys)


@pytest.mark.parametrize(
    ("attempts", "now", "expected"),
    [
        (Attempts(), 100.0, None),
        (Attempts(failures=2, last=99.0), 100.0, None),  # the first 3 are free
        (Attempts(failures=3, last=99.5), 100.0, (False, 1)),  # then 1 s
        (Attempts(failures=5, last=99.0), 100.0, (False, 3)),  # 4 s after the last
        (Attempts(failures=20, last=99.0), 100.0, (False, 59)),  # at most 60 s
        (Attempts(failures=5, last=90.0), 100.0, None),  # waited long enough
        (Attempts(failures=3, last=0.0), 1000.0, None),  # forgotten after 15 min
        (Attempts(failures=10, last=99.0, locked_until=700.0), 100.0, (True, 600)),
    ],
)
def test_the_rules(attempts: Attempts, now: float, expected: tuple[bool, int] | None) -> None:
    found = refusal(attempts, now, LoginRules(), LoginRules().account_free)
    assert (None if found is None else (found.locked, found.retry_after_s)) == expected
