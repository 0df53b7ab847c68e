"""Running the hall from the dashboard: the hall settings page and its JSON.

``GET /dashboard/hall`` is the page (hall.html); ``GET /api/hall/settings`` lists what a
manager may change (services with their caps, hours and documents; windows with their
services in order of preference; devices; the screens' notice) with the audit of changes,
newest first; ``POST /api/hall/settings`` makes one change: the body is the arguments of the
`catalogue.change` operation (`hall.domain.settings`), carried out through the hub's one
request path for the signed-in manager, so it is checked, committed with its audit entry and
published to the kiosks, pads and screens at once. Every route checks the session's role in
`hall.domain.roles` (an auditor reads, a manager or an administrator changes; a clerk or no
session is refused); a change must come from a page of this hub (`form_from_this_hub`).
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from aiohttp import web

from hall.contract.errors import Fenced, StoreUnavailable
from hall.contract.wire import Request, dumps_text
from hall.domain import roles
from hall.domain.actor import Actor
from hall.domain.settings import device_view, service_view
from hall.hub.hub import Hub
from hall.hub.views import window_name
from hall.web.api import HUB, STATUS_OF
from hall.web.api import _error as error_answer
from hall.web.api import _json_body as json_body
from hall.web.pages import dashboard_page_for, session_of
from hall.web.security import form_from_this_hub
from hall.web.sessions import Session

__all__ = ["add_routes", "settings_view"]

log = logging.getLogger("hall.web.hall_settings")
ROUTES = web.RouteTableDef()  # each route is declared at its handler
AUDIT_SHOWN = 100


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.answer = error_answer(status, code, message)


async def _session(request: web.Request, action: str) -> Session:
    """The session, when it may do `action`; raises `_Refused` otherwise."""
    session = await session_of(request)
    if session is None:
        raise _Refused(401, "unauthorized", "sign in at /login first")
    if not session.allowed(action):
        raise _Refused(403, "forbidden", f"a {session.role} may not do that")
    if request.method != "GET" and not form_from_this_hub(request):
        raise _Refused(403, "forbidden", "not from a page of this hub")
    return session


def settings_view(hub: Hub) -> dict[str, Any]:
    """What the page shows and a manager may change, as the hall runs now."""
    state, config = hub.state, hub.config
    catalogue = state.catalogue
    assert catalogue is not None
    return {
        "hall": {"id": config.hall.id, "name": config.hall.name},
        "version": catalogue.version,
        "notice": hub.notice(),
        "services": [
            {**service_view(s), "issued": state.counters.get(s.code, 0)} for s in catalogue.services
        ],
        "windows": [
            {"id": w, "name": window_name(state, w), "services": list(services)}
            for w, services in catalogue.window_services.items()
        ],
        "devices": [
            # A pad's own printer: it stays at the pad's window (the hall file moves both).
            {**device_view(config, catalogue, d.id), "printer": d.printer}
            if d.kind == "window_pad" and d.printer
            else device_view(config, catalogue, d.id)
            for d in config.devices
        ],
    }


@ROUTES.get("/dashboard/hall")
async def hall_page(request: web.Request) -> web.StreamResponse:
    return await dashboard_page_for(request, "hall.html")


@ROUTES.get("/api/hall/settings")
async def read_settings(request: web.Request) -> web.Response:
    try:
        session = await _session(request, roles.READ)
    except _Refused as refused:
        return refused.answer
    hub = request.app[HUB]
    try:
        audit = await hub.settings_audit(AUDIT_SHOWN)
    except StoreUnavailable as exc:
        return error_answer(503, "unavailable", f"the store cannot be reached: {exc}")
    view = settings_view(hub) | {"may_act": session.allowed(roles.HALL_ACT), "audit": audit}
    return web.json_response(view, dumps=dumps_text)


@ROUTES.post("/api/hall/settings")
async def change_settings(request: web.Request) -> web.Response:
    try:
        session = await _session(request, roles.HALL_ACT)
    except _Refused as refused:
        return refused.answer
    _body, args = await json_body(request)
    hub = request.app[HUB]
    request_id = f"hall-{uuid.uuid4().hex}"
    try:
        handled = await hub.submit(
            Actor.manager(session.user), Request(request_id, "catalogue.change", args)
        )
    except Fenced:
        return error_answer(503, "internal", "this hub was replaced by a newer one")
    response = json.loads(handled.response)
    if not response["ok"]:
        error = response["error"]
        return error_answer(STATUS_OF.get(error["code"], 400), error["code"], error["message"])
    log.info("hall settings changed by %s: %s", session.user, args.get("action"))
    return web.json_response(response["result"], dumps=dumps_text)


def add_routes(app: web.Application) -> None:
    app.router.add_routes(ROUTES)
