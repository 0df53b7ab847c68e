"""The hall file's `[history]` table: where finished days are kept for reports.

```toml
[history]
enabled = true                       # default
url = "postgresql://hall@db/halls"   # default: the SQLite file below
path = "var/history.sqlite3"         # default: history-<hall id>.sqlite3 in the [store] path
retention_days = 400                 # default
service_level_target_s = 1800        # default: [supervision] wait_target_s

[history.service_targets]            # per service code, overriding the one above
A = 900
```
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hall.contract.config_base import FileChecker, show
from hall.contract.config_lines import KeyPath
from hall.domain.config import HistoryConfig, StoreConfig

__all__ = ["HistoryChecks", "history_file"]

_HISTORY_KEYS = (
    "enabled",
    "url",
    "path",
    "retention_days",
    "service_level_target_s",
    "service_targets",
)


def history_file(hall_id: str) -> str:
    """The default SQLite file of a hall: one per hall, so halls served by one process (or
    sharing a store folder) never wait on each other's writes."""
    return f"history-{hall_id}.sqlite3"


_SQL_SCHEMES = ("postgresql://", "postgres://")
MAX_TARGET_S = 86400


class HistoryChecks(FileChecker):
    """The checks of `[history]` (a part of the hall file's checker)."""

    def history(
        self,
        doc: dict[str, Any],
        base: Path,
        store: StoreConfig,
        codes: Iterable[str],
        hall_id: str,
    ) -> HistoryConfig:
        path: KeyPath = ("history",)
        table = self.optional_table(doc, "history", _HISTORY_KEYS)
        enabled = self.flag(table.get("enabled", True), (*path, "enabled"))
        url = self.opt_string(table, path, "url")
        if url is not None and not url.startswith(_SQL_SCHEMES):
            scheme = url.split("://", 1)[0] if "://" in url else url[:12]
            raise self.error(
                (*path, "url"),
                f"expected a postgresql:// URL, got one starting {show(scheme)} "
                "(leave url out to keep the history in a SQLite file)",
            )
        file = self.opt_string(table, path, "path")
        location = base / file if file is not None else store.path / history_file(hall_id)
        retention = self.integer(table, path, "retention_days", 1, 36500)
        target = self.integer(table, path, "service_level_target_s", 1, MAX_TARGET_S)
        return HistoryConfig(
            enabled=enabled,
            url=url,
            path=location,
            retention_days=HistoryConfig.retention_days if retention is None else retention,
            service_level_target_s=target,
            service_targets=self._service_targets(table, set(codes)),
        )

    def _service_targets(
        self, table: dict[str, Any], codes: set[str]
    ) -> tuple[tuple[str, int], ...]:
        path: KeyPath = ("history", "service_targets")
        if "service_targets" not in table:
            return ()
        targets = self.table(table["service_targets"], path, sorted(codes))
        return tuple(
            (code, self.int_in(seconds, (*path, code), 1, MAX_TARGET_S))
            for code, seconds in sorted(targets.items())
        )
