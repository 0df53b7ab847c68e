"""The hub's HTTP side: health, Prometheus metrics, the back office's API, the pages and
their WebSockets (docs/web-protocol.md). `make_app` is what the command line hands the
composition root (`hall.hub.runtime.hall_services(config, make_app)`)."""

from __future__ import annotations

from aiohttp import web

from hall.hub.http import add_health_routes
from hall.hub.hub import Hub
from hall.web import (
    documents,
    hall_settings,
    limits,
    live,
    live_ticket,
    live_ws,
    pages,
    reports,
    security,
    staff_admin,
    staff_users,
    staffing,
)
from hall.web.api import add_routes
from hall.web.sessions import Sessions


def make_app(hub: Hub) -> web.Application:
    app = web.Application(client_max_size=limits.APP_MAX_BODY_BYTES)
    add_health_routes(app, hub)
    limits.install(app)
    security.install(app)
    add_routes(app)
    pages.add_routes(app)
    pages.install(app, Sessions(hub.staff.users, hub.session_store(), clock=hub.now))
    live_ws.add_routes(app)
    live_ticket.add_routes(app)
    staff_admin.add_routes(app)
    hall_settings.add_routes(app)
    staffing.add_routes(app)
    staff_users.add_routes(app)
    live.install(app, hub)
    reports.install(app, hub)
    documents.add_routes(app)
    return app
