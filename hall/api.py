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

from portal_link.webhooks import SignatureError, verify

from .asyncapi import ASYNCAPI
from .config import ApiClient, DeviceConfig
from .domain.model import rfc3339
from .hub import Hub
from .openapi import OPENAPI
from .protocol import Request, dumps_text

log = logging.getLogger("hall.api")
HUB: web.AppKey[Hub] = web.AppKey("hub", Hub)
STATUS_OF = {
    "bad_request": 400,
    "forbidden": 403,
    "not_found": 404,
    "unknown_service": 404,
    "invalid_state": 409,
    "daily_cap_reached": 409,
    "service_closed": 409,
    "internal": 503,
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
    device = DeviceConfig(id=f"api-{client.id}", kind="back_office")
    request_id = (key or f"auto-{uuid.uuid4().hex}")[:64]
    hub = request.app[HUB]
    handled = await hub.submit(device, Request(request_id, op, args))
    response = json.loads(handled.response)
    if response["ok"]:
        return web.json_response(response["result"], status=ok_status, dumps=dumps_text)
    error = response["error"]
    return _error(STATUS_OF.get(error["code"], 400), error["code"], error["message"])


async def book_appointment(request: web.Request) -> web.Response:
    body, data = await _json_body(request)
    return await _operate(request, "appointment.book", data, body, ok_status=201)


async def cancel_appointment(request: web.Request) -> web.Response:
    return await _operate(request, "appointment.cancel", {"code": request.match_info["code"]}, b"")


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


async def change_catalogue(request: web.Request) -> web.Response:
    body, data = await _json_body(request)
    return await _operate(request, "catalogue.change", data, body)


async def services(request: web.Request) -> web.Response:
    state = request.app[HUB].state
    return web.json_response(
        {"day": state.day, "services": state.services_view()}, dumps=dumps_text
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


async def ticket_back_office(request: web.Request) -> web.Response:
    await _authenticate(request, b"")
    hub, ticket = _ticket_or_404(request)
    view = hub.state.ticket_view(ticket) | {
        "case_id": f"{hub.config.hall.id}-{ticket.day}-{ticket.no}",
        "staff": ticket.staff,
        "kiosk": ticket.kiosk,
        "appointment": ticket.appointment,
        "last_window": ticket.window,
        "rated": ticket.rated,
    }
    return web.json_response({"ticket": view}, dumps=dumps_text)


async def ticket_public(request: web.Request) -> web.Response:
    """What the printed QR code's page shows: position, wait, where to go; no personal data."""
    hub, ticket = _ticket_or_404(request)
    view = hub.state.ticket_view(ticket)
    service = hub.state.service(ticket.service)
    view["service_name"] = service.name if service else ticket.service
    view["hall_name"] = hub.config.hall.name
    return web.json_response({"ticket": view}, dumps=dumps_text)


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(OPENAPI, dumps=dumps_text)


async def asyncapi(request: web.Request) -> web.Response:
    return web.json_response(ASYNCAPI, dumps=dumps_text)


def add_routes(app: web.Application, hub: Hub) -> None:
    app[HUB] = hub
    app.router.add_post("/api/appointments", book_appointment)
    app.router.add_get("/api/appointments", list_appointments)
    app.router.add_delete("/api/appointments/{code}", cancel_appointment)
    app.router.add_post("/api/catalogue", change_catalogue)
    app.router.add_get("/api/services", services)
    app.router.add_get("/api/tickets/{no}", ticket_back_office)
    app.router.add_get("/api/public/tickets/{no}", ticket_public)
    app.router.add_get("/api/openapi.json", openapi)
    app.router.add_get("/api/asyncapi.json", asyncapi)
