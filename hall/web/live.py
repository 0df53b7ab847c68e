"""Live pages over WebSockets: what they are sent (the sockets themselves are live_ws.py).

One producer (`Live.run`) turns the hub's changes into messages at most 4 times a second;
each connected client has its own `Mailbox` (mailbox.py) and sender task: one slot per kind
of message (a newer snapshot replaces one not yet sent), a bounded batch that goes out with
the rate-limited message (the dashboard's events, the screen's announcements) and a queue for
answers. Nothing the producer does waits for a client, so a slow client only ever misses
intermediate snapshots; it never delays the others. See docs/web-protocol.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import WSMsgType, web

from hall.contract.cancellation import raise_if_cancel_lost
from hall.contract.errors import StoreUnavailable
from hall.contract.wire import dumps_text
from hall.domain.config import DeviceConfig
from hall.domain.model import rfc3339
from hall.domain.ops_windows import window_queue
from hall.domain.supervision import Ack, Alarm, Supervisor
from hall.hub import views
from hall.hub.hub import Hub
from hall.web import dashboard
from hall.web.mailbox import MIN_INTERVAL_S, Mailbox
from hall.web.pages import SESSIONS
from hall.web.sessions import Sessions
from hall.web.ticket_pages import TicketPages

log = logging.getLogger("hall.web.live")

TICK_S = 1.0  # alarms are reviewed at least this often (time thresholds)
PERIODIC_SNAPSHOT_S = 5.0  # a dashboard gets a fresh snapshot this often even when idle
# Open live pages' sessions are looked up again this often (expired, or the user disabled on
# another hub); a sign-out here ends its pages at once (`Sessions.on_end`). Looking them up
# on every pass cost two store round trips per page, four times a second.
SESSION_CHECK_S = 5.0


class DeviceClient:
    """A page acting as a contract device."""

    def __init__(self, mailbox: Mailbox, device: DeviceConfig) -> None:
        self.mailbox = mailbox
        self.device = device  # as the hall file has it (`Live.bound`: as the hall runs it)
        self.window = device.window  # the window its page was last told
        # The last text of each slot ("state", "services", "queue").
        self.last_sent: dict[str, str] = {}

    def offer(self, slot: str, text: str, *, queued: bool) -> None:
        """Send `text` as the newest of `slot` unless it was the last sent there: `queued`
        after what is already on its way, else in the slot's place (an older one unsent is
        dropped)."""
        if self.last_sent.get(slot) == text:
            return
        self.last_sent[slot] = text
        if queued:
            self.mailbox.push(text)
        else:
            self.mailbox.set_slot(slot, text)


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
        self.ticket_pages = TicketPages(hub)  # the citizens' phones, by ticket
        self._wake = asyncio.Event()
        self._dashboard_dirty = True
        self._screen_dirty = True
        self._services_dirty = True
        self._last_snapshot = 0.0
        self._sessions_checked = 0.0  # monotonic time of the last look-up of open sessions
        self._pending_drops: list[str] = []
        self._acks_loaded = False
        # Which services took tickets, then which were full, when last sent.
        self._accepting: tuple[bool, ...] = ()
        hub.subscribe(self._on_event)
        hub.subscribe_announcements(self._on_announce)

    # ----- what the hub tells us ------------------------------------------------------------
    def _tell_event(self, event: dict[str, Any]) -> None:
        """An event for the watchers and the dashboards' logs (the dashboards' next snapshot
        follows it)."""
        self._dashboard_dirty = True
        if not self.watchers and not self.dashboards:
            return  # nobody to tell: not even worth the JSON
        text = dumps_text({"type": "event", "event": event})
        for mailbox in self.watchers:
            mailbox.push(text)
        for mailbox in self.dashboards:
            mailbox.add_batch(text)

    def _on_event(self, event: dict[str, Any]) -> None:
        self._tell_event(event)
        if event.get("type") != "device.status":
            self._screen_dirty = self._services_dirty = True
            self.ticket_pages.changed()
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
        at = round(self.hub.now(), 3)
        self._tell_event({"type": kind, "at": at, "alarm": alarm.view(self.hub.state.tz)})

    # ----- messages -------------------------------------------------------------------------
    def review_alarms(self) -> None:
        hub = self.hub
        presence = hub.presence()
        review = self.supervisor.review(
            hub.state, hub.now(), presence.online, presence.since, presence.started_at
        )
        for alarm in review.raised:
            self._alarm_event("alarm.raised", alarm)
        self._pending_drops.extend(review.dropped_acks)

    def snapshot(self) -> dict[str, Any]:
        hub = self.hub
        presence = hub.presence()
        return dashboard.snapshot(
            hub.state,
            now=hub.now(),
            online=presence.online,
            online_since=presence.since,
            alarms=self.supervisor.alarms,
            notice=hub.notice(),
        )

    def screen_message(self) -> dict[str, Any]:
        hub = self.hub
        state = hub.state
        return {
            "type": "screen",
            "hall": {"name": hub.config.hall.name, "timezone": hub.config.hall.timezone},
            "board": views.board(state),
            "services": state.services_view(hub.now()),
            "notice": hub.notice(),
            "speak": hub.config.screen.speak,
            "min_call_display_s": hub.config.screen.min_call_display_s,
            "now": rfc3339(hub.now(), state.tz),
        }

    def bound(self, device: DeviceConfig) -> DeviceConfig:
        """The device as the hall binds it now (a manager may have moved it to a window)."""
        catalogue = self.hub.state.catalogue
        return device if catalogue is None else catalogue.bound(device)

    def device_message(self, device: DeviceConfig) -> dict[str, Any]:
        state = self.hub.state
        device = self.bound(device)
        message: dict[str, Any] = {
            "type": "device",
            "id": device.id,
            "kind": device.kind,
            "window": device.window,
            "window_name": views.window_name(state, device.window) if device.window else None,
            "hall_name": self.hub.config.hall.name,
            "timezone": self.hub.config.hall.timezone,  # the page's clock shows the hall's time
            "public_url": self.hub.config.http.public_url,  # what its QR codes point at
        }
        if device.kind == "kiosk":  # its card reader's prompt, and when it resets itself
            message["id_reader"] = device.id_reader
            message["idle_s"] = device.idle_s
        if device.kind == "window_pad":  # the hall's windows, for the transfer dialog
            message["windows"] = [
                {"id": w.id, "name": views.window_name(state, w.id)}
                for w in self.hub.config.windows
            ]
        return message

    def refresh_device_state(self, client: DeviceClient, *, queued: bool = False) -> None:
        device = self.bound(client.device)
        if device.window != client.window:  # moved to another window: tell the page first
            client.window = device.window
            client.offer("device", dumps_text(self.device_message(device)), queued=queued)
        window_id = device.window
        window = self.hub.state.windows.get(window_id) if window_id else None
        if window is None:
            return
        text = dumps_text(
            {"type": "state", "state": views.window_device_state(self.hub.state, window)}
        )
        client.offer("state", text, queued=queued)

    def refresh_device_services(
        self, client: DeviceClient, text: str, *, queued: bool = False
    ) -> None:
        client.offer("services", text, queued=queued)

    def services_text(self) -> str:
        services = self.hub.state.services_view(self.hub.now())
        return dumps_text({"type": "services", "services": services})

    def queue_text(self, window_id: str) -> str:
        """A window pad's waiting list, as `window.queue` answers it (the page is sent it
        whenever the queues change, so it never has to ask)."""
        queue = window_queue(self.hub.state, window_id, self.hub.now())
        return dumps_text({"type": "queue", **queue})

    def refresh_pad_queues(self, *, queued: bool = False) -> None:
        texts: dict[str, str] = {}
        for client in self.devices:
            window_id = self.bound(client.device).window
            if client.device.kind != "window_pad" or window_id is None:
                continue
            if window_id not in texts:
                texts[window_id] = self.queue_text(window_id)
            client.offer("queue", texts[window_id], queued=queued)

    # ----- the producer ---------------------------------------------------------------------
    async def run(self) -> None:
        """Produce snapshots and alarms until cancelled, once the hub holds the hall (a
        standby's empty hall would raise alarms and drop the active hub's acknowledgements)."""
        await self.hub.active.wait()
        while True:
            raise_if_cancel_lost()  # a store call may have swallowed the stop (see there)
            try:
                await self._produce()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug here must not end the live pages for good
                log.exception("the live view failed; going on")
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for loses a cancellation
            # that comes as the event is set, and this loop would then never end.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(TICK_S):
                    await self._wake.wait()
            self._wake.clear()
            await asyncio.sleep(MIN_INTERVAL_S)  # changes in between are coalesced

    async def _produce(self) -> None:
        if not self._acks_loaded:
            await self._load_acks()
        self.review_alarms()
        # A service's opening hours began or ended, or a new day emptied the full services.
        accepting = self.hub.state.accepting(self.hub.now()) + self.hub.state.full()
        if accepting != self._accepting:
            self._accepting = accepting
            self._services_dirty = self._screen_dirty = True
        if self._pending_drops:
            drops, self._pending_drops = self._pending_drops, []
            try:
                await self.hub.drop_alarm_acks(drops)
            except StoreUnavailable as exc:
                log.warning("could not forget alarm acknowledgements: %s", exc)
        now = time.monotonic()
        if now - self._sessions_checked >= SESSION_CHECK_S:
            self._sessions_checked = now
            await self._end_expired_sessions()
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
            self.refresh_pad_queues()
        self._services_dirty = False
        self.ticket_pages.refresh()

    async def _end_expired_sessions(self) -> None:
        """End the live pages whose session expired or was revoked (each session looked up
        once, however many pages it has open)."""
        alive: dict[str, bool] = {}
        for mailbox in [*self.dashboards, *self.watchers]:
            token = mailbox.session
            if token is None:
                continue
            if token not in alive:
                alive[token] = await self.sessions.get(token) is not None
            if not alive[token]:
                mailbox.finish(1008, "session expired")  # signed in 12 h ago: sign in again

    async def _load_acks(self) -> None:
        try:
            stored = await self.hub.load_alarm_acks()
        except StoreUnavailable as exc:
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
        acked, ack = self.supervisor.ack(alarm_id, by, hub.now(), hub.state.day)
        await self._acked([(acked, ack)], by)
        return acked

    async def ack_kind(self, kind: str, by: str) -> list[Alarm]:
        """Acknowledge every listed alarm of `kind` not yet acknowledged."""
        hub = self.hub
        done = self.supervisor.ack_kind(kind, by, hub.now(), hub.state.day)
        if done:
            await self._acked(done, by, kind)
        return [acked for acked, _ in done]

    async def _acked(self, done: list[tuple[Alarm, Ack]], by: str, kind: str = "") -> None:
        """Tell the pages, keep the acknowledgements in the store and audit who gave them (a
        store that is down only loses them at a restart: they are kept in memory)."""
        for acked, _ack in done:
            self._alarm_event("alarm.acked", acked)
        self._wake.set()
        entry: dict[str, Any] = {
            "at": round(self.hub.now(), 3),
            "event": "alarms_acked",
            "by": by,
            "alarms": [acked.id for acked, _ in done],
        }
        if kind:
            entry["kind"] = kind
        try:
            for acked, ack in done:
                await self.hub.store_alarm_ack(acked.id, ack.to_json())
            await self.hub.staff.users.audit(entry)
        except StoreUnavailable as exc:
            log.warning("could not store the acknowledgement of %s: %s", entry["alarms"], exc)

    def session_ended(self, token: str) -> None:
        """Someone signed out: close the pages that session opened."""
        for mailbox in [*self.dashboards, *self.watchers]:
            if mailbox.session == token:
                mailbox.finish(1008, "signed out")

    async def close_all(self) -> None:
        """Say goodbye to every page (the hub is stopping); a stuck one is not waited for."""
        outboxes = [*self.dashboards, *self.screens, *self.watchers]
        outboxes += [c.mailbox for c in self.devices] + self.ticket_pages.mailboxes()

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


LIVE: web.AppKey[Live] = web.AppKey("live", Live)


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
