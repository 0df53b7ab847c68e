"""The live pages' sockets: /ws/dashboard, /ws/screen, /ws/device/<device>, /ws/watch.

Each connection is served by `Live.serve` (live.py) with its own mailbox. A page acting as
a device sends its requests down the same path as MQTT (`Hub.device_request`): the same
checks, metrics and refusals; its answers come back as `{"type": "response", ...}`.
See docs/web-protocol.md.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import socket
import uuid
from typing import Any

from aiohttp import web

from hall.contract.errors import Fenced
from hall.contract.wire import MAX_ID_LEN, Request, dumps_text
from hall.domain.actor import Actor
from hall.domain.settings import MAX_NOTICE_CHARS
from hall.domain.supervision import KINDS
from hall.hub import views
from hall.hub.http import HUB
from hall.hub.hub import Hub
from hall.web.limits import bearer_client
from hall.web.live import LIVE, DeviceClient, Live
from hall.web.mailbox import Mailbox
from hall.web.pages import SESSIONS, session_of
from hall.web.security import origin_allowed
from hall.web.sessions import Session

log = logging.getLogger("hall.web.live_ws")

ANNOUNCEMENTS_KEPT = 20
WATCH_EVENTS_KEPT = 1000
MAX_MESSAGE_BYTES = 64 * 1024
HEARTBEAT_S = 30.0
SOCKET_SEND_BUFFER = 64 * 1024  # per connection (Linux doubles it)


async def accept(
    request: web.Request, *, max_msg_size: int = MAX_MESSAGE_BYTES
) -> web.WebSocketResponse:
    """Upgrade the request. The kernel's send buffer is capped (no growth to megabytes of
    stale snapshots for a client that does not read): a slow client is noticed sooner and is
    then sent only the newest snapshot."""
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=max_msg_size)
    await ws.prepare(request)
    sock = request.transport.get_extra_info("socket") if request.transport else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_SEND_BUFFER)
    return ws


def _refuse(status: type[web.HTTPException], code: str, message: str) -> web.HTTPException:
    return status(
        text=dumps_text({"error": {"code": code, "message": message}}),
        content_type="application/json",
    )


# ----- /ws/dashboard ---------------------------------------------------------------------------
def _result(ref: Any, error: tuple[str, str] | None = None) -> str:
    if error is None:
        return dumps_text({"type": "result", "ref": ref, "ok": True})
    code, message = error
    return dumps_text(
        {"type": "result", "ref": ref, "ok": False, "error": {"code": code, "message": message}}
    )


async def ws_dashboard(request: web.Request) -> web.WebSocketResponse:
    live = request.app[LIVE]
    session = await session_of(request)
    if session is None:
        raise _refuse(web.HTTPForbidden, "unauthorized", "sign in at /login first")
    if not origin_allowed(request):
        raise _refuse(web.HTTPForbidden, "bad_origin", "the Origin is not a page of this hub")
    ws = await accept(request)
    mailbox = Mailbox(ws, name=f"dashboard of {session.user}", session=session.token)
    mailbox.set_limited(dumps_text({"type": "snapshot", "data": live.snapshot()}))
    token = session.token

    async def on_text(text: str) -> None:
        current = await request.app[SESSIONS].get(token)
        if current is None:
            mailbox.push(_result(None, ("unauthorized", "the session ended: sign in again")))
            mailbox.finish(1008, "session ended")
            return
        mailbox.push(await _dashboard_action(live, request.app[HUB], current, text))

    await live.serve(request, mailbox, live.dashboards, on_text)
    return ws


async def _dashboard_action(live: Live, hub: Hub, session: Session, text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return _result(None, ("bad_request", "a message must be a JSON object"))
    if not isinstance(data, dict):
        return _result(None, ("bad_request", "a message must be a JSON object"))
    ref = data.get("ref")
    if not (isinstance(ref, str) and len(ref) <= MAX_ID_LEN):
        ref = None
    kind = data.get("type")
    if kind not in ("ack", "service", "notice", "window"):
        return _result(ref, ("bad_request", "type must be ack, service, notice or window"))
    if not session.may_act:
        return _result(ref, ("forbidden", f"{session.user} is a viewer: looking only"))
    if kind == "ack":
        return await _ack(live, session, ref, data)
    if kind == "notice":  # kept with the catalogue: audited, and it survives a restart
        notice = data.get("text")
        if not isinstance(notice, str) or len(notice) > MAX_NOTICE_CHARS:
            return _result(
                ref, ("bad_request", f"text must be at most {MAX_NOTICE_CHARS} characters")
            )
        log.info("notice changed by %s", session.user)
        args = {"action": "set_notice", "text": notice}
        return await _submit(hub, session, ref, "catalogue.change", args)
    if kind == "window":
        return await _window_action(hub, session, ref, data)
    action, code = data.get("action"), data.get("code")
    if action not in ("close", "reopen"):
        return _result(ref, ("bad_request", "action must be close or reopen"))
    if not isinstance(code, str):
        return _result(ref, ("bad_request", "code must be a service code"))
    return await _submit(hub, session, ref, "catalogue.change", {"action": action, "code": code})


async def _ack(live: Live, session: Session, ref: Any, data: dict[str, Any]) -> str:
    """Acknowledge one alarm (`alarm`) or every alarm of a kind not yet acknowledged
    (`kind`); the acknowledgements are audited with the manager's name."""
    alarm_id, alarm_kind = data.get("alarm"), data.get("kind")
    if alarm_kind is not None:
        if alarm_id is not None or alarm_kind not in KINDS:
            return _result(ref, ("bad_request", f"kind must be one of {', '.join(KINDS)}"))
        await live.ack_kind(alarm_kind, session.user)
        return _result(ref)
    if not isinstance(alarm_id, str) or not alarm_id:
        return _result(ref, ("bad_request", "alarm must be an alarm id (or kind an alarm kind)"))
    try:
        await live.ack(alarm_id, session.user)
    except KeyError:
        return _result(ref, ("not_found", f"no alarm {alarm_id} is listed"))
    return _result(ref)


