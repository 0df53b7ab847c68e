"""Live pages over WebSockets: /ws/dashboard, /ws/screen, /ws/device/<device>, /ws/watch.

One producer (`Live.run`) turns the hub's changes into messages at most 4 times a second;
each connected client has its own `Mailbox` (hall/mailbox.py) and sender task: one slot per kind
of message (a newer snapshot replaces one not yet sent), a bounded batch that goes out with
the rate-limited message (the dashboard's events, the screen's announcements) and a queue for
answers. Nothing the producer does waits for a client, so a slow client only ever misses
intermediate snapshots; it never delays the others. See docs/web-protocol.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import WSMsgType, web
from redis.exceptions import RedisError

from . import dashboard, views
from .config import DeviceConfig
from .domain.model import rfc3339
from .domain.supervision import Ack, Alarm, Supervisor
from .engine import HubFenced
from .hub import Hub
from .mailbox import MIN_INTERVAL_S, Mailbox
from .pages import SESSIONS, same_origin, session_of
from .protocol import MAX_ID_LEN, BadRequest, Request, dumps_text, error_response, parse_request
from .sessions import Session, Sessions

log = logging.getLogger("hall.live")

TICK_S = 1.0  # alarms are reviewed at least this often (time thresholds)
PERIODIC_SNAPSHOT_S = 5.0  # a dashboard gets a fresh snapshot this often even when idle
ANNOUNCEMENTS_KEPT = 20
WATCH_EVENTS_KEPT = 1000
MAX_MESSAGE_BYTES = 64 * 1024
MAX_NOTICE_CHARS = 200
HEARTBEAT_S = 30.0
SOCKET_SEND_BUFFER = 64 * 1024  # per connection (Linux doubles it)
LIVE: web.AppKey[Live] = web.AppKey("live")


class DeviceClient:
    """A page acting as a contract device."""

    def __init__(self, mailbox: Mailbox, device: DeviceConfig) -> None:
        self.mailbox = mailbox
        self.device = device
        self.last_state: str | None = None
        self.last_services: str | None = None


class Live:
    """Everything the live pages see: the producer, the clients and the e-supervision."""

    def __init__(self, hub: Hub, sessions: Sessions) -> None:
        self.hub = hub
        self.sessions = sessions
        self.supervisor = Supervisor(hub.config.supervision)
        self.dashboards: set[Mailbox] = set()
        self.screens: set[Mailbox] = set()
        self.watchers: set[Mailbox] = set()
        self.devices: set[DeviceClient] = set()
        self._wake = asyncio.Event()
        self._dashboard_dirty = True
        self._screen_dirty = True
        self._services_dirty = True
        self._last_snapshot = 0.0
        self._pending_drops: list[str] = []
        self._acks_loaded = False
        hub.listeners.append(self._on_event)
        hub.announce_listeners.append(self._on_announce)

    # ----- what the hub tells us ------------------------------------------------------------
    def _on_event(self, event: dict[str, Any]) -> None:
        text = dumps_text({"type": "event", "event": event})
        for mailbox in self.watchers:
            mailbox.push(text)
        for mailbox in self.dashboards:
            mailbox.add_batch(text)
        self._dashboard_dirty = True
        if event.get("type") != "device.status":
            self._screen_dirty = self._services_dirty = True
            for client in self.devices:
                self.refresh_device_state(client)
        self._wake.set()

    def _on_announce(self, announcement: dict[str, Any]) -> None:
        if not self.screens:
            return
        # The screen that shows the call goes first, then the call: never ahead of the screen.
        screen = dumps_text(self.screen_message())
        text = dumps_text({"type": "announce", **announcement})
        for mailbox in self.screens:
            mailbox.set_limited(screen)
            mailbox.add_batch(text)
        self._screen_dirty = False

    def _alarm_event(self, kind: str, alarm: Alarm) -> None:
        event = {
            "type": kind,
            "at": round(self.hub.clock(), 3),
            "alarm": alarm.view(self.hub.state.tz),
        }
        text = dumps_text({"type": "event", "event": event})
        for mailbox in self.dashboards:
            mailbox.add_batch(text)
        for mailbox in self.watchers:
            mailbox.push(text)
        self._dashboard_dirty = True

    # ----- messages -------------------------------------------------------------------------
    def review_alarms(self) -> None:
        hub = self.hub
        review = self.supervisor.review(
            hub.state, hub.clock(), hub.devices_online, hub.devices_since, hub.started_at
        )
        for alarm in review.raised:
            self._alarm_event("alarm.raised", alarm)
        self._pending_drops.extend(review.dropped_acks)

    def snapshot(self) -> dict[str, Any]:
        hub = self.hub
        return dashboard.snapshot(
            hub.state,
            now=hub.clock(),
            online=hub.devices_online,
            online_since=hub.devices_since,
            alarms=self.supervisor.alarms,
            notice=hub.notice,
        )

    def screen_message(self) -> dict[str, Any]:
        hub = self.hub
        state = hub.state
        return {
            "type": "screen",
            "hall": {"name": hub.config.hall.name},
            "board": views.board(state),
            "services": state.services_view(),
            "notice": hub.notice,
            "speak": hub.config.screen.speak,
            "now": rfc3339(hub.clock(), state.tz),
        }

    def device_message(self, device: DeviceConfig) -> dict[str, Any]:
        state = self.hub.state
        return {
            "type": "device",
            "id": device.id,
            "kind": device.kind,
            "window": device.window,
            "window_name": views.window_name(state, device.window) if device.window else None,
            "hall_name": self.hub.config.hall.name,
        }

    def refresh_device_state(self, client: DeviceClient, *, queued: bool = False) -> None:
        window_id = client.device.window
        window = self.hub.state.windows.get(window_id) if window_id else None
        if window is None:
            return
        text = dumps_text(
            {"type": "state", "state": views.window_device_state(self.hub.state, window)}
        )
        if text != client.last_state:
            client.last_state = text
            if queued:
                client.mailbox.push(text)
            else:
                client.mailbox.set_slot("state", text)

    def refresh_device_services(
        self, client: DeviceClient, text: str, *, queued: bool = False
    ) -> None:
        if text != client.last_services:
            client.last_services = text
            if queued:
                client.mailbox.push(text)
            else:
                client.mailbox.set_slot("services", text)

    def services_text(self) -> str:
        return dumps_text({"type": "services", "services": self.hub.state.services_view()})

    # ----- the producer ---------------------------------------------------------------------
    async def run(self) -> None:
        """Produce snapshots and alarms until cancelled."""
        while True:
            try:
                await self._produce()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug here must not end the live pages for good
                log.exception("the live view failed; going on")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), TICK_S)
            self._wake.clear()
            await asyncio.sleep(MIN_INTERVAL_S)  # changes in between are coalesced

    async def _produce(self) -> None:
        if not self._acks_loaded:
            await self._load_acks()
        self.review_alarms()
        if self._pending_drops:
            drops, self._pending_drops = self._pending_drops, []
            try:
                await self.hub.store.drop_alarm_acks(drops)
            except (RedisError, OSError) as exc:
                log.warning("could not forget alarm acknowledgements: %s", exc)
        for mailbox in [*self.dashboards, *self.watchers]:
            if mailbox.session is not None and self.sessions.get(mailbox.session) is None:
                mailbox.finish(1008, "session expired")  # signed in 12 h ago: sign in again
        now = time.monotonic()
        if self.dashboards and (
            self._dashboard_dirty or now - self._last_snapshot >= PERIODIC_SNAPSHOT_S
        ):
            text = dumps_text({"type": "snapshot", "data": self.snapshot()})
            for mailbox in self.dashboards:
                mailbox.set_limited(text)
            self._last_snapshot = now
        self._dashboard_dirty = False
        if self.screens and self._screen_dirty:
            text = dumps_text(self.screen_message())
            for mailbox in self.screens:
                mailbox.set_limited(text)
        self._screen_dirty = False
        if self.devices and self._services_dirty:
            text = self.services_text()
            for client in self.devices:
                self.refresh_device_services(client, text)
        self._services_dirty = False

    async def _load_acks(self) -> None:
        try:
            stored = await self.hub.store.load_alarm_acks()
        except (RedisError, OSError) as exc:
            log.warning("could not load alarm acknowledgements (retrying): %s", exc)
            return
        for alarm_id, raw in stored.items():
            try:
                self.supervisor.acks.setdefault(alarm_id, Ack.from_json(raw))
            except (ValueError, KeyError, TypeError):
                self._pending_drops.append(alarm_id)
        self._acks_loaded = True

    async def ack(self, alarm_id: str, by: str) -> Alarm:
        """Acknowledge a listed alarm (KeyError when none has that id)."""
        hub = self.hub
        acked, ack = self.supervisor.ack(alarm_id, by, hub.clock(), hub.state.day)
        self._alarm_event("alarm.acked", acked)
        self._wake.set()
        try:
            await hub.store.put_alarm_ack(alarm_id, ack.to_json())
        except (RedisError, OSError) as exc:  # kept in memory: only a restart would forget
            log.warning("could not store the acknowledgement of %s: %s", alarm_id, exc)
        return acked

    def session_ended(self, token: str) -> None:
        """Someone signed out: close the pages that session opened."""
        for mailbox in [*self.dashboards, *self.watchers]:
            if mailbox.session == token:
                mailbox.finish(1008, "signed out")

    def changed(self) -> None:
        """Something the pages show changed outside the hall's events (the notice)."""
        self._dashboard_dirty = self._screen_dirty = True
        self._wake.set()

    async def close_all(self) -> None:
        """Say goodbye to every page (the hub is stopping); a stuck one is not waited for."""
        outboxes = [*self.dashboards, *self.screens, *self.watchers]
        outboxes += [c.mailbox for c in self.devices]

        async def close(mailbox: Mailbox) -> None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(mailbox.ws.close(code=1001, message=b"hub stopping"), 2)

        await asyncio.gather(*(close(o) for o in outboxes))

    # ----- connections ----------------------------------------------------------------------
    async def serve(
        self,
        request: web.Request,
        mailbox: Mailbox,
        clients: set[Mailbox] | None,
        on_text: Callable[[str], Awaitable[None]] | None,
        on_binary: Callable[[bytes], Awaitable[None]] | None = None,
    ) -> None:
        """Run one connection: its sender, and its messages in order until it closes."""
        sender = asyncio.create_task(mailbox.run(), name=f"send {mailbox.name}")
        if clients is not None:
            clients.add(mailbox)
        try:
            async for message in mailbox.ws:
                if message.type == WSMsgType.TEXT and on_text is not None:
                    await on_text(message.data)
                elif message.type == WSMsgType.BINARY and on_binary is not None:
                    await on_binary(message.data)
                elif message.type == WSMsgType.ERROR:
                    break
        finally:
            if clients is not None:
                clients.discard(mailbox)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender


