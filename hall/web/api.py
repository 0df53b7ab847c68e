"""The hub's HTTP API for the back office: appointments, the live catalogue, tickets.

Every write goes through the same engine as the devices' MQTT requests (one atomic commit,
idempotent by request id). A client authenticates with a bearer token or a Standard Webhooks
signature (its `webhook-id` then doubles as the idempotency key); `Idempotency-Key` works too.
"""

from __future__ import annotations

import hmac
import json
import logging
import uuid
from typing import Any

from aiohttp import web

from hall.contract.wire import Request, dumps_text
from hall.domain.actor import Actor
from hall.domain.config import ApiClient
from hall.domain.model import rfc3339
from hall.domain.ops_ratings import case_id
from hall.hub.http import HUB
from hall.hub.hub import Hub
from hall.web.asyncapi import ASYNCAPI
from hall.web.openapi import OPENAPI
from hall.web.ticket_pages import public_ticket
from portal_link.webhooks import SignatureError, verify

__all__ = ["HUB", "STATUS_OF", "add_routes"]

log = logging.getLogger("hall.web.api")
ROUTES = web.RouteTableDef()  # each route is declared at its handler
STATUS_OF = {
    "bad_request": 400,
    "forbidden": 403,
    "not_found": 404,
    "unknown_service": 404,
    "unknown_device": 404,
    "invalid_state": 409,
    "daily_cap_reached": 409,
    "service_closed": 409,
    "internal": 503,
    "unavailable": 503,
}


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message}}, status=status, dumps=dumps_text
    )


async def _authenticate(request: web.Request, body: bytes) -> tuple[ApiClient, str | None]:
    """The API client making this request, and the request's idempotency key if it has one."""
    clients = request.app[HUB].config.api_clients
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        token = auth[len("Bearer ") :].strip()
        for client in clients:
            if client.token and hmac.compare_digest(client.token.encode(), token.encode()):
                return client, request.headers.get("Idempotency-Key")
        raise web.HTTPUnauthorized(
            text=dumps_text({"error": {"code": "unauthorized", "message": "unknown bearer token"}}),
            content_type="application/json",
        )
    if "webhook-signature" in request.headers:
        problems = []
        for client in clients:
            if client.secret is None:
                continue
            try:
                return client, verify(client.secret, request.headers, body)
            except SignatureError as exc:
                problems.append(str(exc))
        raise web.HTTPUnauthorized(
            text=dumps_text(
                {
                    "error": {
                        "code": "unauthorized",
                        "message": problems[0]
                        if problems
                        else "no API client has a webhook secret",
                    }
                }
            ),
            content_type="application/json",
        )
    raise web.HTTPUnauthorized(
        text=dumps_text(
            {
                "error": {
                    "code": "unauthorized",
                    "message": "send Authorization: Bearer <token> "
                    "or Standard Webhooks signature headers",
                }
            }
        ),
        content_type="application/json",
    )


authenticate = _authenticate  # for the API's other modules (hall/web/reports.py)


async def _json_body(request: web.Request) -> tuple[bytes, dict[str, Any]]:
    body = await request.read()
    try:
        data = json.loads(body) if body else {}
    except ValueError as exc:
        raise web.HTTPBadRequest(
            text=dumps_text(
                {"error": {"code": "bad_request", "message": f"the body is not JSON: {exc}"}}
            ),
            content_type="application/json",
        ) from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(
            text=dumps_text(
                {"error": {"code": "bad_request", "message": "the body must be a JSON object"}}
            ),
            content_type="application/json",
        )
    return body, data


async def _operate(
    request: web.Request, op: str, args: dict[str, Any], body: bytes, ok_status: int = 200
) -> web.Response:
    client, key = await _authenticate(request, body)
    request_id = (key or f"auto-{uuid.uuid4().hex}")[:64]
    hub = request.app[HUB]
    handled = await hub.submit(Actor.back_office(client.id), Request(request_id, op, args))
    response = json.loads(handled.response)
    if response["ok"]:
        return web.json_response(response["result"], status=ok_status, dumps=dumps_text)
    error = response["error"]
    return _error(STATUS_OF.get(error["code"], 400), error["code"], error["message"])


@ROUTES.post("/api/appointments")
async def book_appointment(request: web.Request) -> web.Response:
    body, data = await _json_body(request)
    return await _operate(request, "appointment.book", data, body, ok_status=201)


@ROUTES.delete("/api/appointments/{code}")
async def cancel_appointment(request: web.Request) -> web.Response:
    return await _operate(request, "appointment.cancel", {"code": request.match_info["code"]}, b"")


@ROUTES.get("/api/appointments")
async def list_appointments(request: web.Request) -> web.Response:
    await _authenticate(request, b"")
    state = request.app[HUB].state
    day = request.query.get("day", state.day)
    items = [
        a.public()
        | {"slot_start": rfc3339(a.slot_start, state.tz), "slot_end": rfc3339(a.slot_end, state.tz)}
        for a in sorted(state.appointments.values(), key=lambda a: a.slot_start)
        if a.day == day
    ]
    return web.json_response({"day": day, "appointments": items}, dumps=dumps_text)


@ROUTES.post("/api/catalogue")
async def change_catalogue(request: web.Request) -> web.Response:
    body, data = await _json_body(request)
    return await _operate(request, "catalogue.change", data, body)


@ROUTES.get("/api/services")
async def services(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    return web.json_response(
        {"day": hub.state.day, "services": hub.state.services_view(hub.now())}, dumps=dumps_text
    )


def _ticket_or_404(request: web.Request) -> tuple[Hub, Any]:
    hub = request.app[HUB]
    no = request.match_info["no"]
    ticket = hub.state.tickets.get(no)
    if ticket is None:
        raise web.HTTPNotFound(
            text=dumps_text({"error": {"code": "not_found", "message": f"no ticket {no} today"}}),
            content_type="application/json",
        )
    return hub, ticket


@ROUTES.get("/api/tickets/{no}")
async def ticket_back_office(request: web.Request) -> web.Response:
    await _authenticate(request, b"")
    hub, ticket = _ticket_or_404(request)
    view = hub.state.ticket_view(ticket, hub.now()) | {
        "case_id": case_id(hub.state, ticket),
        "staff": ticket.staff,
        "kiosk": ticket.kiosk,
        "appointment": ticket.appointment,
        "last_window": ticket.window,
        "rated": ticket.rated,
    }
    return web.json_response({"ticket": view}, dumps=dumps_text)


@ROUTES.get("/api/public/tickets/{no}")
async def ticket_public(request: web.Request) -> web.Response:
    """What the printed QR code's page shows: position, wait, where to go; no personal data."""
    hub, ticket = _ticket_or_404(request)
    return web.json_response({"ticket": public_ticket(hub, ticket)}, dumps=dumps_text)


@ROUTES.get("/api/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(OPENAPI, dumps=dumps_text)


@ROUTES.get("/api/asyncapi.json")
async def asyncapi(request: web.Request) -> web.Response:
    return web.json_response(ASYNCAPI, dumps=dumps_text)


def add_routes(app: web.Application) -> None:
    """The back office's API, on an app that serves a hub (`hall.hub.http.add_health_routes`)."""
    app.router.add_routes(ROUTES)
