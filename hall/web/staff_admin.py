"""The dashboard's staff section, the page `/dashboard/staff` (人员与登录) and its JSON: the
signed-in sessions (a manager ends any one, and its pages close at once), the users with the
lockouts their failed sign-ins caused (a manager lifts one), and the audit of sign-ins and
account changes (the administrator's changes to the users are `staff_users.py`'s). Every
route checks the session's role in `hall.domain.roles`, the one table of who may do what;
changes must come from a page of this hub (`form_from_this_hub`). Refusals are JSON errors
(`{"error": {"code", "message"}}`) as on the HTTP API; the routes are in the OpenAPI
document with the session cookie as their security.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

from aiohttp import web

from hall.contract.errors import StoreUnavailable
from hall.domain import roles
from hall.store.users import user_version
from hall.web.api import HUB
from hall.web.pages import SESSIONS, dashboard_page_for, session_of
from hall.web.security import form_from_this_hub
from hall.web.sessions import Session

__all__ = ["add_routes", "allowed_session", "json_body", "read_store", "refusal"]

log = logging.getLogger("hall.web.staff")
ROUTES = web.RouteTableDef()
T = TypeVar("T")
MAX_SUBJECT_CHARS = 64  # a user name or a staff number


async def allowed_session(request: web.Request, action: str) -> Session:
    """The session, when it may do `action`; raises the HTTP refusal otherwise."""
    session = await read_store(session_of(request))
    if session is None:
        raise refusal(web.HTTPUnauthorized, "unauthorized", "sign in at /login first")
    if not session.allowed(action):
        raise refusal(web.HTTPForbidden, "forbidden", f"a {session.role} may not do that")
    if request.method != "GET" and not form_from_this_hub(request):
        raise refusal(web.HTTPForbidden, "bad_origin", "not from a page of this hub")
    return session


def refusal(kind: type[web.HTTPException], code: str, message: str) -> web.HTTPException:
    """A refusal as the API answers one: ``{"error": {"code", "message"}}``."""
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False)
    return kind(text=body, content_type="application/json")


@ROUTES.get("/dashboard/staff")
async def staff_page(request: web.Request) -> web.StreamResponse:
    """The page; what it shows (and whether it may change anything) its JSON routes decide."""
    return await dashboard_page_for(request, "staff.html")


@ROUTES.get("/dashboard/staff/sessions")
async def sessions(request: web.Request) -> web.Response:
    await allowed_session(request, roles.SESSIONS_VIEW)
    return web.json_response({"sessions": await read_store(request.app[SESSIONS].listed())})


@ROUTES.delete("/dashboard/staff/sessions/{id}")
async def end_session(request: web.Request) -> web.Response:
    session = await allowed_session(request, roles.SESSIONS_END)
    digest = request.match_info["id"]
    listed = await read_store(request.app[SESSIONS].listed())
    owner = next((str(s["user"]) for s in listed if s["id"] == digest), "")
    ended = await read_store(request.app[SESSIONS].end_by_id(digest))
    if not ended:
        raise refusal(web.HTTPNotFound, "not_found", "no such session (ended or expired)")
    log.warning("a session of %s was ended by %s", owner or "someone", session.user)
    entry = {"at": request.app[HUB].now(), "event": "session_ended", "by": session.user}
    entry["user"] = owner  # whose session it was
    await read_store(request.app[HUB].staff.users.audit(entry))
    return web.json_response({"ended": True})


@ROUTES.get("/dashboard/staff/users")
async def users(request: web.Request) -> web.Response:
    session = await allowed_session(request, roles.USERS_VIEW)
    staff = request.app[HUB].staff
    listed: list[dict[str, Any]] = [
        {"name": u.name, "role": roles.canonical_role(u.role), "staff": u.staff,
         "pin": u.pin_hash is not None, "card": u.card_hash is not None, "disabled": u.disabled,
         "version": user_version(u)}
        for u in await read_store(staff.users.all())
    ]  # fmt: skip
    return web.json_response(
        {
            "me": {
                "user": session.user,
                "role": session.role,
                "manage": session.allowed(roles.USERS_MANAGE),
            },
            "timezone": request.app[HUB].config.hall.timezone,  # the page shows times in it
            "users": listed,
            "lockouts": await read_store(staff.lockouts()),
            "audit": await read_store(staff.users.audit_log(100)),
        }
    )


@ROUTES.post("/dashboard/staff/unlock")
async def unlock(request: web.Request) -> web.Response:
    session = await allowed_session(request, roles.LOCKOUTS_CLEAR)
    body = await json_body(request)
    kind, subject = body.get("kind"), body.get("subject")
    if kind not in ("staff", "account") or not isinstance(subject, str) or not subject:
        raise refusal(web.HTTPBadRequest, "bad_request", "expected {kind: staff|account, subject}")
    if len(subject) > MAX_SUBJECT_CHARS:
        message = f"subject is at most {MAX_SUBJECT_CHARS} characters"
        raise refusal(web.HTTPBadRequest, "bad_request", message)
    await read_store(request.app[HUB].staff.unlock(subject, kind, by=session.user))
    return web.json_response({"unlocked": True})


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object; a clear 400 for anything else."""
    try:
        body = await request.json()
    except ValueError as exc:
        raise refusal(web.HTTPBadRequest, "bad_request", "expected a JSON object") from exc
    if not isinstance(body, dict):
        raise refusal(web.HTTPBadRequest, "bad_request", "expected a JSON object")
    return body


async def read_store(pending: Awaitable[T]) -> T:
    try:
        return await pending
    except StoreUnavailable as exc:
        message = f"the store cannot be reached: {exc}"
        raise refusal(web.HTTPServiceUnavailable, "store_unavailable", message) from exc


def add_routes(app: web.Application) -> None:
    app.router.add_routes(ROUTES)
