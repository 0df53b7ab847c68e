"""The administrator's changes to the staff accounts, as JSON routes of the signed-in page
`/dashboard/staff`: add a user, change a role, disable or enable, reset a password, PIN or
staff card, delete. A change may carry the `version` of the user the page showed (from the
listing); a user changed meanwhile is then refused with 409 ``changed``, not overwritten.
Every change is one atomic store script with its audit entry (`{at, by, event, user,
fields}`: the names of the fields changed, never a hash or a secret); the store refuses a
change that would leave no active administrator, and this module refuses one that would take
the signed-in administrator's own rights away. A user disabled or deleted is signed out
everywhere at once: their dashboard sessions end and the windows their staff number is
signed in at are closed, as a manager closes one (a staff number moved to another user too).
Passwords and PINs are hashed with argon2id off the event loop; a staff card is kept as its
digest.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from typing import Any

from aiohttp import web

from hall.contract.errors import Fenced
from hall.contract.wire import Request
from hall.domain import accounts, roles
from hall.domain.accounts import AccountError, Secrets
from hall.domain.actor import Actor
from hall.domain.config import UserConfig
from hall.hub.engine import Handled
from hall.hub.hub import Hub
from hall.hub.staff import card_digest
from hall.store.users import UserChange, user_version
from hall.web.api import HUB
from hall.web.pages import SESSIONS
from hall.web.sessions import Session, hash_password
from hall.web.staff_admin import allowed_session, json_body, read_store, refusal

__all__ = ["add_routes"]

log = logging.getLogger("hall.web.staff")
ROUTES = web.RouteTableDef()
USERS = "/dashboard/staff/users"
# What the store answers instead of ok, as HTTP refusals people can act on.
_REFUSALS: dict[str, tuple[type[web.HTTPException], str]] = {
    "exists": (web.HTTPConflict, "a user of this name exists already"),
    "not_found": (web.HTTPNotFound, "no such user"),
    "staff_taken": (web.HTTPConflict, "another user has this staff number"),
    "last_administrator": (
        web.HTTPConflict,
        "the hall would have no administrator left: make another one first",
    ),
    "own_rights": (web.HTTPConflict, "you cannot take your own administrator rights away"),
    "changed": (web.HTTPConflict, "someone changed this user meanwhile: reload and try again"),
}


def _refused(answer: str) -> web.HTTPException:
    kind, text = _REFUSALS.get(answer, (web.HTTPConflict, answer))
    return refusal(kind, answer, text)


ACCOUNT_ENDED = "账号已停用 / account ended"  # why a window of a clerk no longer allowed paused
_ACTIONS = ("role", "disable", "enable", "reset")


async def _hashed(user: UserConfig, secrets: Secrets) -> UserConfig:
    """`user` with the secrets the form set, hashed (argon2id in a thread)."""
    changes: dict[str, Any] = {}
    if secrets.password is not None:
        changes["password_hash"] = await asyncio.to_thread(hash_password, secrets.password)
    if secrets.pin is not None:
        changes["pin_hash"] = await asyncio.to_thread(hash_password, secrets.pin)
    if secrets.card is not None:
        changes["card_hash"] = card_digest(secrets.card)
    return dataclasses.replace(user, **changes)


async def _apply(
    request: web.Request,
    session: Session,
    change: UserChange,
    before: UserConfig | None,
    after: UserConfig | None,
    event: str,
) -> web.Response:
    name = after.name if after is not None else before.name if before is not None else ""
    entry: dict[str, Any] = {
        "at": round(request.app[HUB].now(), 3),
        "by": session.user,
        "event": event,
        "user": name,
        "fields": accounts.changed_fields(before, after),
    }
    if after is not None and "role" in entry["fields"]:
        entry["role"] = after.role  # a role is no secret: the audit says which
    users = request.app[HUB].staff.users
    answer = await read_store(users.change(change, name, after, entry, was=before))
    if answer != "ok":
        raise _refused(answer)
    fields = ", ".join(entry["fields"])
    log.warning("user %s: %s by %s (%s)", name, event, session.user, fields)
    if after is None or after.disabled:
        await read_store(request.app[SESSIONS].end_user(name))
    body: dict[str, Any] = {"done": event, "user": name, "fields": entry["fields"]}
    signed_out = []
    for staff in _staff_to_sign_out(before, after):
        signed_out += await _sign_out_at_windows(request, session, name, staff)
    if signed_out:
        body["windows"] = signed_out
    return web.json_response(body)


def _staff_to_sign_out(before: UserConfig | None, after: UserConfig | None) -> set[str]:
    """The staff numbers whose window sign-ins end with this change: a user disabled or
    deleted, or a number taken away from one user or given to another."""
    out: set[str] = set()
    if before is not None and before.staff:
        if after is None or after.disabled or after.staff != before.staff:
            out.add(before.staff)
    if after is not None and after.staff and (before is None or before.staff != after.staff):
        out.add(after.staff)
    return out


async def _sign_out_at_windows(
    request: web.Request, session: Session, name: str, staff: str
) -> list[dict[str, str]]:
    """Close every window `staff` is signed in at, as the manager's close from the dashboard
    does (its pads see it at once). A window with a ticket in hand cannot close: it is paused
    instead, to be closed once the ticket is finished. Each one is audited with who did it."""
    hub, done = request.app[HUB], []
    windows = [w.id for w in hub.state.windows.values() if w.staff == staff and w.state != "closed"]
    for window in windows:
        ended = "closed"
        handled = await _as_manager(hub, session, "window.close", {"window": window})
        if handled.code == "invalid_state":
            ended = "paused"
            args = {"window": window, "reason": ACCOUNT_ENDED}
            handled = await _as_manager(hub, session, "window.pause", args)
        if handled.code != "ok":
            ended = handled.code
        log.warning(
            "staff %s (%s) at window %s: %s by %s", staff, name, window, ended, session.user
        )
        entry = {"at": round(hub.now(), 3), "by": session.user, "event": "window_signed_out"}
        await read_store(
            hub.staff.users.audit({**entry, "user": name, "staff": staff, "window": window})
        )
        done.append({"window": window, "staff": staff, "result": ended})
    return done


async def _as_manager(hub: Hub, session: Session, op: str, args: dict[str, Any]) -> Handled:
    request = Request(f"staff-{uuid.uuid4().hex}", op, args)
    try:
        return await hub.submit(Actor.manager(session.user), request)
    except Fenced as exc:
        raise refusal(web.HTTPServiceUnavailable, "internal", "this hub was replaced") from exc


def _check_version(given: object, before: UserConfig) -> None:
    """Refuse a change made from a copy of the user older than the stored one."""
    if given is None:
        return
    if not isinstance(given, str):
        raise refusal(web.HTTPBadRequest, "bad_request", "version: the text the listing gave")
    if given != user_version(before):
        raise _refused("changed")


def _own_rights(session: Session, name: str, after: UserConfig | None) -> None:
    """An administrator never takes their own rights away (someone else must)."""
    if name != session.user:
        return
    if after is None or after.disabled or roles.canonical_role(after.role) != "administrator":
        raise _refused("own_rights")


@ROUTES.post(USERS)
async def add_user(request: web.Request) -> web.Response:
    session = await allowed_session(request, roles.USERS_MANAGE)
    body = await json_body(request)
    try:
        user = UserConfig(
            name=accounts.valid_name(body.get("name")),
            password_hash="",
            role=accounts.valid_role(body.get("role")),
            staff=accounts.valid_staff(body.get("staff")),
        )
        user = await _hashed(user, accounts.read_secrets(body))
        accounts.check_complete(user)
    except AccountError as exc:
        raise refusal(web.HTTPBadRequest, "bad_request", str(exc)) from exc
    existing = await read_store(request.app[HUB].staff.users.all())
    twin = accounts.name_taken(user.name, (u.name for u in existing))
    if twin is not None:
        message = (
            f"a user named {twin!r} exists already: names differing only in case or width are one"
        )
        raise refusal(web.HTTPConflict, "exists", message)
    response = await _apply(request, session, "add", None, user, "user_added")
    response.set_status(201)
    return response


@ROUTES.post(USERS + "/{name}")
async def change_user(request: web.Request) -> web.Response:
    """`{"action": "role", "role", "password"?, "pin"?, "staff"?}` (a clerk made a dashboard
    role sets its password in the same change), `{"action": "disable"}`, `{"action": "enable"}`
    or `{"action": "reset", "password"?, "pin"?, "card"?, "staff"?}`; any of them with the
    `version` the page showed."""
    session = await allowed_session(request, roles.USERS_MANAGE)
    name = request.match_info["name"]
    body = await json_body(request)
    action = body.get("action")
    if action not in _ACTIONS:
        message = f"action: one of {', '.join(_ACTIONS)}"
        raise refusal(web.HTTPBadRequest, "bad_request", message)
    before = await read_store(request.app[HUB].staff.users.get(name))
    if before is None:
        raise _refused("not_found")
    _check_version(body.get("version"), before)
    try:
        if action == "role":
            after = dataclasses.replace(before, role=accounts.valid_role(body.get("role")))
            if "staff" in body:
                after = dataclasses.replace(after, staff=accounts.valid_staff(body["staff"]))
            after = await _hashed(after, accounts.read_secrets(body))
        elif action in ("disable", "enable"):
            after = dataclasses.replace(before, disabled=action == "disable")
        else:
            secrets = accounts.read_secrets(body)
            after = before
            if "staff" in body:
                after = dataclasses.replace(after, staff=accounts.valid_staff(body["staff"]))
            if secrets == Secrets() and after == before:
                raise AccountError("reset: give a new password, pin, card or staff number")
            after = await _hashed(after, secrets)
        accounts.check_complete(after)
    except AccountError as exc:
        raise refusal(web.HTTPBadRequest, "bad_request", str(exc)) from exc
    _own_rights(session, name, after)
    event = {"role": "role_changed", "reset": "user_reset"}.get(action, f"user_{action}d")
    return await _apply(request, session, "replace", before, after, event)


@ROUTES.delete(USERS + "/{name}")
async def delete_user(request: web.Request) -> web.Response:
    session = await allowed_session(request, roles.USERS_MANAGE)
    name = request.match_info["name"]
    before = await read_store(request.app[HUB].staff.users.get(name))
    if before is None:
        raise _refused("not_found")
    _check_version(request.query.get("version"), before)
    _own_rights(session, name, None)
    return await _apply(request, session, "delete", before, None, "user_deleted")


def add_routes(app: web.Application) -> None:
    app.router.add_routes(ROUTES)
