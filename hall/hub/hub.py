"""The hub: requests in over MQTT, decided by the pure core, committed to the store, published.

One request at a time per hall (the link delivers them in order), so the in-memory hall is
always the committed one. Several hubs may run for one hall: each stands by until it holds
the hall's lease (`lease.py`), and only then claims an epoch, loads the day, subscribes to the
devices' requests and publishes the retained state. A hub replaced by a newer one (told by the
store, by the lease or by a newer `hub/status`) leaves at once.

Every request, over MQTT or a page's WebSocket, takes the one path of `dispatch.py`; what goes
out after a commit is `publish.py`'s, in its deliberate order. The web side reaches the hall
only through the methods here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from hall.contract.errors import Fenced, StoreUnavailable
from hall.contract.link import Endpoint, MqttLink, Will, publish_once
from hall.contract.log_every import LogEvery
from hall.contract.wire import Request, Topics, dumps
from hall.domain.actor import Actor
from hall.domain.config import HallConfig
from hall.domain.hall import HallState
from hall.hub.copies import Copies
from hall.hub.dispatch import Dispatch, Reply, RequestMetrics
from hall.hub.documents import make_documents
from hall.hub.engine import HallEngine, Handled
from hall.hub.forecasts import ForecastMaker
from hall.hub.health import health_report, register_gauges
from hall.hub.housekeeping import run_housekeeping
from hall.hub.keys import HubSealing
from hall.hub.lease import Leadership, Role
from hall.hub.metrics import Registry
from hall.hub.presence import Presence, PresenceView
from hall.hub.publish import Listener, Publisher
from hall.hub.rate_limit import FloodGate
from hall.hub.sent_events import EventMarks
from hall.hub.staff import StaffSignIn
from hall.store.hall_store import HallStore
from hall.store.login_attempts import LoginAttempts
from hall.store.sessions import StoredSessions

__all__ = ["Hub"]

log = logging.getLogger("hall.hub.hub")
SHED_LOG_INTERVAL_S = 10.0  # requests dropped on arrival are logged at most this often


class Hub:
    def __init__(
        self,
        config: HallConfig,
        store: HallStore,
        endpoint: Endpoint,
        *,
        status_url: str | None = None,
        clock: Callable[[], float] = time.time,
        metrics: Registry | None = None,
    ) -> None:
        self._config = config
        self._store = store
        self._clock = clock
        self._topics = Topics(config.hall.id)
        self._leadership = Leadership(config, store, endpoint, self._topics)
        # Connected only once this hub is the active one; its will (set then) carries the
        # epoch, and the hall's hub/status is watched so that a newer hub is noticed and an
        # older hub's late will is overwritten.
        self._link = MqttLink(
            endpoint,
            client_id=self._leadership.client_id,
            subscriptions=(
                self._topics.all_requests,
                self._topics.all_device_status,
                self._topics.hub_status,
            ),
            on_connect=self._on_connect,
            persistent_session=True,
            keep_retained=self._keep_retained,
            admit=self._admit,
            probe_topic=self._topics.hub_probe(self._leadership.client_id),
        )
        self._engine = HallEngine(config, store, clock)
        self._engine.defer_forecasts = True
        # /metrics: the hub's own, and whatever the composition root adds (the relay's).
        self._metrics = metrics if metrics is not None else Registry()
        self._forecasts = ForecastMaker(lambda: self._engine.state, clock, self._metrics)
        request_metrics = RequestMetrics.register(self._metrics)
        self._retained_requests = self._metrics.counter(
            "hall_retained_requests_total", "Retained requests ignored (never carried out)"
        )
        self._flood = FloodGate(config)
        self._shed = self._metrics.counter(
            "hall_requests_shed_total",
            "Requests dropped on arrival, unanswered: a device sending more than ten times "
            "its rate limit",
        )
        self._log_shed = LogEvery(log, logging.WARNING, SHED_LOG_INTERVAL_S)
        # Which events the broker has, kept in the store (`sent_events.py`).
        self.sent_events = EventMarks(store.sent_events())
        self._publisher = Publisher(
            config, self._link, self._topics, self._hall, status_url, clock, self.sent_events
        )
        self._presence = Presence(config, clock, self._publisher.notify)
        self._dispatch = Dispatch(config, self._engine, self._publisher, request_metrics)
        self.staff = StaffSignIn(config, store.users(), store.login_attempts(), clock)
        self._dispatch.staff = self.staff
        # Pages captured at the windows (None without `[documents]`): the web side serves them.
        self.documents = make_documents(config, store, status_url, clock)
        # Copies of those pages on the windows' printers (with the documents only).
        self.copies: Copies | None = None
        if self.documents is not None:
            self.copies = Copies(
                config, self.documents, store.copies(), self._presence.status, self._command
            )
            self.documents.sweepers.append(self.copies.sweep)
        self.ready = asyncio.Event()  # active, and its state published on the broker
        self.active = asyncio.Event()  # holds the lease and has loaded the hall
        self._sealing: HubSealing | None = None  # the key pair, loaded at takeover
        self._started_at = 0.0
        self._fenced: Fenced | None = None  # set when a newer hub took the hall
        self._fence_news = asyncio.Event()
        self._said_goodbye = False
        register_gauges(self, self._metrics, self._link, self._presence)

    # ----- what the web side reads -----------------------------------------------------------
    @property
    def config(self) -> HallConfig:
        return self._config

    @property
    def state(self) -> HallState:
        return self._engine.state

    def login_attempts(self) -> LoginAttempts:
        """Where the web side keeps failed sign-ins (in the hall's store)."""
        return self._store.login_attempts()

    def _hall(self) -> HallState:
        return self._engine.state

    def now(self) -> float:
        return self._clock()

    def uptime_s(self) -> float:
        """Seconds since this hub took the hall (0 while standing by)."""
        return round(self._clock() - self._started_at, 1) if self._started_at else 0.0

    def presence(self) -> PresenceView:
        return self._presence.view(self._started_at)

    def notice(self) -> str:
        """The screens' notice: the dashboard's (kept with the catalogue), else the file's."""
        catalogue = self._engine.state.catalogue
        if catalogue is None or catalogue.notice is None:
            return self._config.screen.notice
        return catalogue.notice

    async def settings_audit(self, count: int = 100) -> list[dict[str, Any]]:
        """The newest settings changes, newest first (who, what, when, before, after)."""
        return await self._store.settings_audit(count)

    def subscribe(self, listener: Listener) -> None:
        """Tell `listener` every published event and every device status change."""
        self._publisher.subscribe(listener)

    def subscribe_announcements(self, listener: Listener) -> None:
        self._publisher.subscribe_announcements(listener)

    def render_metrics(self) -> str:
        return self._metrics.render()

    @property
    def role(self) -> Role:
        """standby (waiting for the lease), active, or stopped (replaced, or stopping)."""
        return "stopped" if self._fenced is not None else self._leadership.role

    @property
    def serving(self) -> bool:
        """Does this hub serve the hall now (the HTTP side answers only then)?"""
        return self.active.is_set() and self.role == "active"

    @property
    def instance(self) -> str:
        return self._leadership.instance

    def session_store(self) -> StoredSessions:
        """Where the dashboard's sign-ins are kept: in the store, shared by every hub."""
        return self._store.sessions()

    # ----- what the web side asks ------------------------------------------------------------
    async def submit(self, actor: Actor, request: Request) -> Handled:
        """Carry out a request of the back office, a manager or the hub itself; its events
        are published before this returns. Raises Fenced when a newer hub took the hall
        (and this hub then stops)."""
        try:
            return await self._dispatch.submit(actor, request)
        except Fenced as exc:
            self._fence(exc)
            raise

    async def device_request(self, device_id: str, payload: bytes, reply: Reply) -> None:
        """A request from a page acting as a device: the same path as over MQTT. Raises
        Fenced (after answering `internal`) when a newer hub took the hall."""
        try:
            await self._dispatch.request(device_id, payload, reply, answer_when_fenced=True)
        except Fenced as exc:
            self._fence(exc)
            raise

    def _command(self, device_id: str, job: dict[str, Any]) -> None:
        """A one-off job on the device's `cmd` topic (a copy for a window's printer)."""
        self._link.publish(self._topics.device(device_id, "cmd"), dumps(job))

    def attach_device(self, device_id: str) -> None:
        """A browser page acting as this device connected: it counts as online meanwhile."""
        self._presence.attach(device_id)

    def detach_device(self, device_id: str) -> None:
        self._presence.detach(device_id)

    async def load_alarm_acks(self) -> dict[str, bytes]:
        """The stored alarm acknowledgements (raises StoreUnavailable)."""
        return await self._store.load_alarm_acks()

    async def store_alarm_ack(self, alarm_id: str, ack_json: str) -> None:
        await self._store.put_alarm_ack(alarm_id, ack_json)

    async def drop_alarm_acks(self, alarm_ids: list[str]) -> None:
        await self._store.drop_alarm_acks(alarm_ids)

    @property
    def epoch(self) -> int:
        return self._store.epoch

    # ----- life ----------------------------------------------------------------------------
    async def start(self) -> None:
        """Stand by until this hub holds the hall's lease, then claim the epoch that came
        with it and load the hall; the link is not yet running."""
        await self._take_over(await self._leadership.wait_for_turn())

    async def _take_over(self, epoch: int) -> None:
        self._store.adopt_epoch(epoch)
        self._sealing = await HubSealing.load(self._store, self._config)
        self._engine.open_args = self._sealing.open_args
        self._engine.took_hall()
        await self._engine.remember_answered()
        await self.staff.seed()
        await self._engine.load(self.state.local.day(self._clock()))
        # Before any event of this hub's: what the hub before had not handed to the broker.
        self._publisher.events_again(await self.sent_events.take_over())
        try:  # when the devices' presence last changed, under the hubs before this one
            self._presence.remember(await self._store.load_presence(), self._clock())
        except StoreUnavailable as exc:  # the devices then count from this hub's start
            log.warning("could not read the devices' presence: %s", exc)
        # The will and the goodbye carry this hub's epoch, so neither can be taken for a
        # newer hub's status.
        self._link.will = Will(self._topics.hub_status, self._status("offline"))
        self._link.farewell = Will(self._topics.hub_status, self._status("offline"))
        self._started_at = self._clock()
        self.active.set()
        log.info(
            "hall %s loaded: epoch %d, day %s, %d tickets, %d waiting",
            self._config.hall.id,
            epoch,
            self.state.day,
            len(self.state.tickets),
            sum(self.state.waiting_counts().values()),
        )

    async def run(self) -> None:
        """Stand by, then serve the hall until cancelled (or until a newer hub takes it)."""
        try:
            epoch = 0 if self._started_at else await self._leadership.wait_for_turn()
            async with asyncio.TaskGroup() as group:
                # Renewed from the start: loading a long day must not let the lease lapse.
                group.create_task(self._keep_lease())
                group.create_task(self._leave_when_fenced())
                if epoch:
                    await self._take_over(epoch)
                group.create_task(self._link.run(self._on_message, self._on_messages))
                group.create_task(self._publisher.run_services())
                group.create_task(self._forecasts.run())
                group.create_task(self._presence.keep(self._store.put_presence))
                group.create_task(self.sent_events.keep())
                group.create_task(
                    run_housekeeping(
                        self._config.hall.id,
                        self._engine,
                        self._dispatch,
                        self._publisher,
                        self._clock,
                        lambda: self.epoch,
                    )
                )
        except* Fenced as fenced:
            self._fence(fenced.exceptions[0])  # type: ignore[arg-type]
            raise
        finally:
            await self._leave()

    async def _keep_lease(self) -> None:
        try:
            await self._leadership.keep()
        except Fenced as exc:
            self._fence(exc)
            raise

    def _fence(self, exc: Fenced) -> None:
        """A newer hub has the hall: this one stops serving and leaves."""
        if self._fenced is None:
            log.critical("%s", exc)
            self._fenced = exc
            self._link.farewell = None  # the hall's status is the newer hub's now
            self._fence_news.set()

    async def _leave_when_fenced(self) -> None:
        """End the hub when an HTTP request found it replaced (MQTT requests end it through
        the link)."""
        await self._fence_news.wait()
        assert self._fenced is not None
        raise self._fenced

    async def _leave(self) -> None:
        """Say goodbye if this hub still has the hall, then give the lease back (in that
        order: the next hub's `online` must come after this one's `offline`)."""
        if self._fenced is None and self._leadership.role == "active":
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.shutdown(), 5)
            with contextlib.suppress(Exception):  # fewer events sent twice by the next hub
                await asyncio.wait_for(self.sent_events.write(), 2)
        with contextlib.suppress(Exception):
            await self._leadership.release()

    async def shutdown(self) -> None:
        """Say goodbye on the broker: the retained hub status goes offline (once, only from
        the hub that has the hall, and not again when the link said it as it stopped)."""
        if (
            self._said_goodbye
            or self._link.farewell_sent
            or not self.active.is_set()
            or self._fenced is not None
        ):
            return
        self._said_goodbye = True
        await publish_once(
            self._link.endpoint,
            f"{self._leadership.client_id}-bye",
            self._topics.hub_status,
            self._status("offline"),
            retain=True,
        )

    def _status(self, state: str) -> bytes:
        """The hall's retained hub/status: which hub (by its epoch) is online or went offline."""
        return dumps({"state": state, "epoch": self.epoch, "instance": self.instance})

    async def _on_connect(self) -> None:
        self._link.publish(self._topics.hub_status, self._status("online"), retain=True)
        if self._sealing is not None:
            self._publisher.hub_key(self._sealing.message())
        self._publisher.republish_all()
        self.ready.set()

    def _hub_status_message(self, payload: bytes) -> None:
        """The hall's hub/status as the broker keeps it: a newer hub's `online` ends this
        one; an older hub's status (its late will) is overwritten with this one's."""
        try:
            data = json.loads(payload)
            epoch = int(data.get("epoch") or 0) if isinstance(data, dict) else 0
            state = data.get("state") if isinstance(data, dict) else None
        except (ValueError, TypeError, AttributeError):
            epoch, state = 0, None
        if epoch > self.epoch and state == "online":
            raise Fenced(
                f"hall {self._config.hall.id}: the hub of epoch {epoch} is online (this hub, "
                f"{self.instance}, has epoch {self.epoch}); this hub stops"
            )
        if epoch < self.epoch or (epoch == self.epoch and state != "online"):
            self._link.publish(self._topics.hub_status, self._status("online"), retain=True)

    # ----- messages ------------------------------------------------------------------------
    def _keep_retained(self, topic: str, payload: bytes) -> bool:
        """A request the broker kept (published with the retain flag) is never carried out:
        it would be replayed to every hub that subscribes. Statuses are retained by design."""
        parsed = self._topics.split_device_topic(topic)
        if parsed is None or parsed[1] != "req":
            return True
        self._retained_requests.inc()
        log.warning("ignored a retained request of %s (%d bytes)", parsed[0], len(payload))
        return False

    def _admit(self, topic: str) -> bool:
        """A request is queued unless its device sends more than ten times its rate limit
        (`FloodGate`); anything else always is."""
        parsed = self._topics.split_device_topic(topic)
        if parsed is None or parsed[1] != "req" or self._flood.admit(parsed[0]):
            return True
        self._shed.inc()
        self._log_shed(
            "device %s sends far more than its rate limit: its requests are dropped "
            "unanswered (%d so far, hall_requests_shed_total)",
            parsed[0],
            self._flood.shed,
        )
        return False

    async def _on_message(self, topic: str, payload: bytes) -> None:
        if topic == self._topics.hub_status:
            self._hub_status_message(payload)
            return
        parsed = self._topics.split_device_topic(topic)
        if parsed is None:
            return
        device_id, leaf = parsed
        if leaf == "req":
            await self._dispatch.request(device_id, payload, self._publisher.reply_to(device_id))
        elif leaf == "status":
            self._presence.status_message(device_id, payload)

    async def _on_messages(self, messages: list[tuple[str, bytes]]) -> None:
        """Requests that arrived together are carried out together (one store round trip);
        everything else, and the answers, keep their order."""
        together: list[tuple[str, bytes, Reply]] = []
        for topic, payload in messages:
            parsed = self._topics.split_device_topic(topic)
            if parsed is not None and parsed[1] == "req":
                together.append((parsed[0], payload, self._publisher.reply_to(parsed[0])))
                continue
            if together:
                await self._dispatch.requests(together)
                together = []
            await self._on_message(topic, payload)
        if together:
            await self._dispatch.requests(together)

    # ----- health --------------------------------------------------------------------------
    async def health(self) -> dict[str, Any]:
        """What `/healthz` shows (see `health.py`)."""
        return await health_report(self, self._store, self._link, self._presence, self._leadership)
