"""Dashboard sign-in: argon2id password hashes (argon2-cffi) and login sessions in memory.

A session is a random 32-byte token in the ``hall_session`` cookie; sessions live in the hub's
memory for 12 hours (a restart signs everybody out). Checking a password costs tens of
milliseconds of CPU by design: call `check_password` off the event loop.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .config import UserConfig

COOKIE = "hall_session"
SESSION_TTL_S = 12 * 3600
MAX_SESSIONS = 1000  # the oldest sessions go first beyond this
_HASHER = PasswordHasher()  # argon2id with the library's recommended parameters


def hash_password(password: str) -> str:
    """An argon2id hash for ``[[users]] password_hash``."""
    return _HASHER.hash(password)


@dataclass(frozen=True)
class Session:
    token: str
    user: str
    role: str  # manager: may act; viewer: may only look
    created: float
    expires: float

    @property
    def may_act(self) -> bool:
        return self.role == "manager"


class Sessions:
    def __init__(
        self,
        users: Iterable[UserConfig],
        *,
        ttl_s: float = SESSION_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.users = {u.name: u for u in users}
        self.ttl_s = ttl_s
        self.clock = clock
        self._sessions: dict[str, Session] = {}
        self.on_end: list[Callable[[str], None]] = []  # called with the token of a sign-out
        # Unknown names are checked against this, so they cost as long as a wrong password.
        self._decoy = _HASHER.hash(secrets.token_urlsafe(16))

    def check_password(self, name: str, password: str) -> UserConfig | None:
        """The user when the name and password match, else None (blocking: run it in a thread)."""
        user = self.users.get(name)
        try:
            _HASHER.verify(user.password_hash if user else self._decoy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return user

    def create(self, user: UserConfig) -> Session:
        now = self.clock()
        self._expire(now)
        while len(self._sessions) >= MAX_SESSIONS:
            del self._sessions[next(iter(self._sessions))]
        session = Session(
            token=secrets.token_urlsafe(32),
            user=user.name,
            role=user.role,
            created=now,
            expires=now + self.ttl_s,
        )
        self._sessions[session.token] = session
        return session

    def get(self, token: str | None) -> Session | None:
        """The live session of this cookie value, or None (unknown or expired)."""
        if not token:
            return None
        session = self._sessions.get(token)
        if session is None:
            return None
        if session.expires <= self.clock() or session.user not in self.users:
            self._sessions.pop(token, None)
            return None
        return session

    def end(self, token: str | None) -> None:
        if token and self._sessions.pop(token, None) is not None:
            for callback in list(self.on_end):
                callback(token)

    def _expire(self, now: float) -> None:
        for token in [t for t, s in self._sessions.items() if s.expires <= now]:
            del self._sessions[token]

    def __len__(self) -> int:
        return len(self._sessions)
