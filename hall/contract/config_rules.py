"""The hall file's rule tables: `[queue]`, `[appointments]`, `[ratings]`, `[supervision]` and
`[screen]`, each checked with errors naming file, line and key (`config_base.py`'s checks)."""

from __future__ import annotations

from typing import Any

from hall.contract.config_base import FileChecker, show
from hall.contract.config_lines import KeyPath
from hall.domain.config import (
    AppointmentRules,
    QueueRules,
    RatingRules,
    ScreenConfig,
    SupervisionRules,
)
from hall.domain.settings import MAX_NOTICE_CHARS

__all__ = ["MIN_TOKEN_LEN", "RulesChecks"]

MIN_TOKEN_LEN = 16  # secrets and keys the hall file holds: at least this many characters
_QUEUE_KEYS = ("recall_cap", "default_service_s", "requeue_position")
_APPOINTMENT_KEYS = ("id_hash_key", "early_s", "accept_plain_id")
_RATING_KEYS = ("unrated_after_s",)
_SUPERVISION_KEYS = tuple(SupervisionRules.__dataclass_fields__)
_SCREEN_KEYS = ("notice", "speak", "min_call_display_s", "phone_alert_ahead")
MAX_CALL_DISPLAY_S = 60  # seconds: longer holds the next calls back too long


class RulesChecks(FileChecker):
    def queue(self, doc: dict[str, Any]) -> QueueRules:
        path: KeyPath = ("queue",)
        table = self.optional_table(doc, "queue", _QUEUE_KEYS)
        recall_cap = self.integer(table, path, "recall_cap", 1, 20)
        service_s = self.integer(table, path, "default_service_s", 1, 86400)
        defaults = QueueRules()
        return QueueRules(
            recall_cap=defaults.recall_cap if recall_cap is None else recall_cap,
            default_service_s=defaults.default_service_s if service_s is None else service_s,
            requeue_position=self.requeue_position(table, path, defaults.requeue_position),
        )

    def requeue_position(
        self, table: dict[str, Any], path: KeyPath, default: int | str
    ) -> int | str:
        """`front`, `back`, or how many of those waiting go before a requeued no-show."""
        if "requeue_position" not in table:
            return default
        value = table["requeue_position"]
        if value in ("front", "back"):
            return str(value)
        if isinstance(value, str):
            raise self.error(
                (*path, "requeue_position"),
                f'expected "front", "back" or a number of people from 0 to 999, got {show(value)}',
            )
        return self.int_in(value, (*path, "requeue_position"), 0, 999)

    def appointments(self, doc: dict[str, Any]) -> AppointmentRules:
        path: KeyPath = ("appointments",)
        table = self.optional_table(doc, "appointments", _APPOINTMENT_KEYS)
        key = self.opt_string(table, path, "id_hash_key")
        if key is not None and len(key) < MIN_TOKEN_LEN:
            raise self.error(
                (*path, "id_hash_key"),
                f"expected at least {MIN_TOKEN_LEN} characters (value not shown)",
            )
        early_s = self.integer(table, path, "early_s", 0, 86400)
        plain = table.get("accept_plain_id")
        return AppointmentRules(
            id_hash_key=key,
            early_s=AppointmentRules.early_s if early_s is None else early_s,
            accept_plain_id=None if plain is None else self.flag(plain, (*path, "accept_plain_id")),
        )

    def ratings(self, doc: dict[str, Any]) -> RatingRules:
        table = self.optional_table(doc, "ratings", _RATING_KEYS)
        after_s = self.integer(table, ("ratings",), "unrated_after_s", 60, 30 * 86400)
        return RatingRules(RatingRules.unrated_after_s if after_s is None else after_s)

    def supervision(self, doc: dict[str, Any]) -> SupervisionRules:
        path: KeyPath = ("supervision",)
        table = self.optional_table(doc, "supervision", _SUPERVISION_KEYS)
        defaults = SupervisionRules()
        values = {}
        for key in _SUPERVISION_KEYS:
            value = self.integer(table, path, key, 1, 7 * 86400)
            values[key] = getattr(defaults, key) if value is None else value
        rules = SupervisionRules(**values)
        if not rules.waiting_yellow <= rules.waiting_orange <= rules.waiting_red:
            raise self.error(
                (*path, "waiting_orange"),
                "expected waiting_yellow <= waiting_orange <= waiting_red",
                at=path,
            )
        return rules

    def screen(self, doc: dict[str, Any]) -> ScreenConfig:
        path: KeyPath = ("screen",)
        table = self.optional_table(doc, "screen", _SCREEN_KEYS)
        notice = table.get("notice", "")
        # the same limit as the dashboard and the live socket: a notice they could not edit again
        if not isinstance(notice, str) or len(notice) > MAX_NOTICE_CHARS:
            raise self.error(
                (*path, "notice"),
                f"expected text of at most {MAX_NOTICE_CHARS} characters, got {show(notice)}",
            )
        speak = self.flag(table.get("speak", False), (*path, "speak"))
        defaults = ScreenConfig()
        display_s = defaults.min_call_display_s
        if "min_call_display_s" in table:
            key = (*path, "min_call_display_s")
            display_s = self.number_in(table["min_call_display_s"], key, 0, MAX_CALL_DISPLAY_S)
        alert_ahead = self.integer(table, path, "phone_alert_ahead", 0, 100)
        return ScreenConfig(
            notice=notice,
            speak=speak,
            min_call_display_s=display_s,
            phone_alert_ahead=defaults.phone_alert_ahead if alert_ahead is None else alert_ahead,
        )
