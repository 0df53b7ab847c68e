"""The AsyncAPI 2.6 document of the MQTT side of the device contract, served at
/api/asyncapi.json. Operations and error codes are taken from the code itself, and a test
validates every message a real hall day produces against these schemas."""

from __future__ import annotations

from typing import Any

from hall.domain.errors import ERROR_CODES
from hall.domain.hall import OP_KINDS

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
        # null when no window with a clerk signed in serves its service (`eta_reason` says so)
        "eta_s": {"type": ["integer", "null"], "minimum": 0},
        "window": _NULLABLE_STR,
        "issued_at": {"type": "string", "format": "date-time"},
        "called_at": {"type": "string"},
        "started_at": {"type": "string"},
        "finished_at": {"type": "string"},
        "recalls": {"type": "integer", "minimum": 0},
        "outcome": {"type": "string"},
        # Extensions: a requeued no-show's visit (from 2), the window a transfer sent it to,
        # and the services recorded at finish.
        "visit": {"type": "integer", "minimum": 2},
        "for_window": {"type": "string"},
        "services_done": {"type": "array", "items": {"type": "string", "pattern": "^[A-Z]$"}},
        "eta_reason": {"enum": ["no_window_open", "beyond_horizon"]},
    },
}
QUEUE: dict[str, Any] = {
    "type": "object",
    "required": ["window", "total", "tickets"],
    "properties": {
        "window": {"type": "string"},
        "total": {"type": "integer", "minimum": 0},
        "tickets": {
            "type": "array",
            "maxItems": 50,
            "items": {
                "type": "object",
                "required": ["no", "service", "priority", "waited_s"],
                "properties": {
                    "no": {"type": "string", "pattern": "^[A-Z][0-9]{3}$"},
                    "service": {"type": "string"},
                    "priority": {"enum": ["normal", "green", "appointment"]},
                    "waited_s": {"type": "integer", "minimum": 0},
                    "name": {"type": "string"},  # masked: 张*三
                    "visit": {"type": "integer", "minimum": 2},
                    "for_window": {"type": "string"},
                },
            },
        },
    },
}
_POSITION = {"enum": ["front", "back"]}
# The arguments of the operations this hub added, and of those it extended.
OPERATIONS: dict[str, dict[str, Any]] = {
    "window.queue": {
        "args": {"limit": {"type": "integer", "minimum": 1, "maximum": 50}},
        "result": {"$ref": "#/components/schemas/Queue"},
    },
    "call.ticket": {"args": {"no": {"type": "string"}}, "required": ["no"]},
    "ticket.requeue": {"args": {"no": {"type": "string"}}, "required": ["no"]},
    "ticket.transfer": {
        "args": {
            "service": {"type": "string"},
            "window": {"type": "string"},
            "staff": {"type": "string"},
            "position": _POSITION,
        },
        "description": "one of service, window, staff (the window that clerk is signed in at)",
    },
    "ticket.finish": {
        "args": {
            "outcome": {"type": "string"},
            "services_done": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        }
    },
    "window.pause": {
        "args": {"reason": {"type": "string"}, "window": {"type": "string"}},
        "description": "window: the window a manager pauses (a device pauses its own)",
    },
    "window.close": {
        "args": {"window": {"type": "string"}},
        "description": "window: the window a manager closes (a device closes its own)",
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
        "args": {
            "type": "object",
            "description": "the operation's arguments; window.open: staff (staff number), "
            "optional pin (digits) or staff_card (the card reader's id of a staff card); a "
            "wrong or missing PIN is answered bad_credentials, a locked staff number "
            "account_locked with retry_after_s, a staff number signed in at another window "
            "invalid_state",
        },
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
                        "retry_after_s": {
                            "type": "number",
                            "minimum": 0,
                            "description": "with rate_limited or unavailable: seconds to wait "
                            "before sending the request again (with the same id); with "
                            "account_locked: seconds until the staff number may sign in again",
                        },
                    },
                },
            },
        },
    ]
}
STATUS: dict[str, Any] = {
    "type": "object",
    "required": ["state"],
    "properties": {
        "state": {"enum": ["online", "offline"]},
        "epoch": {"type": "integer"},
        "instance": {"type": "string"},  # which hub process (hub/status only)
        # A printer's (its gateway's ESC/POS driver): the printer itself answering, its
        # paper, and the dots across it (a window pad draws copies at that width).
        "online": {"type": "boolean"},
        "paper": {"enum": ["ok", "near_end", "out"]},
        "dots": {"type": "integer", "minimum": 64, "maximum": 2040, "multipleOf": 8},
    },
}
WINDOW_STATE: dict[str, Any] = {
    "type": "object",
    "required": ["window", "state", "ticket", "text"],
    "properties": {
        "window": {"type": "string"},
        "state": {"enum": ["closed", "open", "paused"]},
        "ticket": _NULLABLE_STR,
        "text": {"type": "string"},
        # Extensions: the recalls of the ticket in hand and the hall's cap.
        "recalls": {"type": "integer", "minimum": 0},
        "recall_cap": {"type": "integer", "minimum": 1},
        # Extension: what the window calls, in order of preference (changed live by a manager).
        "services": {"type": "array", "items": {"type": "string", "pattern": "^[A-Z]$"}},
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
                "required": ["ticket", "window", "at", "window_name", "text"],
                "properties": {
                    "ticket": {"type": "string"},
                    "window": {"type": "string"},
                    "at": {"type": "string"},
                    # Extensions: the window as the hall file names it, and the finished board
                    # line ("A001 → 综合窗口") an LED board shows, fitted to its width.
                    "window_name": {"type": "string", "minLength": 1},
                    "text": {"type": "string", "minLength": 1},
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
                    "eta_s": {"type": ["integer", "null"]},
                    "open": {"type": "boolean"},
                    # Extensions: whether it issues tickets now (open, within its hours), its
                    # daily cap, today's count and whether that reached the cap, opening
                    # hours, the hall file's description, the documents to bring.
                    "accepting": {"type": "boolean"},
                    "daily_cap": {"type": ["integer", "null"]},
                    "issued": {"type": "integer", "minimum": 0},
                    "full": {"type": "boolean"},
                    "description": {"type": ["string", "null"]},
                    # The hall file's English name and description, only when it gives them.
                    "name_en": {"type": "string"},
                    "description_en": {"type": "string"},
                    "hours": {
                        "type": ["array", "null"],
                        "items": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
                        "minItems": 2,
                        "maxItems": 2,
                    },
                    "documents": {"type": "array", "items": {"type": "string"}},
                    # Why `eta_s` is null: no window with a clerk signed in serves it.
                    "eta_reason": {"enum": ["no_window_open", "beyond_horizon"]},
                },
            },
        }
    },
}
ANNOUNCE: dict[str, Any] = {
    "type": "object",
    "required": ["seq", "ticket", "window", "text", "repeat", "window_name", "speech"],
    "properties": {
        "seq": {"type": "integer"},
        "ticket": {"type": "string", "pattern": "^[A-Z][0-9]{3}$"},
        "window": {"type": "string"},
        "text": {"type": "string"},
        "repeat": {"type": "integer", "minimum": 0},
        # Extensions: the window's name, and the call written for a speech engine
        # ("请，A，零零一号，到，综合窗口办理"), which a speaker says as given.
        "window_name": {"type": "string", "minLength": 1},
        "speech": {"type": "string", "minLength": 1},
    },
}
EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["seq", "type", "at"],
    "properties": {
        "seq": {"type": "integer", "minimum": 1},
        "type": {"type": "string"},
        "at": {"type": "number"},
        # Added: who did it, on the events of tickets at windows, windows and the catalogue
        # (null when a window device acts at a window nobody is signed in at).
        "by": {
            "type": ["object", "null"],
            "required": ["kind", "id"],
            "properties": {
                "kind": {"enum": ["staff", "user", "back_office", "hub"]},
                "id": {"type": "string"},
            },
        },
    },
}
# The hub's public key: kiosks seal ID numbers to it (`ticket.take`'s `id_sealed`).
HUB_KEY: dict[str, Any] = {
    "type": "object",
    "required": ["alg", "key", "kid"],
    "properties": {
        "alg": {"const": "x25519-sealedbox"},
        "key": {"type": "string", "description": "the X25519 public key, base64 (32 bytes)"},
        "kid": {"type": "string", "description": "key id: first 16 hex digits of SHA-256(key)"},
    },
}
# ticket.take's arguments (the other operations' are in docs/device-contract.md).
TICKET_TAKE_ARGS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "service": {"type": "string", "pattern": "^[A-Z]$"},
        "priority": {"enum": ["normal", "green"]},
        "appointment": {"type": "string", "maxLength": 64},
        "id_sealed": {
            "type": "string",
            "description": "the ID number sealed (libsodium sealed box) to the key on "
            "hall/{hall}/hub/key, base64; checks in an appointment only from a kiosk with an "
            "ID card reader",
        },
        "id_no": {
            "type": "string",
            "maxLength": 32,
            "deprecated": True,
            "description": "the ID number in clear; use id_sealed. Refused where the hall "
            "sets accept_plain_id = false",
        },
    },
}
PRINT_JOB: dict[str, Any] = {
    "type": "object",
    "required": ["job", "ticket"],
    "properties": {"job": {"const": "print"}, "ticket": TICKET},
}
PRINT_COPY_JOB: dict[str, Any] = {
    "type": "object",
    "description": "a copy of a page captured at the window, for the window pad's printer: "
    "fetch the raster (a binary PBM, P4, `width` dots across, `height` rows) from `url` "
    "once, check its SHA-256, print it (ESC/POS GS v 0) and cut",
    "required": ["job", "url", "sha256", "width", "height"],
    "properties": {
        "job": {"const": "print_copy"},
        "url": {
            "type": "string",
            "description": "<public_url>/copies/<copy>?expires=<unix s>&sig=<hex>: signed, "
            "expiring ([documents] copy_ttl_s), fetched once",
        },
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "width": {"type": "integer", "minimum": 1, "description": "dots: the printer's `dots`"},
        "height": {"type": "integer", "minimum": 1, "maximum": 4000},
    },
}
DEVICE_JOB: dict[str, Any] = {"oneOf": [PRINT_JOB, PRINT_COPY_JOB]}

# Topic (with {hall} and {device} parameters) -> (who publishes, retained, payload schema).
TOPICS: dict[str, tuple[str, bool, dict[str, Any]]] = {
    "hall/{hall}/hub/status": ("hub", True, STATUS),
    "hall/{hall}/hub/key": ("hub", True, HUB_KEY),
    "hall/{hall}/dev/{device}/status": ("device", True, STATUS),
    "hall/{hall}/dev/{device}/req": ("device", False, REQUEST),
    "hall/{hall}/dev/{device}/res": ("hub", False, RESPONSE),
    "hall/{hall}/dev/{device}/state": ("hub", True, WINDOW_STATE),
    "hall/{hall}/dev/{device}/cmd": ("hub", False, DEVICE_JOB),
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
    "components": {
        "schemas": {
            "Ticket": TICKET,
            "Window": WINDOW,
            "TicketTakeArgs": TICKET_TAKE_ARGS,
            "Queue": QUEUE,
        }
    },
    "x-operations": OPERATIONS,
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
