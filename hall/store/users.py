"""The hall's staff accounts and their audit stream, in the store.

The hall file seeds the users of a hall whose store has none yet (`seed`, one script: a
hall with users stored keeps them exactly, so a dashboard change, a deletion included,
survives a restart and a later edit of the file); after that they are changed from the
dashboard (`change`). A record holds argon2 hashes and a card digest only: never a PIN or
password. Every account change and sign-in (success, failure, lockout, unlock) is added to a
capped stream, read back newest first for the dashboard; an account change and its audit
entry are written by one script, which also refuses a change that would leave the hall
without an active administrator or give two users one staff number.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any, Literal

from hall.domain.config import UserConfig
from hall.store.connection import StoreClient, unavailable_as_store_error
from hall.store.keys import HallKeys

__all__ = [
    "AUDIT_KEEP",
    "StoredUsers",
    "UserChange",
    "user_from_json",
    "user_to_json",
    "user_version",
]

AUDIT_KEEP = 10_000  # audit entries kept (about a year of a busy hall's sign-ins)
UserChange = Literal["add", "replace", "delete"]

# KEYS[1] the users hash; ARGV: name, record, name, record, ... Only a hall without users.
_SEED = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 1, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return #ARGV / 2
"""

# KEYS[1] the users hash, KEYS[2] the audit stream; ARGV: change (add|replace|delete), name,
# the new record (empty for a delete), the audit entry, how many entries to keep, the record
# the change was made from (empty for an add). Answers ok, exists, not_found, changed (someone
# changed the user meanwhile), staff_taken or last_administrator (nothing written but on ok).
_CHANGE = """
local change, name = ARGV[1], ARGV[2]
local old = redis.call('HGET', KEYS[1], name)
if change == 'add' and old then return 'exists' end
if change ~= 'add' and not old then return 'not_found' end
if change ~= 'add' and old ~= ARGV[6] then return 'changed' end
local new = nil
if change ~= 'delete' then new = cjson.decode(ARGV[3]) end
local function admin(u)
  return u ~= nil and u.role == 'administrator' and u.disabled ~= true
end
local before, after = 0, 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local ok, u = pcall(cjson.decode, all[i + 1])
  if ok and type(u) == 'table' then
    if admin(u) then before = before + 1 end
    if all[i] ~= name then
      if admin(u) then after = after + 1 end
      if new and type(new.staff) == 'string' and u.staff == new.staff then
        return 'staff_taken'
      end
    end
  end
end
if admin(new) then after = after + 1 end
if before > 0 and after == 0 then return 'last_administrator' end
if new then redis.call('HSET', KEYS[1], name, ARGV[3]) else redis.call('HDEL', KEYS[1], name) end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'entry', ARGV[4])
return 'ok'
"""


def user_to_json(user: UserConfig) -> str:
    return json.dumps(asdict(user), sort_keys=True, ensure_ascii=False)


def user_version(user: UserConfig) -> str:
    """A short digest of the stored user: a page sends back the version it showed, and a
    change made from an older copy is refused (``changed``). One-way, so it reveals no hash."""
    return hashlib.sha256(user_to_json(user).encode()).hexdigest()[:16]


def user_from_json(raw: bytes | str) -> UserConfig | None:
    """A stored record, or None when it cannot be read (logged by the caller)."""
    try:
        data = json.loads(raw)
        return UserConfig(
            name=str(data["name"]),
            password_hash=str(data["password_hash"]),
            role=str(data["role"]),
            staff=_optional(data.get("staff")),
            pin_hash=_optional(data.get("pin_hash")),
            card_hash=_optional(data.get("card_hash")),
            disabled=bool(data.get("disabled", False)),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _optional(value: object) -> str | None:
    return None if value is None else str(value)


class StoredUsers:
    def __init__(self, client: StoreClient, keys: HallKeys) -> None:
        self.client = client
        self.keys = keys
        self._seed = client.register_script(_SEED)
        self._change = client.register_script(_CHANGE)

    async def seed(self, users: tuple[UserConfig, ...]) -> int:
        """Store the hall file's users when the hall has none stored yet (a new hall); how
        many were added (0 when the store already has users: they stay as they are)."""
        if not users:
            return 0
        args = [part for user in users for part in (user.name, user_to_json(user))]
        with unavailable_as_store_error():
            return int(await self._seed(keys=[self.keys.users], args=args))

    async def change(
        self,
        change: UserChange,
        name: str,
        user: UserConfig | None,
        entry: dict[str, Any],
        was: UserConfig | None = None,
    ) -> str:
        """Add, replace or delete one user and audit it, atomically: ``ok``, or why not
        (``exists``, ``not_found``, ``changed``: the stored user is no longer `was`,
        ``staff_taken``, ``last_administrator``)."""
        record = user_to_json(user) if user is not None else ""
        audit = json.dumps(entry, sort_keys=True, ensure_ascii=False)
        expected = user_to_json(was) if was is not None else ""
        args: list[str | int] = [change, name, record, audit, AUDIT_KEEP, expected]
        with unavailable_as_store_error():
            answer = await self._change(keys=[self.keys.users, self.keys.audit], args=args)
        return answer.decode() if isinstance(answer, bytes) else str(answer)

    async def all(self) -> list[UserConfig]:
        with unavailable_as_store_error():
            raw = await self.client.hgetall(self.keys.users)
        users = (user_from_json(value) for value in raw.values())
        return sorted((u for u in users if u is not None), key=lambda u: u.name)

    async def get(self, name: str) -> UserConfig | None:
        with unavailable_as_store_error():
            raw = await self.client.hget(self.keys.users, name)
        return user_from_json(raw) if raw is not None else None

    async def put(self, user: UserConfig) -> None:
        with unavailable_as_store_error():
            await self.client.hset(self.keys.users, user.name, user_to_json(user))

    async def audit(self, entry: dict[str, Any]) -> None:
        """Record one account change or sign-in (`at`, `event`, `by`, `user`, details)."""
        fields: dict[Any, Any] = {"entry": json.dumps(entry, sort_keys=True, ensure_ascii=False)}
        with unavailable_as_store_error():
            await self.client.xadd(self.keys.audit, fields, maxlen=AUDIT_KEEP, approximate=True)

    async def audit_log(self, count: int = 200) -> list[dict[str, Any]]:
        """The newest `count` audit entries, newest first."""
        with unavailable_as_store_error():
            rows = await self.client.xrevrange(self.keys.audit, count=count)
        out: list[dict[str, Any]] = []
        for _id, fields in rows or ():
            raw = (fields or {}).get(b"entry")
            if raw is not None:
                out.append(json.loads(raw))
        return out