async def _accept(request: web.Request) -> web.WebSocketResponse:
    """Upgrade the request. The kernel's send buffer is capped (no growth to megabytes of
    stale snapshots for a client that does not read): a slow client is noticed sooner and is
    then sent only the newest snapshot."""
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=MAX_MESSAGE_BYTES)
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
    session = session_of(request)
    if session is None:
        raise _refuse(web.HTTPForbidden, "unauthorized", "sign in at /login first")
    if not same_origin(request):
        raise _refuse(web.HTTPForbidden, "bad_origin", "the Origin is not this hub")
    ws = await _accept(request)
    mailbox = Mailbox(ws, name=f"dashboard of {session.user}", session=session.token)
    mailbox.set_limited(dumps_text({"type": "snapshot", "data": live.snapshot()}))
    token = session.token

    async def on_text(text: str) -> None:
        current = request.app[SESSIONS].get(token)
        if current is None:
            mailbox.push(_result(None, ("unauthorized", "the session ended: sign in again")))
            mailbox.finish(1008, "session ended")
            return
        mailbox.push(await _dashboard_action(live, current, text))

    await live.serve(request, mailbox, live.dashboards, on_text)
    return ws


async def _dashboard_action(live: Live, session: Session, text: str) -> str:
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
    if kind not in ("ack", "service", "notice"):
        return _result(ref, ("bad_request", "type must be ack, service or notice"))
    if not session.may_act:
        return _result(ref, ("forbidden", f"{session.user} is a viewer: looking only"))
    if kind == "ack":
        alarm_id = data.get("alarm")
        if not isinstance(alarm_id, str) or not alarm_id:
            return _result(ref, ("bad_request", "alarm must be an alarm id"))
        try:
            await live.ack(alarm_id, session.user)
        except KeyError:
            return _result(ref, ("not_found", f"no alarm {alarm_id} is listed"))
        return _result(ref)
    if kind == "notice":
        notice = data.get("text")
        if not isinstance(notice, str) or len(notice) > MAX_NOTICE_CHARS:
            return _result(
                ref, ("bad_request", f"text must be at most {MAX_NOTICE_CHARS} characters")
            )
        live.hub.notice = notice.strip()
        live.changed()
        log.info("notice changed by %s", session.user)
        return _result(ref)
    action, code = data.get("action"), data.get("code")
    if action not in ("close", "reopen"):
        return _result(ref, ("bad_request", "action must be close or reopen"))
    if not isinstance(code, str):
        return _result(ref, ("bad_request", "code must be a service code"))
    device = DeviceConfig(id=f"dashboard-{session.user}", kind="back_office")
    args = {"action": action, "code": code}
    request = Request(f"dash-{uuid.uuid4().hex}", "catalogue.change", args)
    try:
        handled = await live.hub.submit(device, request)
    except HubFenced:
        return _result(ref, ("internal", "this hub was replaced by a newer one"))
    response = json.loads(handled.response)
    if response["ok"]:
        return _result(ref)
    return _result(ref, (response["error"]["code"], response["error"]["message"]))


