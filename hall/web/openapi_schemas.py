"""The larger request and answer schemas of the OpenAPI document (`openapi.py`): one change
of the hall's live settings (`POST /api/hall/settings`, the `catalogue.change` arguments) and
a report of the history (`GET /api/reports`)."""

from __future__ import annotations

from typing import Any

__all__ = ["REPORT", "SETTINGS_IN"]

_SETTINGS_ACTIONS = [
    "add", "rename", "close", "reopen", "set_cap", "set_hours", "set_documents",
    "set_window", "device_enable", "device_disable", "device_window", "device_rename",
    "set_notice",
]  # fmt: skip
SETTINGS_IN: dict[str, Any] = {
    "type": "object",
    "required": ["action"],
    "description": "One change of the hall's live settings (the `catalogue.change` arguments): "
    "a service's (`code`: add, rename, close, reopen, set_cap, set_hours, set_documents), a "
    "window's services in order of preference (set_window: `window`, `services`), a device's "
    "(`device`: device_enable, device_disable, device_window with `window`, device_rename with "
    "`name`), or the screens' notice (set_notice: `text`).",
    "properties": {
        "action": {"type": "string", "enum": _SETTINGS_ACTIONS},
        "code": {"type": "string", "pattern": "^[A-Z]$"},
        "name": {"type": "string", "maxLength": 40, "nullable": True},
        "daily_cap": {"type": "integer", "minimum": 1, "maximum": 999, "nullable": True},
        "windows": {"type": "array", "items": {"type": "string"}},
        "hours": {
            "type": "array",
            "nullable": True,
            "items": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
            "minItems": 2,
            "maxItems": 2,
        },
        "documents": {"type": "array", "items": {"type": "string", "maxLength": 60}},
        "window": {"type": "string"},
        "services": {"type": "array", "items": {"type": "string", "pattern": "^[A-Z]$"}},
        "device": {"type": "string"},
        "text": {"type": "string", "maxLength": 200},
    },
}

_NUMBER = {"type": "number", "nullable": True}
_SECONDS = {"type": "integer", "nullable": True}
_REPORT_ROW = {
    "type": "object",
    "required": ["key", "tickets", "served", "no_show", "cancelled", "transferred", "ratings"],
    "properties": {
        "key": {"type": "string", "description": "service code, window, staff number or hour"},
        "tickets": {"type": "integer"},
        "served": {"type": "integer"},
        "no_show": {"type": "integer"},
        "cancelled": {"type": "integer"},
        "transferred": {"type": "integer"},
        "no_show_rate": _NUMBER,
        "transfer_rate": _NUMBER,
        "wait_mean_s": _NUMBER,
        "wait_p90_s": _SECONDS,
        "wait_max_s": _SECONDS,
        "service_mean_s": _NUMBER,
        "service_max_s": _SECONDS,
        "service_level": {**_NUMBER, "description": "share called within the target"},
        "ratings": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
}
REPORT: dict[str, Any] = {
    "type": "object",
    "required": ["hall", "from", "to", "by", "rows", "total", "comments"],
    "properties": {
        "hall": {"type": "string"},
        "hall_name": {"type": "string", "description": "the hall's name, as its pages show it"},
        "timezone": {
            "type": "string",
            "description": "the hall's time zone (IANA): the report's days and hours are its",
        },
        "from": {"type": "string", "format": "date"},
        "to": {"type": "string", "format": "date"},
        "by": {"type": "string", "enum": ["service", "window", "clerk", "hour"]},
        "rows": {"type": "array", "items": _REPORT_ROW},
        "total": _REPORT_ROW,
        "comments": {"type": "array", "items": {"type": "object"}},
    },
}
_PER_SERVICE_COUNT = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
STAFFING: dict[str, Any] = {
    "type": "object",
    "required": ["target", "open_now", "half_hours"],
    "properties": {
        "target": {
            "type": "object",
            "required": ["share", "wait_s"],
            "properties": {
                "share": {"type": "number", "description": "of citizens, 0-1"},
                "wait_s": {"type": "number", "description": "`[supervision] wait_target_s`"},
            },
        },
        "open_now": {
            "type": "object",
            "required": ["windows", "services"],
            "properties": {
                "windows": {"type": "integer", "minimum": 0},
                "services": {
                    **_PER_SERVICE_COUNT,
                    "description": "open windows serving each service (a shared one in each)",
                },
            },
        },
        "hall_windows": {"type": "integer", "minimum": 0, "description": "the hall's windows"},
        "half_hours": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["start", "end", "arrivals_per_hour", "windows", "total"],
                "properties": {
                    "start": {"type": "string", "description": "HH:MM, the hall's time"},
                    "end": {"type": "string"},
                    "arrivals_per_hour": {
                        "type": "object",
                        "additionalProperties": {"type": "number"},
                    },
                    "windows": {
                        **_PER_SERVICE_COUNT,
                        "description": "advised windows serving each service (a shared one in "
                        "each); 0 for a service without expected arrivals",
                    },
                    "total": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "advised windows, never more than the hall has",
                    },
                    "window_ids": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "the hall's windows to open, with the services each "
                        "serves now",
                    },
                    "target_met": {
                        "type": "boolean",
                        "description": "false: even every window serving the expected "
                        "services falls short of the target",
                    },
                    "more_than_open": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "windows to open beyond those open now",
                    },
                    "to_open": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "the advised windows not working now",
                    },
                },
            },
        },
    },
}
