"""The hub: requests in over MQTT, decided by the pure core, committed to the store, published.

One request at a time per hall (the link delivers them in order), so the in-memory hall is
always the committed one. The order of what goes out after a commit is deliberate: the
window devices' state and the board first, then the announcement (never spoken before the
screen shows it), then the response, then the events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError

from . import views
from .bus import Endpoint, MqttLink, Will, publish_once
from .config import WINDOW_BOUND_KINDS, DeviceConfig, HallConfig
from .domain.hall import HANDLERS, HallState, Outcome
from .domain.ops_ratings import unrated_due
from .engine import HallEngine, Handled, HubFenced
from .metrics import Registry
from .protocol import BadRequest, Request, Topics, dumps, error_response, parse_request
from .store import HallStore

__all__ = ["Hub", "HubFenced"]

log = logging.getLogger("hall.hub")
SERVICES_MIN_INTERVAL_S = 0.1  # guidance updates are coalesced to at most 10 a second
HOUSEKEEPING_INTERVAL_S = 10.0


def _event_index(outcome: Outcome, ticket_no: str) -> int:
    """Where the call of `ticket_no` is among the outcome's events: its sequence offset."""
    for index, event in enumerate(outcome.events):
        if event["type"] in ("ticket.called", "ticket.recalled") and event["ticket"]["no"] == (
            ticket_no
        ):
            return index
    return len(outcome.events) - 1


