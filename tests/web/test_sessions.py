"""Sign-in sessions and argon2 password hashes, without a server; `hall hash-password`."""

from __future__ import annotations

import io

import pytest
from argon2 import PasswordHasher

from hall.cli.main import main
from hall.domain.config import UserConfig
from hall.web.sessions import MemorySessionStore, Sessions, hash_password

PASSWORD = "窗口 secret 42"


@pytest.fixture(scope="module")
def users() -> list[UserConfig]:
    hashed = hash_password(PASSWORD)
    return [UserConfig("admin", hashed, "manager"), UserConfig("guest", hashed, "viewer")]


class Clock:
    def __init__(self) -> None:
        self.now = 1_795_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_passwords_are_checked_against_argon2id_hashes(users: list[UserConfig]) -> None:
    assert users[0].password_hash.startswith("$argon2id$")
    sessions = Sessions(users)
    admin = await sessions.find("admin")
    assert sessions.check_password(admin, PASSWORD) == users[0]
    assert sessions.check_password(admin, PASSWORD + " ") is None
    assert sessions.check_password(await sessions.find("nobody"), PASSWORD) is None
    assert sessions.check_password(admin, "") is None


async def test_a_session_lives_12_hours_and_ends_on_sign_out(users: list[UserConfig]) -> None:
    clock = Clock()
    sessions = Sessions(users, clock=clock)
    ended: list[str] = []
    sessions.on_end.append(ended.append)
    session = await sessions.create(users[0])
    assert len(session.token) >= 43 and session.may_act
    assert await sessions.get(session.token) == session
    assert await sessions.get("made-up") is None and await sessions.get(None) is None
    clock.now += 12 * 3600 - 1
    assert await sessions.get(session.token) == session
    clock.now += 1
    assert await sessions.get(session.token) is None
    other = await sessions.create(users[1])
    assert not other.may_act  # a viewer
    await sessions.end(other.token)
    assert await sessions.get(other.token) is None and ended == [other.token]
    await sessions.end(other.token)  # twice: nothing more happens
    assert ended == [other.token]


async def test_a_user_removed_from_the_hall_file_loses_the_session(
    users: list[UserConfig],
) -> None:
    shared = MemorySessionStore()
    session = await Sessions(users, shared).create(users[0])
    assert await Sessions(users, shared).get(session.token) == session
    assert await Sessions(users[1:], shared).get(session.token) is None


def test_hash_password_prints_a_hash_the_hub_accepts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["hash-password", "--stdin"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("$argon2id$")
    assert PasswordHasher().verify(printed, PASSWORD)
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert main(["hash-password", "--stdin"]) == 1
