"""A clerk's sign-in at a window: the lookup before `window.open` is decided.

For each `window.open` the hub finds the user with the staff number sent, checks the PIN
(argon2, off the event loop) or, on a pad with a staff card reader, the card's digest, and
reads the account's failed attempts; the pure core (`hall.domain.staff.check_sign_in`)
decides with what was found. The checks of one staff number run one at a time, and a failure
is counted (a lock at `LOCK_AFTER` failures, for `LOCK_S`) or the failures cleared before the
next check starts, so guesses sent at once get no more tries than guesses sent in turn. Every
sign-in is logged and added to the audit stream. The PIN is never logged, stored or answered.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import logging
import math
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hall.contract.errors import StoreUnavailable
from hall.contract.wire import Request
from hall.domain.actor import Actor
from hall.domain.config import HallConfig, UserConfig
from hall.domain.errors import DomainError
from hall.domain.staff import StaffCheck, check_sign_in
from hall.hub.subject_locks import SubjectLocks
from hall.store.login_attempts import ACCOUNT, LoginAttempts
from hall.store.users import StoredUsers

__all__ = ["LOCK_AFTER", "LOCK_S", "STAFF", "StaffSignIn", "card_digest"]

log = logging.getLogger("hall.hub.staff")
STAFF = "staff"  # the kind of subject counted in the sign-in attempts
LOCK_AFTER = 5  # failed PINs before a staff number is locked (a PIN has few digits)
LOCK_S = 15 * 60.0  # how long it stays locked; failures are forgotten as long after the last
_HASHER = PasswordHasher()
MAX_SECRET_CHARS = 64


def card_digest(card_id: str) -> str:
    """The digest a user's `card_hash` holds for the staff card with this id."""
    return hashlib.sha256(card_id.encode()).hexdigest()


