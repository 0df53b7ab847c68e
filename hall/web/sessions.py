"""Dashboard sign-in: argon2id password hashes (argon2-cffi) and login sessions in the store.

A session is a random 32-byte token in the ``hall_session`` cookie, kept 12 hours in the
hall's store under the SHA-256 of the token (`hall.store.sessions`), so every hub of the hall
knows it: a standby that takes over, or a restarted hub, keeps everybody signed in. Signing
out deletes it. The users are read from the store on every sign-in and every use of a
session (`UserDirectory`: the hall's stored accounts, managed from the dashboard), so a
role change applies at once and a disabled or deleted user's sessions stop working. While
the store cannot be reached, the sessions this process made or saw stay
valid from its memory (nobody is signed out by a Redis restart). Checking a password costs
tens of milliseconds of CPU by design: call `check_password` off the event loop.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from typing import Protocol, runtime_checkable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hall.contract.errors import StoreUnavailable
from hall.domain import roles
from hall.domain.config import UserConfig

COOKIE = "hall_session"
SESSION_TTL_S = 12 * 3600
MAX_REMEMBERED = 1000  # sessions this process keeps in memory for store outages
log = logging.getLogger("hall.web.sessions")
_HASHER = PasswordHasher()  # argon2id with the library's recommended parameters


def hash_password(password: str) -> str:
    """An argon2id hash for ``[[users]] password_hash``."""
    return _HASHER.hash(password)


@dataclass(frozen=True)
class Session:
    token: str
    user: str
    role: str  # one of hall.domain.roles.ROLES
    created: float
    expires: float

    @property
    def may_act(self) -> bool:
        return roles.may_act(self.role)

    def allowed(self, action: str) -> bool:
        """May this session do `action` (one of hall.domain.roles.ACTIONS)?"""
        return roles.allowed(self.role, action)


class SessionStore(Protocol):
    """Where sessions are kept, by the SHA-256 of their token (`hall.store.sessions`)."""

    async def put(self, digest: str, record: bytes, ttl_s: float) -> None: ...
    async def get(self, digest: str) -> bytes | None: ...
    async def delete(self, digest: str) -> bool: ...
    async def entries(self) -> list[tuple[str, bytes]]: ...


class MemorySessionStore:
    """Sessions in this process only (a hub without a store, and tests)."""

    def __init__(self) -> None:
        self.records: dict[str, bytes] = {}

    async def put(self, digest: str, record: bytes, ttl_s: float) -> None:
        self.records[digest] = record

    async def get(self, digest: str) -> bytes | None:
        return self.records.get(digest)

    async def delete(self, digest: str) -> bool:
        return self.records.pop(digest, None) is not None

    async def entries(self) -> list[tuple[str, bytes]]:
        return list(self.records.items())


@runtime_checkable
class UserDirectory(Protocol):
    """Where the users are looked up by name (`hall.store.users.StoredUsers`)."""

    async def get(self, name: str) -> UserConfig | None: ...


class MemoryUsers:
    """Users in this process only (tests, a hub without a store)."""

    def __init__(self, users: Iterable[UserConfig]) -> None:
        self.users = {u.name: u for u in users}

    async def get(self, name: str) -> UserConfig | None:
        return self.users.get(name)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    def __init__(
        self,
        users: UserDirectory | Iterable[UserConfig],
        store: SessionStore | None = None,
        *,
        ttl_s: float = SESSION_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.users = users if isinstance(users, UserDirectory) else MemoryUsers(users)
        self.store: SessionStore = store if store is not None else MemorySessionStore()
        self.ttl_s = ttl_s
        self.clock = clock
        # The sessions this process made or found in the store, for when it cannot be reached.
        self._remembered: OrderedDict[str, Session] = OrderedDict()
        self.on_end: list[Callable[[str], None]] = []  # called with the token of a sign-out
        # Unknown names are checked against this, so they cost as long as a wrong password.
        self._decoy = _HASHER.hash(secrets.token_urlsafe(16))

    async def find(self, name: str) -> UserConfig | None:
        """The user of this name, to check a password against (raises StoreUnavailable)."""
        return await self.users.get(name)

    def check_password(self, user: UserConfig | None, password: str) -> UserConfig | None:
        """The user when it exists and the password matches, else None (blocking: run it in
        a thread)."""
        has_password = user is not None and bool(user.password_hash)  # a clerk may have none
        try:
            _HASHER.verify(user.password_hash if user and has_password else self._decoy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if user is None or not has_password or user.disabled:
            return None
        if not roles.allowed(user.role, roles.READ):
            return None  # a clerk signs in at a window, not here
        return user

    async def create(self, user: UserConfig) -> Session:
        """A new session for `user`, stored before it is handed out (raises StoreUnavailable)."""
        now = self.clock()
        session = Session(
            token=secrets.token_urlsafe(32),
            user=user.name,
            role=roles.canonical_role(user.role),
            created=now,
            expires=now + self.ttl_s,
        )
        record = json.dumps({k: v for k, v in asdict(session).items() if k != "token"})
        await self.store.put(token_digest(session.token), record.encode(), self.ttl_s)
        self._remember(session)
        return session

    async def get(self, token: str | None) -> Session | None:
        """The live session of this cookie value, or None (unknown, expired or revoked)."""
        if not token:
            return None
        try:
            record = await self.store.get(token_digest(token))
        except StoreUnavailable as exc:
            log.warning("sessions unavailable, using the ones this hub knows: %s", exc)
            session = self._remembered.get(token)
        else:
            session = _parse(token, record) if record is not None else None
            if session is None:
                self._remembered.pop(token, None)
            else:
                self._remember(session)
        if session is None:
            return None
        if session.expires <= self.clock():
            self._remembered.pop(token, None)
            return None
        try:
            user = await self.users.get(session.user)
        except StoreUnavailable:
            return session  # as it was when this hub last saw it
        if user is None or user.disabled or not roles.allowed(user.role, roles.READ):
            self._remembered.pop(token, None)
            return None
        role = roles.canonical_role(user.role)
        return session if role == session.role else replace(session, role=role)

    async def end_user(self, name: str) -> int:
        """End every session of one user (disabled or deleted): how many were ended."""
        ended = 0
        for listed in await self.listed():
            if listed["user"] == name and await self.end_by_id(str(listed["id"])):
                ended += 1
        return ended

    async def listed(self) -> list[dict[str, object]]:
        """Every live session of the hall (any hub's), by id (the digest, never the token)."""
        out: list[dict[str, object]] = []
        for digest, record in await self.store.entries():
            session = _parse("", record)
            if session is not None and session.expires > self.clock():
                view = {k: v for k, v in asdict(session).items() if k != "token"}
                out.append({"id": digest, **view})
        return sorted(out, key=lambda s: str(s["created"]))

    async def end_by_id(self, digest: str) -> bool:
        """A manager ends someone's session: revoked for every hub, its pages closed here."""
        token = next((t for t in self._remembered if token_digest(t) == digest), None)
        if token is not None:
            await self.end(token)
            return True
        return await self.store.delete(digest)

    async def end(self, token: str | None) -> None:
        """Sign out: the session is revoked for every hub of the hall."""
        if not token:
            return
        known = self._remembered.pop(token, None) is not None
        try:
            known = await self.store.delete(token_digest(token)) or known
        except StoreUnavailable as exc:
            log.warning("could not revoke a session in the store: %s", exc)
        if known:
            for callback in list(self.on_end):
                callback(token)

    def _remember(self, session: Session) -> None:
        self._remembered[session.token] = session
        self._remembered.move_to_end(session.token)
        while len(self._remembered) > MAX_REMEMBERED:
            self._remembered.popitem(last=False)

    def __len__(self) -> int:
        """The sessions this process remembers."""
        return len(self._remembered)


def _parse(token: str, record: bytes) -> Session | None:
    try:
        data = json.loads(record)
        return Session(
            token=token,
            user=str(data["user"]),
            role=roles.canonical_role(str(data["role"])),
            created=float(data["created"]),
            expires=float(data["expires"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
