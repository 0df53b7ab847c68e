"""The OpenAPI 3.0 document of the hub's HTTP API, served at /api/openapi.json.

A test checks that every route the server has is documented here and the other way round,
and schemathesis fuzzes the server against this document. The web pages and their WebSockets
(docs/web-protocol.md) are listed under the extension key `x-pages`, not under `paths`: they
are HTML, form posts and WebSocket upgrades, not a JSON API to fuzz.
"""

from __future__ import annotations

from typing import Any

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def _errors(*codes: int) -> dict[str, Any]:
    return {
        str(code): {
            "description": {
                400: "bad request: the message says what is wrong",
                401: "no valid bearer token or webhook signature",
                404: "not found",
                409: "refused in the hall's current state",
                503: "the store is unavailable: retry with the same idempotency key",
            }[code],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for code in codes
    }


_TICKET = {
    "type": "object",
    "required": ["no", "service", "priority", "state", "issued_at"],
    "properties": {
        "no": {"type": "string", "pattern": "^[A-Z][0-9]{3}$"},
        "service": {"type": "string"},
        "priority": {"type": "string", "enum": ["normal", "green", "appointment"]},
        "state": {
            "type": "string",
            "enum": ["waiting", "called", "serving", "done", "no_show", "cancelled"],
        },
        "ahead": {"type": "integer"},
        "eta_s": {"type": "integer"},
        "window": {"type": "string", "nullable": True},
        "issued_at": {"type": "string", "format": "date-time"},
    },
}
_APPOINTMENT_IN = {
    "type": "object",
    "required": ["code", "service", "slot_start", "slot_end"],
    "properties": {
        "code": {"type": "string", "minLength": 1, "maxLength": 64},
        "service": {"type": "string", "pattern": "^[A-Z]$"},
        "slot_start": {"type": "string", "format": "date-time"},
        "slot_end": {"type": "string", "format": "date-time"},
        "name": {"type": "string", "maxLength": 40, "description": "stored masked (张*三)"},
        "id_hash": {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
            "description": "HMAC-SHA256 of the ID number with the hall's id_hash_key",
        },
    },
}
_CATALOGUE_IN = {
    "type": "object",
    "required": ["action", "code"],
    "properties": {
        "action": {"type": "string", "enum": ["add", "rename", "close", "reopen", "set_cap"]},
        "code": {"type": "string", "pattern": "^[A-Z]$"},
        "name": {"type": "string", "maxLength": 40},
        "daily_cap": {"type": "integer", "minimum": 1, "maximum": 999, "nullable": True},
        "windows": {"type": "array", "items": {"type": "string"}},
    },
}
_AUTH: list[dict[str, list[str]]] = [{"bearer": []}, {"webhook": []}]
_JSON_OBJECT = {"application/json": {"schema": {"type": "object"}}}


def _ok(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema or {"type": "object"}}},
    }


OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "Hall hub HTTP API",
        "version": "1.0.0",
        "description": "Health, metrics, the back office's appointments and catalogue, tickets.",
    },
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "webhook": {
                "type": "apiKey",
                "in": "header",
                "name": "webhook-signature",
                "description": "Standard Webhooks: webhook-id, webhook-timestamp, "
                "webhook-signature (v1,<base64 HMAC-SHA256>)",
            },
        },
        "schemas": {"Error": _ERROR, "Ticket": _TICKET},
    },
    "paths": {
        "/healthz": {
            "get": {
                "summary": "Is the hub connected to its broker and store?",
                "responses": {
                    "200": _ok("healthy"),
                    "503": _ok("degraded: broker or store unreachable"),
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics",
                "responses": {
                    "200": {
                        "description": "text exposition format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/api/services": {
            "get": {
                "summary": "Guidance: each service with waiting count and estimated wait",
                "responses": {"200": _ok("the services")},
            }
        },
        "/api/appointments": {
            "post": {
                "summary": "Book an appointment (from the portal)",
                "security": _AUTH,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _APPOINTMENT_IN}},
                },
                "responses": {"201": _ok("booked"), **_errors(400, 401, 404, 409, 503)},
            },
            "get": {
                "summary": "The appointments of a day",
                "security": _AUTH,
                "parameters": [
                    {
                        "name": "day",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "format": "date"},
                    }
                ],
                "responses": {"200": _ok("appointments"), **_errors(401)},
            },
        },
        "/api/appointments/{code}": {
            "delete": {
                "summary": "Cancel an appointment",
                "security": _AUTH,
                "parameters": [
                    {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": _ok("cancelled"), **_errors(400, 401, 404, 409, 503)},
            }
        },
        "/api/catalogue": {
            "post": {
                "summary": "Change the live service catalogue (add, rename, close, reopen, cap)",
                "security": _AUTH,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _CATALOGUE_IN}},
                },
                "responses": {"200": _ok("changed"), **_errors(400, 401, 404, 409, 503)},
            }
        },
        "/api/tickets/{no}": {
            "get": {
                "summary": "A ticket as the back office sees it",
                "security": _AUTH,
                "parameters": [
                    {"name": "no", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": _ok("the ticket"), **_errors(401, 404)},
            }
        },
        "/api/public/tickets/{no}": {
            "get": {
                "summary": "A ticket's public view (the printed QR code): no personal data",
                "parameters": [
                    {"name": "no", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": _ok("the ticket"), **_errors(404)},
            }
        },
        "/api/openapi.json": {
            "get": {"summary": "This document", "responses": {"200": _ok("OpenAPI 3.0")}}
        },
        "/api/asyncapi.json": {
            "get": {
                "summary": "The MQTT side of the device contract",
                "responses": {"200": _ok("AsyncAPI 2.6")},
            }
        },
    },
    "x-pages": {
        "/login": {
            "get": "the sign-in form (login.html; {{error}} is replaced by the error)",
            "post": "form fields name, password: 303 to /dashboard with the hall_session "
            "cookie, or 401 and the form with 用户名或密码错误",
        },
        "/logout": {"post": "ends the session; 303 to /login"},
        "/dashboard": {"get": "dashboard.html; without a session 302 to /login"},
        "/screen": {"get": "screen.html: the hall's big screen"},
        "/kiosk/{device}": {"get": "kiosk.html for a kiosk device (404 for others)"},
        "/pad/{device}": {"get": "pad.html for a window_pad, caller or evaluator (404 else)"},
        "/t/{no}": {"get": "ticket.html: a ticket's live status (the QR code's page)"},
        "/static/{path}": {"get": "the pages' CSS, JavaScript and images from hall/web_static/"},
        "/ws/dashboard": {"get": "WebSocket: dashboard snapshots, events, actions (session)"},
        "/ws/screen": {"get": "WebSocket: the screen's board, services, notice, announcements"},
        "/ws/device/{device}": {"get": "WebSocket: a page acting as a contract device"},
        "/ws/watch": {"get": "WebSocket: every event (bearer token or session)"},
    },
}
