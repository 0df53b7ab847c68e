"""The OpenAPI 3.0 document of the hub's HTTP API, served at /api/openapi.json.

A test checks that every route the server has is documented here and the other way round,
and schemathesis fuzzes the server against this document. The web pages and their WebSockets
(docs/web-protocol.md) are listed under the extension key `x-pages`, not under `paths`: they
are HTML, form posts and WebSocket upgrades, not a JSON API to fuzz.
"""

from __future__ import annotations

from typing import Any

from hall.web.openapi_documents import DOCUMENT_PAGES, DOCUMENT_PATHS
from hall.web.openapi_schemas import REPORT, SETTINGS_IN, STAFFING
from hall.web.openapi_staff import STAFF_PAGES, STAFF_PATHS

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


_RETRY_AFTER = {
    "Retry-After": {
        "description": "whole seconds to wait before the next request",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def _errors(*codes: int) -> dict[str, Any]:
    """The error answers `codes`, and those every `/api/` operation may give: 429 (rate
    limits per address and per API client: `[http] api_rate_per_s` and `api_burst`)."""
    answers: dict[str, Any] = {}
    for code in (*codes, 429):
        answers[str(code)] = {
            "description": {
                400: "bad request: the message says what is wrong",
                401: "no valid bearer token or webhook signature (or, where the operation "
                "takes a session, no signed-in session)",
                403: "the session's role may not do this, or the change came from a page of "
                "another site",
                404: "not found",
                408: "the body did not arrive in time ([http] body_timeout_s)",
                409: "refused in the hall's current state",
                413: "the body is larger than 16 KiB",
                429: "too many requests from this address or API client: retry after "
                "Retry-After seconds",
                503: "the store is unavailable: retry with the same idempotency key",
            }[code],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        if code == 429:
            answers[str(code)]["headers"] = _RETRY_AFTER
    return answers


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
        # null, with `eta_reason`, when no window with a clerk signed in serves its service
        "eta_s": {"type": "integer", "nullable": True},
        "eta_reason": {"type": "string", "enum": ["no_window_open", "beyond_horizon"]},
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


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    """An optional query parameter."""
    parameter: dict[str, Any] = {"name": name, "in": "query", "required": False}
    if description:
        parameter["description"] = description
    parameter["schema"] = schema
    return parameter


def _path_string(name: str) -> dict[str, Any]:
    """A string path parameter."""
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """A required JSON request body."""
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_REPORT_PARAMETERS = [
    _query(name, {"type": "string", "format": "date"}, description)
    for name, description in (
        ("from", "the first day (default: six days before `to`)"),
        ("to", "the last day, included (default: today)"),
    )
] + [_query("by", {"type": "string", "enum": ["service", "window", "clerk", "hour"]})]


def _report(summary: str, media: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "security": [*_AUTH, {"session": []}],
            "parameters": _REPORT_PARAMETERS,
            "responses": {
                "200": {"description": "the report", "content": {media: {"schema": schema}}},
                **_errors(400, 401, 404),
                "503": {
                    "description": "the history database is unavailable",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            },
        }
    }


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
        "description": "Health, metrics, the back office's appointments and catalogue, tickets, "
        "reports, and the dashboard's staff section (a signed-in session's cookie). Every "
        "/api/ operation is rate-limited per client address and per API client "
        "(429 with Retry-After); a request body is at most 16 KiB (413) and must arrive within "
        "[http] body_timeout_s (408).",
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
            "session": {
                "type": "apiKey",
                "in": "cookie",
                "name": "hall_session",
                "description": "a dashboard session: POST /login with the form fields name "
                "and password sets it (any role but a clerk's reads reports)",
            },
        },
        "schemas": {"Error": _ERROR, "Ticket": _TICKET},
    },
    "paths": {
        "/healthz": {
            "get": {
                "summary": "Is this the active hub, connected to its broker and store?",
                "responses": {
                    "200": _ok("healthy: the active hub (`role`: active)"),
                    "503": _ok(
                        "degraded (broker or store unreachable), standby (another hub serves "
                        "the hall; every other path answers 503 too) or stopped; see `role`"
                    ),
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
                "responses": {"200": _ok("the services"), **_errors()},
            }
        },
        "/api/appointments": {
            "post": {
                "summary": "Book an appointment (from the portal)",
                "security": _AUTH,
                "requestBody": _json_body(_APPOINTMENT_IN),
                "responses": {"201": _ok("booked"), **_errors(400, 401, 404, 408, 409, 413, 503)},
            },
            "get": {
                "summary": "The appointments of a day",
                "security": _AUTH,
                "parameters": [_query("day", {"type": "string", "format": "date"})],
                "responses": {"200": _ok("appointments"), **_errors(401)},
            },
        },
        "/api/appointments/{code}": {
            "delete": {
                "summary": "Cancel an appointment",
                "security": _AUTH,
                "parameters": [_path_string("code")],
                "responses": {"200": _ok("cancelled"), **_errors(400, 401, 404, 409, 503)},
            }
        },
        "/api/catalogue": {
            "post": {
                "summary": "Change the live service catalogue (add, rename, close, reopen, cap)",
                "security": _AUTH,
                "requestBody": _json_body(_CATALOGUE_IN),
                "responses": {"200": _ok("changed"), **_errors(400, 401, 404, 408, 409, 413, 503)},
            }
        },
        "/api/hall/settings": {
            "get": {
                "summary": "The hall's live settings (services, windows, devices, notice) and "
                "the audit of their changes, newest first (a signed-in dashboard user)",
                "security": [{"session": []}],
                "responses": {
                    "200": _ok("the settings, `may_act` and `audit`"),
                    **_errors(401, 403, 503),
                },
            },
            "post": {
                "summary": "Change one of the hall's live settings (a manager's session, from "
                "a page of this hub): applied at once, kept, audited",
                "security": [{"session": []}],
                "requestBody": _json_body(SETTINGS_IN),
                "responses": {
                    "200": _ok("changed: the service, or the window, device or notice"),
                    **_errors(400, 401, 403, 404, 408, 409, 413, 503),
                },
            },
        },
        "/api/tickets/{no}": {
            "get": {
                "summary": "A ticket as the back office sees it",
                "security": _AUTH,
                "parameters": [_path_string("no")],
                "responses": {"200": _ok("the ticket"), **_errors(401, 404)},
            }
        },
        "/api/public/tickets/{no}": {
            "get": {
                "summary": (
                    "A ticket's public view (the printed QR code): no personal data; with "
                    "`service_name` (and `service_name_en` when the hall file gives one), "
                    "`hall_name` and, once called, `window_name`"
                ),
                "parameters": [_path_string("no")],
                "responses": {"200": _ok("the ticket"), **_errors(404)},
            }
        },
        "/api/reports": _report(
            "The history's report for a date range by service, window, clerk or hour",
            "application/json",
            REPORT,
        ),
        "/api/reports.csv": _report(
            "The report as CSV (UTF-8 with BOM), the total as the last line",
            "text/csv",
            {"type": "string"},
        ),
        "/api/reports.xlsx": _report(
            "The report as an XLSX workbook (a second sheet lists the comments)",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            {"type": "string", "format": "binary"},
        ),
        "/api/staffing/today": {
            "get": {
                "summary": (
                    "Staffing advice for the rest of today: per half hour, which of the hall's "
                    "windows to open (pooled by Erlang C, from today's expected arrivals and "
                    "the learned time per visit; never more than the hall has) to call 80% "
                    "within the wait target, against the windows open now"
                ),
                "security": [*_AUTH, {"session": []}],
                "responses": {
                    "200": _ok("the advice", STAFFING),
                    **_errors(401),
                },
            }
        },
        "/api/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {"200": _ok("OpenAPI 3.0"), **_errors()},
            }
        },
        "/api/asyncapi.json": {
            "get": {
                "summary": "The MQTT side of the device contract",
                "responses": {"200": _ok("AsyncAPI 2.6"), **_errors()},
            }
        },
        **STAFF_PATHS,
        **DOCUMENT_PATHS,
    },
    "x-pages": {
        "/login": {
            "get": "the sign-in form (login.html; {{error}} is replaced by the error)",
            "post": "form fields name, password: 303 to /dashboard with the hall_session "
            "cookie, or 401 and the form with 用户名或密码错误; 429 (too soon after failures) "
            "or 403 (locked, or posted by another site) with Retry-After and the form saying "
            "when to try again; 503 when too many sign-ins are checked at once",
        },
        "/logout": {"post": "ends the session; 303 to /login (403 when posted by another site)"},
        "/dashboard": {"get": "dashboard.html; without a session 302 to /login"},
        "/dashboard/reports": {
            "get": "reports.html: the history's reports, charts and exports; without a "
            "session 302 to /login"
        },
        "/dashboard/hall": {
            "get": "hall.html: the hall settings (services, windows, devices, notice, audit); "
            "read-only for an auditor; without a dashboard session 302 to /login"
        },
        **STAFF_PAGES,
        "/screen": {"get": "screen.html: the hall's big screen"},
        "/kiosk/{device}": {"get": "kiosk.html for a kiosk device (404 for others)"},
        "/pad/{device}": {"get": "pad.html for a window_pad, caller or evaluator (404 else)"},
        "/t/{no}": {"get": "ticket.html: a ticket's live status (the QR code's page)"},
        "/t/{no}/qr.svg": {
            "get": "image/svg+xml: the QR code of <public_url>/t/<no> ([http] public_url; "
            "without it <scheme>://<Host>/t/<no>; drawn by segno; Cache-Control: public, "
            "max-age=86400); 404 when <no> is not a ticket number"
        },
        "/static": {
            "get": "/static/<path>: the pages' CSS, JavaScript and images, the file <path> "
            "of hall/web/static_files/static/ (Cache-Control: no-cache, ETag, Last-Modified)"
        },
        "/static/static": {"get": "/static/static/<path>: the same files as /static/<path>"},
        "/ws/dashboard": {"get": "WebSocket: dashboard snapshots, events, actions (session)"},
        "/ws/screen": {"get": "WebSocket: the screen's board, services, notice, announcements"},
        "/ws/device/{device}": {"get": "WebSocket: a page acting as a contract device"},
        "/ws/watch": {"get": "WebSocket: every event (bearer token or session)"},
        **DOCUMENT_PAGES,
        "/ws/ticket/{no}": {
            "get": "WebSocket: one ticket's public view on connect and on every change (at "
            "most 1/s; no personal data); 404 when <no> is not a ticket number, 403 for "
            "another site's Origin, 429 beyond the address's /api/ rate or 8 sockets per "
            "ticket, 503 beyond 2000 sockets"
        },
    },
}
