"""The hall file's staff: `[[users]]` (who signs in, with which role, staff number, PIN and
card) and `[staff]` (whether every window sign-in needs a PIN).

The users seed a new hall's store; once there, they are managed from the dashboard.
"""

from __future__ import annotations

import re
from typing import Any

from hall.contract.config_base import FileChecker, show
from hall.contract.config_lines import KeyPath
from hall.domain.config import StaffRules, UserConfig
from hall.domain.roles import ROLE_ALIASES, ROLES

__all__ = ["STAFF_KEYS", "USER_KEYS", "USER_ROLES", "UserChecks"]

USER_KEYS = ("name", "password_hash", "role", "staff", "pin_hash", "card_hash", "disabled")
USER_ROLES = (*ROLES, *ROLE_ALIASES)  # "viewer" (older files) reads as an auditor
STAFF_KEYS = ("require_pin",)
_STAFF_NUMBER = re.compile(r"[0-9]{1,16}")  # digits only: a caller keypad can type them
_DIGITS = "1 to 16 digits"
_CARD_HASH = re.compile(r"[0-9a-f]{64}")


class UserChecks(FileChecker):
    def users(self, doc: dict[str, Any]) -> tuple[UserConfig, ...]:
        out: list[UserConfig] = []
        for i, table in enumerate(self.entries(doc, "users", USER_KEYS)):
            path: KeyPath = ("users", i)
            name = self.nonempty_string(self.present(table, path, "name"), (*path, "name"))
            if any(u.name == name for u in out):
                raise self.error((*path, "name"), f"duplicate user {show(name)}")
            password_hash = self.argon2(self.present(table, path, "password_hash"), path, "")
            role = self.one_of(table.get("role", "manager"), (*path, "role"), USER_ROLES)
            staff = None
            if "staff" in table:
                staff = self.matching(table["staff"], (*path, "staff"), _STAFF_NUMBER, _DIGITS)
                if any(u.staff == staff for u in out):
                    raise self.error((*path, "staff"), f"duplicate staff number {show(staff)}")
            pin_hash = None
            if "pin_hash" in table:
                pin_hash = self.argon2(table["pin_hash"], path, " --pin", key="pin_hash")
            card_hash = None
            if "card_hash" in table:
                card_hash = self.matching(
                    table["card_hash"], (*path, "card_hash"), _CARD_HASH, "64 hex digits (SHA-256)"
                )
            disabled = self.flag(table.get("disabled", False), (*path, "disabled"))
            out.append(UserConfig(name, password_hash, role, staff, pin_hash, card_hash, disabled))
        return tuple(out)

    def matching(self, value: object, path: KeyPath, pattern: re.Pattern[str], what: str) -> str:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise self.error(path, f"expected {what}, got {show(value)}")
        return value

    def argon2(self, value: object, path: KeyPath, flag: str, key: str = "password_hash") -> str:
        if not isinstance(value, str) or not value.startswith("$argon2"):
            raise self.error(
                (*path, key), f"expected an argon2 hash (make one with `hall hash-password{flag}`)"
            )
        return value

    def staff_rules(self, doc: dict[str, Any]) -> StaffRules:
        table = self.optional_table(doc, "staff", STAFF_KEYS)
        return StaffRules(
            require_pin=self.flag(table.get("require_pin", False), ("staff", "require_pin"))
        )