class Hub:
    def __init__(
        self,
        config: HallConfig,
        store: HallStore,
        endpoint: Endpoint,
        *,
        status_url: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.status_url = status_url
        self.topics = Topics(config.hall.id)
        self.link = MqttLink(
            endpoint,
            client_id=f"hub-{config.hall.id}",
            subscriptions=(self.topics.all_requests, self.topics.all_device_status),
            will=Will(self.topics.hub_status, dumps({"state": "offline"})),
            on_connect=self._on_connect,
            persistent_session=True,
        )
        self.engine = HallEngine(config, store, clock)
        self.devices_online: dict[str, bool] = {}
        self.devices_since: dict[str, float] = {}  # when each device's status last changed
        # Called with every published event (with its seq) and on every device status change:
        # the live dashboard, the screen pages and `hall watch` listen here.
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        # Called with every announcement (as on hall/<id>/announce): the screen pages.
        self.announce_listeners: list[Callable[[dict[str, Any]], None]] = []
        # The notice the screens show; the dashboard changes it (kept in memory only).
        self.notice: str = config.screen.notice
        # Devices whose browser page (/kiosk, /pad) is connected, and how many times.
        self._attached: Counter[str] = Counter()
        self._mqtt_online: dict[str, bool] = {}
        self.window_devices: dict[str, list[str]] = {}
        for device in config.devices:
            if device.kind in WINDOW_BOUND_KINDS and device.window:
                self.window_devices.setdefault(device.window, []).append(device.id)
        self.ready = asyncio.Event()
        self._services_dirty = asyncio.Event()
        self.started_at = 0.0
        self._setup_metrics()

    @property
    def state(self) -> HallState:
        return self.engine.state

    # ----- metrics -------------------------------------------------------------------------
    def _setup_metrics(self) -> None:
        self.metrics = Registry()
        self.m_requests = self.metrics.counter(
            "hall_requests_total", "Device requests handled, by operation and result code"
        )
        self.m_bad = self.metrics.counter(
            "hall_bad_payloads_total", "Payloads refused before any operation (answered or dropped)"
        )
        self.m_latency = self.metrics.histogram(
            "hall_request_seconds", "Time from a request's arrival to its response being queued"
        )
        self.metrics.gauge(
            "hall_waiting",
            "Tickets waiting, per service",
            lambda: {(("service", k),): float(v) for k, v in self.state.waiting_counts().items()},
        )
        self.metrics.gauge(
            "hall_devices_online",
            "Devices whose retained status is online",
            lambda: {(): float(sum(self.devices_online.values()))},
        )
        self.metrics.gauge(
            "hall_mqtt_connected",
            "1 while the hub is connected to the broker",
            lambda: {(): 1.0 if self.link.connected.is_set() else 0.0},
        )
        self.metrics.gauge(
            "hall_mqtt_dropped",
            "Messages dropped on a full queue",
            lambda: {
                (("direction", "in"),): float(self.link.stats.dropped_incoming),
                (("direction", "out"),): float(self.link.stats.dropped_outgoing),
            },
        )
        self.metrics.gauge(
            "hall_mqtt_outgoing_backlog",
            "Messages queued to be published",
            lambda: {(): float(self.link.backlog)},
        )
        self.metrics.gauge(
            "hall_epoch", "This hub's epoch (fencing token)", lambda: {(): float(self.store.epoch)}
        )

    # ----- life ----------------------------------------------------------------------------
    async def start(self) -> None:
        """Claim the hall and load it; the link is not yet running."""
        epoch = await self.engine.start()
        self.started_at = self.clock()
        log.info(
            "hall %s loaded: epoch %d, day %s, %d tickets, %d waiting",
            self.config.hall.id,
            epoch,
            self.state.day,
            len(self.state.tickets),
            sum(self.state.waiting_counts().values()),
        )

    async def run(self) -> None:
        """Run until cancelled (or fenced by a newer hub)."""
        if not self.started_at:
            await self.start()
        async with asyncio.TaskGroup() as group:
            group.create_task(self.link.run(self._on_message, self._on_messages))
            group.create_task(self._publish_services_loop())
            group.create_task(self._housekeeping_loop())

    async def shutdown(self) -> None:
        """Say goodbye on the broker: the retained hub status goes offline."""
        await publish_once(
            self.link.endpoint,
            f"hub-{self.config.hall.id}-bye",
            self.topics.hub_status,
            dumps({"state": "offline"}),
            retain=True,
        )

    async def _on_connect(self) -> None:
        self.link.publish(
            self.topics.hub_status,
            dumps({"state": "online", "epoch": self.store.epoch}),
            retain=True,
        )
        self._republish_all()
        self.ready.set()

    def _republish_all(self) -> None:
        for window in self.state.windows.values():
            self._publish_window(window.id)
        self._publish_board()
        self._publish_services()

    # ----- messages ------------------------------------------------------------------------
    async def _on_message(self, topic: str, payload: bytes) -> None:
        parsed = self.topics.split_device_topic(topic)
        if parsed is None:
            return
        device_id, leaf = parsed
        if leaf == "req":
            started = time.perf_counter()
            await self.handle_request(device_id, payload)
            self.m_latency.observe(time.perf_counter() - started)
        elif leaf == "status":
            self._device_status(device_id, payload)

    def _device_status(self, device_id: str, payload: bytes) -> None:
        if self.config.device(device_id) is None:
            return
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            online = json.loads(payload or b"{}").get("state") == "online"
            self._mqtt_online[device_id] = online
            self._set_device_online(device_id, online or self._attached[device_id] > 0)

    def _set_device_online(self, device_id: str, online: bool) -> None:
        if self.devices_online.get(device_id) != online:
            log.info("device %s is %s", device_id, "online" if online else "offline")
            self.devices_since[device_id] = self.clock()
            self.devices_online[device_id] = online
            self._notify(
                {
                    "type": "device.status",
                    "device": device_id,
                    "online": online,
                    "at": round(self.clock(), 3),
                }
            )

    def attach_device(self, device_id: str) -> None:
        """A browser page acting as this device connected: it counts as online meanwhile."""
        self._attached[device_id] += 1
        self._set_device_online(device_id, True)

    def detach_device(self, device_id: str) -> None:
        """The page is gone: the device is as its MQTT status says (offline when none)."""
        self._attached[device_id] -= 1
        if self._attached[device_id] <= 0:
            del self._attached[device_id]
            self._set_device_online(device_id, self._mqtt_online.get(device_id, False))

    def _respond(self, device_id: str, response: dict[str, Any] | bytes) -> None:
        body = response if isinstance(response, bytes) else dumps(response)
        self.link.publish(self.topics.device(device_id, "res"), body)

    async def handle_request(self, device_id: str, payload: bytes) -> None:
        checked = self._check_request(device_id, payload)
        if checked is not None:
            self._finish(checked, await self.submit(*checked))

    async def _on_messages(self, messages: list[tuple[str, bytes]]) -> None:
        """Requests that arrived together are carried out together (one store round trip);
        everything else, and the answers, keep their order."""
        started = time.perf_counter()
        pending: list[tuple[DeviceConfig, Request]] = []
        for topic, payload in messages:
            parsed = self.topics.split_device_topic(topic)
            if parsed is not None and parsed[1] == "req":
                checked = self._check_request(parsed[0], payload)
                if checked is not None:
                    pending.append(checked)
                continue
            await self._flush(pending)
            await self._on_message(topic, payload)
        await self._flush(pending)
        elapsed = time.perf_counter() - started
        for _ in messages:
            self.m_latency.observe(elapsed)

    async def _flush(self, pending: list[tuple[DeviceConfig, Request]]) -> None:
        if not pending:
            return
        handled = await self.engine.handle_many(pending)
        for checked, result in zip(pending, handled, strict=True):
            self._after(checked[0], checked[1], result)
            self._finish(checked, result)
        pending.clear()

    def _check_request(self, device_id: str, payload: bytes) -> tuple[DeviceConfig, Request] | None:
        """The device and its request, or None when it was refused (and answered if it can be)."""
        try:
            request = parse_request(payload)
        except BadRequest as exc:
            self.m_bad.inc(answered="yes" if exc.request_id else "no")
            if exc.request_id is None:
                log.warning("dropped a payload from %s: %s", device_id, exc.message)
                return None
            self._respond(device_id, error_response(exc.request_id, "bad_request", exc.message))
            return None
        device = self.config.device(device_id)
        if device is None:
            op_label = request.op if request.op in HANDLERS else "other"
            self.m_requests.inc(op=op_label, code="unknown_device")
            self._respond(
                device_id,
                error_response(
                    request.id,
                    "unknown_device",
                    f"no device {device_id!r} in hall {self.config.hall.id}",
                ),
            )
            return None
        return device, request

    def _finish(self, checked: tuple[DeviceConfig, Request], handled: Handled) -> None:
        """Answer the device, then tell the integrations."""
        self._respond(checked[0].id, handled.response)
        if handled.outcome is not None:
            self._publish_events(handled.outcome, handled.first_seq)

    async def submit(self, device: DeviceConfig, request: Request) -> Handled:
        """Carry out one request (from MQTT or the HTTP API) and publish what it changed.

        The caller sends the response, then the events (`_publish_events`): devices see the
        screens change first, then their answer, then integrations hear about it.
        """
        handled = await self.engine.handle(device, request)
        self._after(device, request, handled)
        return handled

    def _after(self, device: DeviceConfig, request: Request, handled: Handled) -> None:
        """Count it and publish what it changed (screens first), before the answer goes."""
        op_label = request.op if request.op in HANDLERS else "other"
        self.m_requests.inc(op=op_label, code=handled.code)
        if handled.day_changed:
            self._republish_all()
        if handled.outcome is not None:
            self._publish_effects(handled.outcome, handled.first_seq)
            if device.kind == "back_office":
                self._publish_events(handled.outcome, handled.first_seq)

    def publish_events(self, outcome: Outcome, first_seq: int) -> None:
        """Publish the events of a request carried out just now, after its response went out
        (for requests from devices; `submit` does it itself for the back office)."""
        self._publish_events(outcome, first_seq)

    def _publish_events(self, outcome: Outcome, first_seq: int) -> None:
        for offset, event in enumerate(outcome.events):
            numbered = {"seq": first_seq + offset, **event}
            self.link.publish(self.topics.events, dumps(numbered))
            self._notify(numbered)

    def _notify(self, event: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:  # a listener's bug must not stop the hall
                log.exception("a listener failed on %s", event.get("type"))

    # ----- publishing ----------------------------------------------------------------------
    def _publish_effects(self, outcome: Outcome, first_seq: int) -> None:
        for _before, window in outcome.windows:
            self._publish_window(window.id)
        for _before_t, ticket in outcome.tickets:
            if (
                ticket.window
                and ticket.state in ("called", "serving")
                and not any(w.id == ticket.window for _b, w in outcome.windows)
            ):
                self._publish_window(ticket.window)
        if outcome.calls:
            self._publish_board()
            for call in outcome.calls:
                seq = first_seq + _event_index(outcome, call.ticket)
                announcement = views.announcement(self.state, call, seq)
                self.link.publish(self.topics.announce, dumps(announcement))
                for listener in list(self.announce_listeners):
                    try:
                        listener(announcement)
                    except Exception:  # a listener's bug must not stop the hall
                        log.exception("an announcement listener failed")
        for printer, ticket_no in outcome.prints:
            printed = self.state.tickets[ticket_no]
            view = outcome.result.get("ticket") or self.state.ticket_view(printed)
            self.link.publish(
                self.topics.device(printer, "cmd"),
                dumps(views.print_job(self.state, printed, view, self.status_url)),
            )
        if outcome.tickets or outcome.windows or outcome.catalogue:
            self._services_dirty.set()

    def _publish_window(self, window_id: str) -> None:
        window = self.state.windows[window_id]
        body = dumps(views.window_device_state(self.state, window))
        for device_id in self.window_devices.get(window_id, ()):
            self.link.publish(self.topics.device(device_id, "state"), body, retain=True)

    def _publish_board(self) -> None:
        self.link.publish(self.topics.board, dumps(views.board(self.state)), retain=True)

    def _publish_services(self) -> None:
        self.link.publish(self.topics.services, dumps(views.services(self.state)), retain=True)

    async def _publish_services_loop(self) -> None:
        while True:
            await self._services_dirty.wait()
            self._services_dirty.clear()
            self._publish_services()
            self._publish_board()
            await asyncio.sleep(SERVICES_MIN_INTERVAL_S)

    async def _housekeeping_loop(self) -> None:
        """Start the new day at midnight, and report visits left unrated once their time to
        rate is over."""
        hub_device = DeviceConfig(id=f"hub-{self.config.hall.id}", kind="hub")
        sweeps = 0
        while True:
            await asyncio.sleep(HOUSEKEEPING_INTERVAL_S)
            if await self.engine.new_day_if_due():
                log.info("hall %s: a new day, %s", self.config.hall.id, self.state.day)
                self._republish_all()
            if not unrated_due(self.state, self.clock()):
                continue
            sweeps += 1
            request = Request(f"sweep-{self.store.epoch}-{sweeps}", "ratings.sweep", {})
            handled = await self.submit(hub_device, request)
            if handled.outcome is not None:
                self._publish_events(handled.outcome, handled.first_seq)

    # ----- health --------------------------------------------------------------------------
    async def health(self) -> dict[str, Any]:
        try:
            store_ok = await asyncio.wait_for(self.store.ping(), 2)
        except (RedisError, OSError, TimeoutError):
            store_ok = False
        broker_ok = self.link.connected.is_set()
        return {
            "status": "ok" if store_ok and broker_ok else "degraded",
            "hall": self.config.hall.id,
            "epoch": self.store.epoch,
            "day": self.state.day,
            "broker": broker_ok,
            "store": store_ok,
            "waiting": self.state.waiting_counts(),
            "devices_online": sorted(d for d, up in self.devices_online.items() if up),
            "uptime_s": round(self.clock() - self.started_at, 1) if self.started_at else 0,
        }
