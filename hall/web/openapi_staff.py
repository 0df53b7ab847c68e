"""The OpenAPI paths of the dashboard's staff section (`staff_admin.py`, `staff_users.py`):
JSON for the signed-in page /dashboard/staff, with the session cookie (`hall_session`) of a
manager (look, unlock, end sessions) or an administrator (change the users). Refusals are
``{"error": {"code", "message"}}``; a change must come from a page of this hub (its Origin).
"""

from __future__ import annotations

from typing import Any

__all__ = ["STAFF_PAGES", "STAFF_PATHS"]

_SESSION: list[dict[str, list[str]]] = [{"session": []}]
_ERROR_TEXT = {
    400: "bad request: the message says what is wrong",
    401: "not signed in",
    403: "the session's role may not do this, or the change came from another site",
    404: "no such user or session",
    409: "refused: the name or staff number is taken, it would leave no administrator, "
    "or it would take the signed-in administrator's own rights away",
    503: "the store is unavailable",
}


def _answers(ok: str, *codes: int, status: str = "200") -> dict[str, Any]:
    answers: dict[str, Any] = {
        status: {"description": ok, "content": {"application/json": {"schema": {"type": "object"}}}}
    }
    for code in (401, 403, 503, *codes):
        answers[str(code)] = {
            "description": _ERROR_TEXT[code],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return answers


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "required": required, "properties": properties}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _name() -> dict[str, Any]:
    return {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}


_ROLE = {"type": "string", "enum": ["clerk", "auditor", "manager", "administrator"]}
_SECRETS = {
    "password": {"type": "string", "description": "dashboard roles: 8 characters or more"},
    "pin": {"type": "string", "pattern": "^[0-9]{4,8}$", "description": "a clerk's PIN"},
    "card": {"type": "string", "description": "a staff card's id, kept as its digest"},
}
_STAFF = {"type": "string", "pattern": "^[0-9]{1,16}$"}
_VERSION = {
    "type": "string",
    "description": "the user's version as `GET /dashboard/staff/users` listed it",
}

STAFF_PATHS: dict[str, Any] = {
    "/dashboard/staff/users": {
        "get": {
            "summary": "The users, the lockouts (time left) and the audit, newest first "
            "(manager or administrator); `me` says who asks and whether they may change users",
            "security": _SESSION,
            "responses": _answers("users, lockouts, audit and me"),
        },
        "post": {
            "summary": "Add a user (administrator): name, role, staff number, and a password "
            "(dashboard roles) or a PIN (clerks), optionally a staff card; audited",
            "security": _SESSION,
            "requestBody": _body(
                {"name": {"type": "string"}, "role": _ROLE, "staff": _STAFF, **_SECRETS},
                ["name", "role"],
            ),
            "responses": _answers("added: the fields set", 400, 409, status="201"),
        },
    },
    "/dashboard/staff/users/{name}": {
        "post": {
            "summary": "Change a user (administrator): `action` role (with `role`, and the "
            "password when a clerk becomes a dashboard role), disable (their sessions end at "
            "once), enable, or reset (a new password, pin, card or staff); with the `version` "
            "the listing gave, a user changed meanwhile is refused (409 changed); audited with "
            "the names of the fields changed",
            "security": _SESSION,
            "parameters": [_name()],
            "requestBody": _body(
                {
                    "action": {"type": "string", "enum": ["role", "disable", "enable", "reset"]},
                    "role": _ROLE,
                    "staff": _STAFF,
                    "version": _VERSION,
                    **_SECRETS,
                },
                ["action"],
            ),
            "responses": _answers("changed: the fields changed", 400, 404, 409),
        },
        "delete": {
            "summary": "Delete a user (administrator; never the last administrator, never "
            "oneself); their sessions end at once; with `?version=`, only the user as listed",
            "security": _SESSION,
            "parameters": [
                _name(),
                {"name": "version", "in": "query", "required": False, "schema": _VERSION},
            ],
            "responses": _answers("deleted", 404, 409),
        },
    },
    "/dashboard/staff/sessions": {
        "get": {
            "summary": "The signed-in sessions of every hub of the hall (by id, never the token)",
            "security": _SESSION,
            "responses": _answers("sessions"),
        }
    },
    "/dashboard/staff/sessions/{id}": {
        "delete": {
            "summary": "End a session (manager): revoked for every hub, its pages close",
            "security": _SESSION,
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": _answers("ended", 404),
        }
    },
    "/dashboard/staff/unlock": {
        "post": {
            "summary": "Lift a lock of failed sign-ins (manager): a window's staff number or "
            "a dashboard account",
            "security": _SESSION,
            "requestBody": _body(
                {
                    "kind": {"type": "string", "enum": ["staff", "account"]},
                    "subject": {"type": "string", "minLength": 1, "maxLength": 64},
                },
                ["kind", "subject"],
            ),
            "responses": _answers("unlocked", 400),
        }
    },
}

STAFF_PAGES: dict[str, Any] = {
    "/dashboard/staff": {
        "get": "staff.html: staff and sign-ins (users, lockouts, sessions, audit); without a "
        "session 302 to /login"
    },
}
