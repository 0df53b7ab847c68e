"""The hub's HTTP side: health, Prometheus metrics, the back office's API, the pages and
their WebSockets (docs/web-protocol.md)."""

from __future__ import annotations

from aiohttp import web

from . import live, pages
from .api import HUB, add_routes
from .hub import Hub
from .protocol import dumps_text
from .sessions import Sessions


async def healthz(request: web.Request) -> web.Response:
    report = await request.app[HUB].health()
    return web.json_response(
        report, status=200 if report["status"] == "ok" else 503, dumps=dumps_text
    )


async def metrics(request: web.Request) -> web.Response:
    return web.Response(
        text=request.app[HUB].metrics.render(),
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Prometheus-Format": "0.0.4"},
    )


def make_app(hub: Hub) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    add_routes(app, hub)
    pages.add_routes(app)
    pages.install(app, Sessions(hub.config.users, clock=hub.clock))
    live.add_routes(app)
    live.install(app, hub)
    return app
