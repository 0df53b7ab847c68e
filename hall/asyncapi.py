"""The AsyncAPI 2.6 document of the MQTT side of the device contract, served at
/api/asyncapi.json. Operations and error codes are taken from the code itself, and a test
validates every message a real hall day produces against these schemas."""

from __future__ import annotations

from typing import Any

from .domain.errors import ERROR_CODES
from .domain.hall import OP_KINDS

_NULLABLE_STR = {"type": ["string", "null"]}
TICKET: dict[str, Any] = {
    "type": "object",
    "required": ["no", "service", "priority", "state", "issued_at"],
    "properties": {
        "no": {"type": "string", "pattern": "^[A-Z][0-9]{3}$"},
        "service": {"type": "string", "pattern": "^[A-Z]$"},
        "priority": {"enum": ["normal", "green", "appointment"]},
        "state": {"enum": ["waiting", "called", "serving", "done", "no_show", "cancelled"]},
        "ahead": {"type": "integer", "minimum": 0},
        "eta_s": {"type": "integer", "minimum": 0},
        "window": _NULLABLE_STR,
        "issued_at": {"type": "string", "format": "date-time"},
        "called_at": {"type": "string"},
        "started_at": {"type": "string"},
        "finished_at": {"type": "string"},
        "recalls": {"type": "integer", "minimum": 0},
        "outcome": {"type": "string"},
    },
}
WINDOW: dict[str, Any] = {
    "type": "object",
    "required": ["id", "state", "staff", "ticket"],
    "properties": {
        "id": {"type": "string"},
        "state": {"enum": ["closed", "open", "paused"]},
        "staff": _NULLABLE_STR,
        "ticket": _NULLABLE_STR,
        "paused_reason": _NULLABLE_STR,
    },
}
REQUEST: dict[str, Any] = {
    "type": "object",
    "required": ["id", "op"],
    "properties": {
        "id": {"type": "string", "minLength": 1, "maxLength": 64},
        "op": {
            "type": "string",
            "enum": sorted(op for op, kinds in OP_KINDS.items() if "back_office" not in kinds),
        },
        "args": {"type": "object"},
    },
}
RESPONSE: dict[str, Any] = {
    "oneOf": [
        {
            "type": "object",
            "required": ["id", "ok", "result"],
            "properties": {
                "id": {"type": "string"},
                "ok": {"const": True},
                "result": {"type": "object"},
            },
        },
        {
            "type": "object",
            "required": ["id", "ok", "error"],
            "properties": {
                "id": {"type": "string"},
                "ok": {"const": False},
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"enum": list(ERROR_CODES)},
                        "message": {"type": "string", "minLength": 1},
                    },
                },
            },
        },
    ]
}
STATUS: dict[str, Any] = {
    "type": "object",
    "required": ["state"],
    "properties": {"state": {"enum": ["online", "offline"]}, "epoch": {"type": "integer"}},
}
WINDOW_STATE: dict[str, Any] = {
    "type": "object",
    "required": ["window", "state", "ticket", "text"],
    "properties": {
        "window": {"type": "string"},
        "state": {"enum": ["closed", "open", "paused"]},
        "ticket": _NULLABLE_STR,
        "text": {"type": "string"},
    },
}
BOARD: dict[str, Any] = {
    "type": "object",
    "required": ["calls", "waiting"],
    "properties": {
        "calls": {
            "type": "array",
            "maxItems": 10,
            "items": {
                "type": "object",
                "required": ["ticket", "window", "at"],
                "properties": {
                    "ticket": {"type": "string"},
                    "window": {"type": "string"},
                    "at": {"type": "string"},
                },
            },
        },
        "waiting": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
}
SERVICES: dict[str, Any] = {
    "type": "object",
    "required": ["services"],
    "properties": {
        "services": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "name", "waiting", "eta_s", "open"],
                "properties": {
                    "code": {"type": "string"},
                    "name": {"type": "string"},
                    "waiting": {"type": "integer"},
                    "eta_s": {"type": "integer"},
                    "open": {"type": "boolean"},
                },
            },
        }
    },
}
ANNOUNCE: dict[str, Any] = {
    "type": "object",
    "required": ["seq", "ticket", "window", "text", "repeat"],
    "properties": {
        "seq": {"type": "integer"},
        "ticket": {"type": "string", "pattern": "^[A-Z][0-9]{3}$"},
        "window": {"type": "string"},
        "text": {"type": "string"},
        "repeat": {"type": "integer", "minimum": 0},
    },
}
EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["seq", "type", "at"],
    "properties": {
        "seq": {"type": "integer", "minimum": 1},
        "type": {"type": "string"},
        "at": {"type": "number"},
    },
}
PRINT_JOB: dict[str, Any] = {
    "type": "object",
    "required": ["job", "ticket"],
    "properties": {"job": {"const": "print"}, "ticket": TICKET},
}

