"""The hub's own HTTP: `/healthz` and `/metrics`, served with or without the web side, and
the gate in front of everything else: only the active hub serves the hall.

`/healthz` answers 200 when the active hub has its broker and store, 503 otherwise, with the
hub's `role` (`active`, `standby`, `stopped`) in the report. Every other path answers 503 on a
standby (`{"error":{"code":"standby",...}}`, `Retry-After: 1`), and a request that finds the
hub replaced by a newer one gets 503 too (the hub then leaves), never a 500.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from hall.contract.errors import Fenced
from hall.contract.wire import dumps_text
from hall.hub.hub import Hub

__all__ = ["HUB", "add_health_routes", "health_app"]

# Where an application keeps the hub it serves.
HUB: web.AppKey[Hub] = web.AppKey("hub", Hub)
# Paths every hub answers, whatever its role.
ALWAYS_SERVED = ("/healthz", "/metrics")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def healthz(request: web.Request) -> web.Response:
    report = await request.app[HUB].health()
    status = 200 if report["status"] == "ok" else 503
    return web.json_response(report, status=status, dumps=dumps_text)


async def metrics(request: web.Request) -> web.Response:
    return web.Response(
        text=request.app[HUB].render_metrics(),
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Prometheus-Format": "0.0.4"},
    )


def _unavailable(code: str, message: str) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message}},
        status=503,
        headers={"Retry-After": "1"},
        dumps=dumps_text,
    )


@web.middleware
async def only_the_active_hub(request: web.Request, handler: Handler) -> web.StreamResponse:
    hub = request.app[HUB]
    if request.path in ALWAYS_SERVED:
        return await handler(request)
    if not hub.serving:
        if hub.role == "standby":
            return _unavailable("standby", "this hub is standing by: the active hub serves")
        return _unavailable("internal", "this hub is stopping: try again")
    try:
        return await handler(request)
    except Fenced:
        return _unavailable("internal", "this hub was replaced by a newer one: try again")


def add_health_routes(app: web.Application, hub: Hub) -> None:
    """Serve `hub` from `app`: `/healthz` and `/metrics`, and the rest only while active."""
    app[HUB] = hub
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.middlewares.append(only_the_active_hub)


def health_app(hub: Hub) -> web.Application:
    """An application with only `/healthz` and `/metrics` (a hub run without its pages)."""
    app = web.Application(client_max_size=64 * 1024)
    add_health_routes(app, hub)
    return app