# ----- /ws/screen ------------------------------------------------------------------------------
async def ws_screen(request: web.Request) -> web.WebSocketResponse:
    live = request.app[LIVE]
    ws = await _accept(request)
    mailbox = Mailbox(ws, batch_max=ANNOUNCEMENTS_KEPT, name="screen")
    mailbox.set_limited(dumps_text(live.screen_message()))

    async def ignore(_text: str) -> None:
        return None

    await live.serve(request, mailbox, live.screens, ignore)
    return ws


# ----- /ws/device/<device> ---------------------------------------------------------------------
async def ws_device(request: web.Request) -> web.WebSocketResponse:
    live = request.app[LIVE]
    hub = live.hub
    device_id = request.match_info["device"]
    device = hub.config.device(device_id)
    if device is None:
        message = f"no device {device_id!r} in hall {hub.config.hall.id}"
        raise _refuse(web.HTTPNotFound, "unknown_device", message)
    if device.token is not None:
        given = request.query.get("token", "")
        if not hmac.compare_digest(given.encode(), device.token.encode()):
            raise _refuse(web.HTTPForbidden, "forbidden", "this device needs its ?token=")
    if "Origin" in request.headers and not same_origin(request):
        raise _refuse(web.HTTPForbidden, "bad_origin", "the Origin is not this hub")
    ws = await _accept(request)
    mailbox = Mailbox(ws, name=f"device page {device.id}")
    client = DeviceClient(mailbox, device)
    mailbox.push(dumps_text(live.device_message(device)))  # first: who the page is
    live.refresh_device_state(client, queued=True)
    live.refresh_device_services(client, live.services_text(), queued=True)

    async def on_payload(payload: bytes) -> None:
        try:
            parsed = parse_request(payload)
        except BadRequest as exc:
            hub.m_bad.inc(answered="yes" if exc.request_id else "no")
            if exc.request_id is not None:
                reply = error_response(exc.request_id, "bad_request", exc.message)
                mailbox.push(dumps_text({"type": "response", **reply}))
            return
        try:
            handled = await hub.submit(device, parsed)
        except HubFenced:
            reply = error_response(parsed.id, "internal", "this hub was replaced by a newer one")
            mailbox.push(dumps_text({"type": "response", **reply}))
            await ws.close(code=1011, message=b"hub replaced")
            return
        live.refresh_device_state(client)  # the device's screen first, then its answer
        mailbox.push(dumps_text({"type": "response", **json.loads(handled.response)}))
        if handled.outcome is not None:
            hub.publish_events(handled.outcome, handled.first_seq)

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
def _bearer_client(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer "):
        return None
    token = auth[len("Bearer ") :].strip().encode()
    for client in request.app[LIVE].hub.config.api_clients:
        if client.token and hmac.compare_digest(client.token.encode(), token):
            return client.id
    return None


async def ws_watch(request: web.Request) -> web.WebSocketResponse:
    live = request.app[LIVE]
    who = _bearer_client(request)
    token: str | None = None
    if who is None:
        session = session_of(request)
        if session is None or not session.may_act:
            raise _refuse(
                web.HTTPForbidden,
                "unauthorized",
                "send Authorization: Bearer <api client token> or a manager's session cookie",
            )
        if "Origin" in request.headers and not same_origin(request):
            raise _refuse(web.HTTPForbidden, "bad_origin", "the Origin is not this hub")
        who, token = session.user, session.token
    ws = await _accept(request)
    mailbox = Mailbox(ws, queue_max=WATCH_EVENTS_KEPT, name=f"watch of {who}", session=token)

    async def ignore(_text: str) -> None:
        return None

    await live.serve(request, mailbox, live.watchers, ignore)
    return ws


# ----- wiring ----------------------------------------------------------------------------------
def add_routes(app: web.Application) -> None:
    """The WebSocket routes (the `Live` itself is set by `install`)."""
    app.router.add_get("/ws/dashboard", ws_dashboard)
    app.router.add_get("/ws/screen", ws_screen)
    app.router.add_get("/ws/device/{device}", ws_device)
    app.router.add_get("/ws/watch", ws_watch)


def install(app: web.Application, hub: Hub) -> Live:
    """Make the live view for this hub and run its producer while the app runs."""
    live = Live(hub, app[SESSIONS])
    app[LIVE] = live
    live.sessions.on_end.append(live.session_ended)

    async def lifetime(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(live.run(), name="live view")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def on_shutdown(_app: web.Application) -> None:
        await live.close_all()

    app.cleanup_ctx.append(lifetime)
    app.on_shutdown.append(on_shutdown)
    return live
