"""Sign-in sessions and argon2 password hashes, without a server; `hall hash-password`."""

from __future__ import annotations

import io

import pytest
from argon2 import PasswordHasher

from hall.cli import main
from hall.config import UserConfig
from hall.sessions import Sessions, hash_password

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


def test_passwords_are_checked_against_argon2id_hashes(users: list[UserConfig]) -> None:
    assert users[0].password_hash.startswith("$argon2id$")
    sessions = Sessions(users)
    assert sessions.check_password("admin", PASSWORD) == users[0]
    assert sessions.check_password("admin", PASSWORD + " ") is None
    assert sessions.check_password("nobody", PASSWORD) is None
    assert sessions.check_password("admin", "") is None


def test_a_session_lives_12_hours_and_ends_on_sign_out(users: list[UserConfig]) -> None:
    clock = Clock()
    sessions = Sessions(users, clock=clock)
    ended: list[str] = []
    sessions.on_end.append(ended.append)
    session = sessions.create(users[0])
    assert len(session.token) >= 43 and session.may_act
    assert sessions.get(session.token) == session
    assert sessions.get("made-up") is None and sessions.get(None) is None
    clock.now += 12 * 3600 - 1
    assert sessions.get(session.token) == session
    clock.now += 1
    assert sessions.get(session.token) is None
    other = sessions.create(users[1])
    assert not other.may_act  # a viewer
    sessions.end(other.token)
    assert sessions.get(other.token) is None and ended == [other.token]
    sessions.end(other.token)  # twice: nothing more happens
    assert ended == [other.token]


def test_a_user_removed_from_the_hall_file_loses_the_session(users: list[UserConfig]) -> None:
    session = Sessions(users).create(users[0])
    assert Sessions(users[1:]).get(session.token) is None


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
