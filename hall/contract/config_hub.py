"""The hall file's `[hub]` table: this hub process's name and the timings of the lease that
decides which of several hubs for one hall is the active one."""

from __future__ import annotations

import re
from typing import Any

from hall.contract.config_base import FileChecker
from hall.contract.config_lines import KeyPath
from hall.domain.config import HubConfig

__all__ = ["HUB_KEYS", "HubChecks"]

HUB_KEYS = ("instance", "lease_s", "renew_s")
_INSTANCE = re.compile(r"[a-z0-9-]{1,32}")
MIN_LEASE_S = 0.5
MAX_LEASE_S = 60.0
MIN_RENEW_S = 0.05


class HubChecks(FileChecker):
    def hub(self, doc: dict[str, Any]) -> HubConfig:
        path: KeyPath = ("hub",)
        table = self.optional_table(doc, "hub", HUB_KEYS)
        defaults = HubConfig()
        instance = None
        if "instance" in table:
            instance = self.identifier(table["instance"], (*path, "instance"), _INSTANCE, 32)
        lease_s = defaults.lease_s
        if "lease_s" in table:
            lease_s = self.number_in(table["lease_s"], (*path, "lease_s"), MIN_LEASE_S, MAX_LEASE_S)
        renew_s = min(defaults.renew_s, lease_s / 3)
        if "renew_s" in table:
            renew_s = self.number_in(table["renew_s"], (*path, "renew_s"), MIN_RENEW_S, MAX_LEASE_S)
            # Renewed well inside the lease: a late renewal or two must not hand the hall over.
            if renew_s > lease_s / 3:
                raise self.error(
                    (*path, "renew_s"),
                    f"expected at most a third of lease_s ({lease_s:g} s), got {renew_s:g}",
                )
        return HubConfig(instance=instance, lease_s=lease_s, renew_s=renew_s)