# Topic (with {hall} and {device} parameters) -> (who publishes, retained, payload schema).
TOPICS: dict[str, tuple[str, bool, dict[str, Any]]] = {
    "hall/{hall}/hub/status": ("hub", True, STATUS),
    "hall/{hall}/dev/{device}/status": ("device", True, STATUS),
    "hall/{hall}/dev/{device}/req": ("device", False, REQUEST),
    "hall/{hall}/dev/{device}/res": ("hub", False, RESPONSE),
    "hall/{hall}/dev/{device}/state": ("hub", True, WINDOW_STATE),
    "hall/{hall}/dev/{device}/cmd": ("hub", False, PRINT_JOB),
    "hall/{hall}/board": ("hub", True, BOARD),
    "hall/{hall}/services": ("hub", True, SERVICES),
    "hall/{hall}/announce": ("hub", False, ANNOUNCE),
    "hall/{hall}/events": ("hub", False, EVENT),
}


def _channel(topic: str, publisher: str, retained: bool, schema: dict[str, Any]) -> dict[str, Any]:
    # AsyncAPI 2 is written from the application's view: the hub *subscribes* to what devices
    # publish, and *publishes* what devices receive.
    verb = "subscribe" if publisher == "hub" else "publish"
    params = {
        name: {"schema": {"type": "string"}}
        for name in ("hall", "device")
        if "{" + name + "}" in topic
    }
    return {
        "parameters": params,
        verb: {
            "summary": f"{'retained, ' if retained else ''}QoS 1",
            "bindings": {"mqtt": {"qos": 1, "retain": retained}},
            "message": {"contentType": "application/json", "payload": schema},
        },
    }


ASYNCAPI: dict[str, Any] = {
    "asyncapi": "2.6.0",
    "info": {
        "title": "Hall device contract (MQTT)",
        "version": "1.0.0",
        "description": "Topics, requests, responses and error codes between a hall's hub and "
        "its devices. Who may send each operation: x-op-kinds.",
    },
    "defaultContentType": "application/json",
    "channels": {topic: _channel(topic, *spec) for topic, spec in TOPICS.items()},
    "components": {"schemas": {"Ticket": TICKET, "Window": WINDOW}},
    "x-op-kinds": {
        op: sorted(kinds) or ["any"] for op, kinds in OP_KINDS.items() if "back_office" not in kinds
    },
    "x-error-codes": list(ERROR_CODES),
}


def schema_for(topic: str, hall_id: str) -> dict[str, Any] | None:
    """The payload schema of a concrete topic, e.g. hall/demo/dev/pad-1/res."""
    parts = topic.split("/")
    for pattern, (_publisher, _retained, schema) in TOPICS.items():
        want = pattern.split("/")
        if (
            len(want) == len(parts)
            and all(w in ("{hall}", "{device}") or w == p for w, p in zip(want, parts, strict=True))
            and parts[1] == hall_id
        ):
            return schema
    return None
