"""Sign-in throttling and lockout, per account and per client address (OWASP's rules).

- An account's first `account_free` failures cost nothing (an address's first
  `address_free`: a hall's staff may share one address); after that the next attempt must
  wait 1 s, then 2, 4, ... up to `max_delay_s` after the last failure (answered ``429`` with
  ``Retry-After`` until then; the password is not even checked).
- At `account_lock_after` failures an account is locked for `lock_s`; an address at
  `address_lock_after`. While locked, even the
  right password is refused (``403`` with ``Retry-After``).
- Failures are forgotten `forget_after_s` after the last one; a successful sign-in clears
  the account's (not the address's).
- The attempts of one account are checked one at a time (`LoginGuard.one_at_a_time`): ten
  guesses sent at once wait and lock as ten sent in turn.
- The counts live in the store (`hall.store.login_attempts`): a restart forgets none.
- Password checks (argon2id: tens of milliseconds and 64 MiB each) run at most
  `PasswordChecks.at_once` at a time off the event loop, with a short queue; a guess beyond
  that is answered ``503`` at once, so 20 parallel guesses cannot take the hub's memory or CPU.

Every refusal and every lock is logged (the account name cut short, the address).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hall.domain.config import UserConfig
from hall.hub.subject_locks import SubjectLocks
from hall.store.login_attempts import ACCOUNT, ADDRESS, Attempts, LoginAttempts

__all__ = ["RULES", "Busy", "LoginGuard", "LoginRules", "PasswordChecks", "Refusal"]

log = logging.getLogger("hall.web.login")


@dataclass(frozen=True)
class LoginRules:
    account_free: int = 3
    address_free: int = 10
    max_delay_s: float = 60.0
    account_lock_after: int = 10
    address_lock_after: int = 50
    lock_s: float = 15 * 60.0
    forget_after_s: float = 15 * 60.0

    def delay_s(self, failures: int, free: int) -> float:
        """How long after the last failure the next attempt must wait."""
        if failures < free:
            return 0.0
        return float(min(self.max_delay_s, 2.0 ** (failures - free)))


RULES = LoginRules()


@dataclass(frozen=True)
class Refusal:
    """An attempt refused before its password is checked."""

    locked: bool  # locked for a while (403); else only too soon after a failure (429)
    retry_after_s: int


def refusal(attempts: Attempts, now: float, rules: LoginRules, free: int) -> Refusal | None:
    """Must this account's or address's next attempt wait? Pure."""
    if attempts.locked_until > now:
        return Refusal(True, max(1, math.ceil(attempts.locked_until - now)))
    if attempts.failures == 0 or now - attempts.last >= rules.forget_after_s:
        return None
    wait = attempts.last + rules.delay_s(attempts.failures, free) - now
    return Refusal(False, math.ceil(wait)) if wait > 0 else None


class LoginGuard:
    def __init__(
        self, attempts: LoginAttempts, clock: Callable[[], float], rules: LoginRules = RULES
    ) -> None:
        self.attempts = attempts
        self.clock = clock
        self.rules = rules
        self._locks = SubjectLocks()

    async def check(self, account: str, address: str) -> Refusal | None:
        """Refused now, and for how long (StoreUnavailable when the counts cannot be read)?"""
        now, rules = self.clock(), self.rules
        by_account = await self.attempts.get(ACCOUNT, account)
        by_address = await self.attempts.get(ADDRESS, address)
        found = [
            r
            for r in (
                refusal(by_account, now, rules, rules.account_free),
                refusal(by_address, now, rules, rules.address_free),
            )
            if r is not None
        ]
        if not found:
            return None
        worst = max(found, key=lambda r: (r.locked, r.retry_after_s))
        log.warning(
            "sign-in as %r from %s refused: %s for %d s",
            account[:40],
            address,
            "locked" if worst.locked else "too soon after a failure",
            worst.retry_after_s,
        )
        return worst

    def one_at_a_time(self, account: str) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold while an account's attempt is checked and counted: attempts sent at once
        are then checked in turn, each seeing the wait or lock the one before set."""
        return self._locks.hold(account)

    async def failed(self, account: str, address: str) -> bool:
        """Count a failure for the account and the address: whether the account is now locked."""
        now, rules = self.clock(), self.rules
        locked = False
        for kind, subject, lock_after in (
            (ACCOUNT, account, rules.account_lock_after),
            (ADDRESS, address, rules.address_lock_after),
        ):
            attempts = await self.attempts.fail(
                kind,
                subject,
                now=now,
                lock_after=lock_after,
                lock_s=rules.lock_s,
                forget_after_s=rules.forget_after_s,
            )
            if attempts.failures == lock_after:
                locked = locked or kind == ACCOUNT
                log.warning(
                    "sign-in: %s %r locked for %d s after %d failures",
                    kind,
                    subject[:40],
                    rules.lock_s,
                    attempts.failures,
                )
        return locked

    async def succeeded(self, account: str) -> None:
        await self.attempts.clear(ACCOUNT, account)


class Busy(Exception):
    """Too many password checks running and waiting: try again in a moment."""


class PasswordChecks:
    """Password checks, at most `at_once` running and `queue` waiting at a time."""

    def __init__(
        self,
        check: Callable[[UserConfig | None, str], UserConfig | None],
        find: Callable[[str], Awaitable[UserConfig | None]],
        at_once: int = 2,
        queue: int = 8,
    ) -> None:
        self._check = check
        self._find = find
        self._slots = asyncio.Semaphore(at_once)
        self.at_once = at_once
        self.queue = queue
        self._waiting = 0
        self.running = 0
        self.peak = 0  # the most checks that ever ran at once

    async def verify(self, name: str, password: str) -> UserConfig | None:
        """The user when name and password match, else None; `Busy` when the queue is full
        (StoreUnavailable when the user cannot be looked up)."""
        if self._waiting >= self.queue + self.at_once:
            raise Busy
        self._waiting += 1
        try:
            user = await self._find(name)
            async with self._slots:
                self.running += 1
                self.peak = max(self.peak, self.running)
                checking = asyncio.ensure_future(asyncio.to_thread(self._check, user, password))
                try:
                    return await asyncio.shield(checking)
                finally:
                    if not checking.done():  # cancelled: the thread runs on, and keeps its slot
                        await asyncio.wait([checking])
                    self.running -= 1
        finally:
            self._waiting -= 1
