"""The hall file's broker logins and request limits: `[[broker.accounts]]`, each device's
`password_hash` and `[rate_limits]`.

A password is never written in the hall file for an account other than the hub's own (its
`[broker] url`): accounts and devices give Mosquitto's `$7$` hash of theirs (made by
`hall hash-password --broker` or `mosquitto_passwd`), and no message repeats a hash.
"""

from __future__ import annotations

from typing import Any

from hall.contract.access import valid_mosquitto_hash
from hall.contract.config_base import show
from hall.contract.config_endpoints import EndpointChecks
from hall.contract.config_lines import KeyPath
from hall.domain.config import (
    BROKER_ROLES,
    DEFAULT_RATE_LIMITS,
    DEVICE_KINDS,
    BrokerAccount,
    DeviceConfig,
    RateLimit,
)

_ACCOUNT_KEYS = ("name", "role", "password_hash")
_RATE_KEYS = ("per_s", "burst")
_HASH_WANTED = (
    "expected Mosquitto's $7$ hash of the password (make one with "
    "`hall hash-password --broker`; value not shown)"
)


class AccessChecks(EndpointChecks):
    """The checks of broker logins and of the per-kind request limits."""

    def password_hash(self, table: dict[str, Any], path: KeyPath) -> str | None:
        value = table.get("password_hash")
        if value is None:
            return None
        if not isinstance(value, str) or not valid_mosquitto_hash(value):
            raise self.error((*path, "password_hash"), _HASH_WANTED)
        return value

    def broker_accounts(
        self, doc: dict[str, Any], hub_user: str | None, devices: tuple[DeviceConfig, ...]
    ) -> tuple[BrokerAccount, ...]:
        broker = doc.get("broker", {})
        value = broker.get("accounts", []) if isinstance(broker, dict) else []
        base: KeyPath = ("broker", "accounts")
        if not isinstance(value, list):
            raise self.error(base, f"expected [[broker.accounts]] entries, got {show(value)}")
        taken = {d.id: "a device" for d in devices}
        if hub_user is not None:
            taken[hub_user] = "the user of [broker] url"
        out: list[BrokerAccount] = []
        for i, entry in enumerate(value):
            path: KeyPath = (*base, i)
            table = self.table(entry, path, _ACCOUNT_KEYS)
            name = self.nonempty_string(self.present(table, path, "name"), (*path, "name"))
            if name in taken or any(a.name == name for a in out):
                owner = taken.get(name, "another account")
                raise self.error((*path, "name"), f"{show(name)} is already {owner}")
            role = self.one_of(self.present(table, path, "role"), (*path, "role"), BROKER_ROLES)
            self.present(table, path, "password_hash")
            password_hash = self.password_hash(table, path)
            assert password_hash is not None
            out.append(BrokerAccount(name, role, password_hash))
        return tuple(out)

    def rate_limits(self, doc: dict[str, Any]) -> tuple[tuple[str, RateLimit], ...]:
        path: KeyPath = ("rate_limits",)
        table = self.optional_table(doc, "rate_limits", DEVICE_KINDS)
        limits = dict(DEFAULT_RATE_LIMITS)
        for kind, entry in table.items():
            at: KeyPath = (*path, kind)
            rule = self.table(entry, at, _RATE_KEYS)
            default = limits.get(kind, RateLimit(per_s=2.0, burst=10))
            per_s = (
                self.number_in(rule["per_s"], (*at, "per_s"), 0.001, 10_000.0)
                if "per_s" in rule
                else default.per_s
            )
            burst = self.integer(rule, at, "burst", 1, 100_000)
            limits[kind] = RateLimit(per_s=per_s, burst=default.burst if burst is None else burst)
        return tuple(limits.items())