class StaffSignIn:
    def __init__(
        self,
        config: HallConfig,
        users: StoredUsers,
        attempts: LoginAttempts,
        clock: Callable[[], float],
    ) -> None:
        self.config = config
        self.users = users
        self.attempts = attempts
        self.clock = clock
        # An unknown staff number's PIN is checked against this, so it costs as long; made
        # on first use, off the event loop (a hash costs tens of milliseconds).
        self._decoy: str | None = None
        self._locks = SubjectLocks()  # one sign-in check per staff number at a time

    async def seed(self) -> None:
        """Add the hall file's users the store does not know yet (a new hall)."""
        added = await self.users.seed(self.config.users)
        if added:
            log.info("%d user(s) of the hall file added to the store", added)

    async def prepare(self, actor: Actor, request: Request) -> Actor:
        """The actor of a `window.open`, with its credentials checked; others as they came.

        The checks of one staff number run one at a time (`SubjectLocks`): the lock state
        is read, the PIN or card checked, the lock state read again (a failure elsewhere may
        have locked it meanwhile) and a failure counted before the next guess is looked at;
        a right PIN clears the failures. So guesses sent at once lock the number at the
        `LOCK_AFTER`th failure like guesses sent one by one, and once locked even the right
        PIN is refused. Raises StoreUnavailable when the user or the attempts cannot be read.
        """
        staff = request.args.get("staff") if request.op == "window.open" else None
        if not isinstance(staff, str) or not staff:
            return actor
        user = await self._by_staff(staff)
        if user is None and not self.config.staff.require_pin:
            return actor  # a staff number nobody holds: signs in as it always did
        async with self._locks.hold(staff):
            check = await self._check(actor, request, staff, user)
            refused = _refusal(self.config.staff.require_pin, check)
            if refused == "bad_credentials":
                await self._failed(actor, staff)
            elif refused is None and (check.pin_ok or check.card_ok):
                await self.attempts.clear(STAFF, staff)
        return dataclasses.replace(actor, staff_check=check)

    async def _check(
        self, actor: Actor, request: Request, staff: str, user: UserConfig | None
    ) -> StaffCheck:
        """What was found for this attempt: its lock, and whether the PIN or card match."""
        pin, card = _secret(request.args, "pin"), _secret(request.args, "staff_card")
        check = StaffCheck(
            staff=staff,
            known=user is not None,
            active=user is not None and not user.disabled,
            role=user.role if user is not None else "",
            has_pin=user is not None and user.pin_hash is not None,
            locked_for_s=await self._locked_for_s(staff),
        )
        if check.locked_for_s > 0:
            return check  # locked: not even checked
        device = self.config.device(actor.id)
        card_ok = (
            card is not None
            and device is not None
            and device.card_reader
            and user is not None
            and user.card_hash is not None
            and hmac.compare_digest(card_digest(card), user.card_hash)
        )
        pin_ok = pin is not None and await asyncio.to_thread(self._pin_matches, user, pin)
        # Locked while the PIN was checked (another hub, or a failure not counted here)?
        locked_for_s = await self._locked_for_s(staff)
        return dataclasses.replace(check, card_ok=card_ok, pin_ok=pin_ok, locked_for_s=locked_for_s)

    async def _locked_for_s(self, staff: str) -> int:
        locked = await self.attempts.get(STAFF, staff)
        return max(0, math.ceil(locked.locked_until - self.clock()))

    async def _failed(self, actor: Actor, staff: str) -> None:
        """Count a refused PIN or card (under the staff number's lock), log and audit it.

        Counted when checked, so a device repeating the same request id counts again."""
        attempts = await self.attempts.fail(
            STAFF, staff, now=self.clock(), lock_after=LOCK_AFTER,
            lock_s=LOCK_S, forget_after_s=LOCK_S,
        )  # fmt: skip
        log.warning("staff %s: failed sign-in at %s", staff, actor.id)
        entry: dict[str, Any] = {"at": round(self.clock(), 3), "staff": staff, "device": actor.id}
        try:
            await self.users.audit({**entry, "event": "sign_in_failed"})
            if attempts.failures == LOCK_AFTER:
                log.warning("staff %s locked for %d s", staff, LOCK_S)
                await self.users.audit({**entry, "event": "locked"})
        except StoreUnavailable as exc:
            log.warning("could not audit the sign-in of staff %s: %s", staff, exc)

    async def settle(self, actor: Actor, code: str, duplicate: bool) -> None:
        """Audit an accepted sign-in (a refused one was counted and audited when checked)."""
        check = actor.staff_check
        if check is None or duplicate or code != "ok":
            return
        log.info("staff %s signed in at %s", check.staff, actor.id)
        entry = {"at": round(self.clock(), 3), "staff": check.staff, "device": actor.id}
        try:
            await self.users.audit({**entry, "event": "sign_in"})
        except StoreUnavailable as exc:
            log.warning("could not record the sign-in of staff %s: %s", check.staff, exc)

    async def lockouts(self) -> list[dict[str, Any]]:
        """Every user with failed sign-ins that still count: at the dashboard (`account`,
        by name) and at the windows (`staff`, by staff number)."""
        now, out = self.clock(), []
        for user in await self.users.all():
            subjects = [(ACCOUNT, user.name), *([(STAFF, user.staff)] if user.staff else [])]
            for kind, subject in subjects:
                attempts = await self.attempts.get(kind, subject)
                if attempts.failures or attempts.locked_until > now:
                    out.append(
                        {
                            "user": user.name,
                            "kind": kind,
                            "subject": subject,
                            "failures": attempts.failures,
                            "locked_for_s": max(0, math.ceil(attempts.locked_until - now)),
                        }
                    )
        return out

    async def unlock(self, subject: str, kind: str = STAFF, by: str = "") -> None:
        """Forget a staff number's (or a dashboard account's) failures, lock and all."""
        await self.attempts.clear(kind, subject)
        log.warning("%s %s unlocked by %s", kind, subject, by or "the hub")
        entry = {"at": round(self.clock(), 3), "event": "unlocked", "by": by, kind: subject}
        await self.users.audit(entry)

    async def _by_staff(self, staff: str) -> UserConfig | None:
        return next((u for u in await self.users.all() if u.staff == staff), None)

    def _pin_matches(self, user: UserConfig | None, pin: str) -> bool:
        """Blocking (argon2): run it in a thread."""
        if self._decoy is None:
            self._decoy = _HASHER.hash(secrets.token_urlsafe(16))
        stored = user.pin_hash if user is not None and user.pin_hash else self._decoy
        try:
            return bool(_HASHER.verify(stored, pin)) and user is not None and bool(user.pin_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def _refusal(require_pin: bool, check: StaffCheck) -> str | None:
    """The error code the core will answer this sign-in with, or None when it stands."""
    try:
        check_sign_in(require_pin, check)
    except DomainError as exc:
        return exc.code
    return None


def _secret(args: Mapping[str, Any], key: str) -> str | None:
    value = args.get(key)
    if isinstance(value, str) and 0 < len(value) <= MAX_SECRET_CHARS:
        return value
    return None