async def _window_action(hub: Hub, session: Session, ref: Any, data: dict[str, Any]) -> str:
    """A manager pauses (with a reason) or closes a window: its pad shows it at once."""
    action, window, reason = data.get("action"), data.get("window"), data.get("reason")
    if action not in ("pause", "close"):
        return _result(ref, ("bad_request", "action must be pause or close"))
    if not isinstance(window, str):
        return _result(ref, ("bad_request", "window must be a window id"))
    args: dict[str, Any] = {"window": window}
    if action == "pause":
        args["reason"] = reason
    return await _submit(hub, session, ref, f"window.{action}", args)


async def _submit(hub: Hub, session: Session, ref: Any, op: str, args: dict[str, Any]) -> str:
    """Carry out `op` on behalf of the signed-in manager; the result message for the page."""
    request = Request(f"dash-{uuid.uuid4().hex}", op, args)
    try:
        handled = await hub.submit(Actor.manager(session.user), request)
    except Fenced:
        return _result(ref, ("internal", "this hub was replaced by a newer one"))
    response = json.loads(handled.response)
    if response["ok"]:
        return _result(ref)
    return _result(ref, (response["error"]["code"], response["error"]["message"]))


# ----- /ws/screen ------------------------------------------------------------------------------
async def ws_screen(request: web.Request) -> web.WebSocketResponse:
    live = request.app[LIVE]
    ws = await accept(request)
    mailbox = Mailbox(ws, batch_max=ANNOUNCEMENTS_KEPT, name="screen")
    mailbox.set_limited(dumps_text(live.screen_message()))

    async def ignore(_text: str) -> None:
        return None

    await live.serve(request, mailbox, live.screens, ignore)
    return ws


