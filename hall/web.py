"""The hub's HTTP side: health and Prometheus metrics (pages and the API join it later)."""

from __future__ import annotations

from aiohttp import web

from .api import HUB, add_routes
from .hub import Hub


async def healthz(request: web.Request) -> web.Response:
    report = await request.app[HUB].health()
    return web.json_response(report, status=200 if report["status"] == "ok" else 503, dumps=_dumps)


def _dumps(obj: object) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False)


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
    return app