# ----- /ws/device/<device> ---------------------------------------------------------------------
async def ws_device(request: web.Request) -> web.WebSocketResponse:
    live, hub = request.app[LIVE], request.app[HUB]
    device_id = request.match_info["device"]
    device = hub.config.device(device_id)
    if device is None:
        message = f"no device {device_id!r} in hall {hub.config.hall.id}"
        raise _refuse(web.HTTPNotFound, "unknown_device", message)
    if device.token is not None:
        given = request.query.get("token", "")
        if not hmac.compare_digest(given.encode(), device.token.encode()):
            raise _refuse(web.HTTPForbidden, "forbidden", "this device needs its ?token=")
    if "Origin" in request.headers and not origin_allowed(request):
        raise _refuse(web.HTTPForbidden, "bad_origin", "the Origin is not a page of this hub")
    ws = await accept(request)
    mailbox = Mailbox(ws, name=f"device page {device.id}")
    client = DeviceClient(mailbox, device)
    mailbox.push(dumps_text(live.device_message(device)))  # first: who the page is
    live.refresh_device_state(client, queued=True)
    live.refresh_device_services(client, live.services_text(), queued=True)
    if device.kind == "window_pad" and device.window is not None:
        client.offer("queue", live.queue_text(device.window), queued=True)

    def reply(response: bytes) -> None:
        live.refresh_device_state(client)  # the device's screen first, then its answer
        mailbox.push(dumps_text({"type": "response", **json.loads(response)}))

    async def on_payload(payload: bytes) -> None:
        try:
            await hub.device_request(device.id, payload, reply)
        except Fenced:  # answered `internal` already; this page must find the newer hub
            await ws.close(code=1011, message=b"hub replaced")

    async def on_text(text: str) -> None:
        await on_payload(text.encode())

    hub.attach_device(device.id)
    live.devices.add(client)
    try:
        await live.serve(request, mailbox, None, on_text, on_payload)
    finally:
        live.devices.discard(client)
        hub.detach_device(device.id)
    return ws


# ----- /ws/watch -------------------------------------------------------------------------------
async def ws_watch(request: web.Request) -> web.WebSocketResponse:
    live = request.app[LIVE]
    # A browser page of another site is refused whatever it sends (a token too): only the
    # hub's own pages, or a client that is no browser (no Origin), may watch.
    if "Origin" in request.headers and not origin_allowed(request):
        raise _refuse(web.HTTPForbidden, "bad_origin", "the Origin is not a page of this hub")
    who = bearer_client(request)
    token: str | None = None
    if who is None:
        session = await session_of(request)
        if session is None or not session.may_act:
            raise _refuse(
                web.HTTPForbidden,
                "unauthorized",
                "send Authorization: Bearer <api client token> or a manager's session cookie",
            )
        who, token = session.user, session.token
    ws = await accept(request)
    mailbox = Mailbox(ws, queue_max=WATCH_EVENTS_KEPT, name=f"watch of {who}", session=token)
    # First the hall's time zone (the watch's clock) and the windows' names, so the watch
    # tells the hall's time and names windows as the hub does.
    hall = live.hub.state.config.hall
    mailbox.set_slot("hall", dumps_text({"type": "hall", "id": hall.id, "timezone": hall.timezone}))
    names = views.window_names(live.hub.state)
    mailbox.set_slot("windows", dumps_text({"type": "windows", "windows": names}))

    async def ignore(_text: str) -> None:
        return None

    await live.serve(request, mailbox, live.watchers, ignore)
    return ws


# ----- wiring ----------------------------------------------------------------------------------
def add_routes(app: web.Application) -> None:
    """The WebSocket routes (the `Live` itself is set by `live.install`)."""
    app.router.add_get("/ws/dashboard", ws_dashboard)
    app.router.add_get("/ws/screen", ws_screen)
    app.router.add_get("/ws/device/{device}", ws_device)
    app.router.add_get("/ws/watch", ws_watch)
