"""The hub's web pages: sign-in for the dashboard, and the static pages in hall/web_static/.

The pages themselves are plain HTML, CSS and JavaScript written beside this module (no build
step, no CDN); this module serves whatever is there and guards the dashboard with a session.
`login.html` may hold the placeholder ``{{error}}``, replaced by the (HTML-escaped) sign-in
error or by nothing. See docs/web-protocol.md.
"""

from __future__ import annotations

import asyncio
import html
import logging
from pathlib import Path

from aiohttp import web

from .api import HUB
from .sessions import COOKIE, SESSION_TTL_S, Session, Sessions

log = logging.getLogger("hall.pages")
STATIC_DIR = Path(__file__).resolve().parent / "web_static"
SESSIONS: web.AppKey[Sessions] = web.AppKey("sessions", Sessions)
LOGIN_ERROR = "用户名或密码错误"
MAX_FIELD_CHARS = 256
PAD_KINDS = ("window_pad", "caller", "evaluator")
_NO_CACHE = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
_FALLBACK_LOGIN = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>登录 · 大厅管理</title></head>
<body><h1>大厅管理 登录</h1><p class="error" role="alert">{{error}}</p>
<form method="post" action="/login">
<label>用户名 <input name="name" autocomplete="username" required></label>
<label>密码 <input name="password" type="password" autocomplete="current-password" required>
</label><button type="submit">登录</button></form></body></html>
"""


def session_of(request: web.Request) -> Session | None:
    """The signed-in session of this request's cookie, or None."""
    return request.app[SESSIONS].get(request.cookies.get(COOKIE))


def same_origin(request: web.Request) -> bool:
    """Is the request's Origin this hub (the scheme and the Host header it was sent to)?"""
    origin = request.headers.get("Origin")
    host = request.host
    return origin is not None and origin in (f"http://{host}", f"https://{host}")


def _page_file(name: str) -> Path | None:
    path = STATIC_DIR / name
    return path if path.is_file() else None


def _page(name: str, *, frame_ok: bool = True) -> web.StreamResponse:
    path = _page_file(name)
    if path is None:
        raise web.HTTPNotFound(
            text=f"the page {name} is not installed in {STATIC_DIR}", content_type="text/plain"
        )
    headers = dict(_NO_CACHE)
    if not frame_ok:
        headers["X-Frame-Options"] = "DENY"
    return web.FileResponse(path, headers=headers)


def _login_form(error: str, status: int = 200) -> web.Response:
    path = _page_file("login.html")
    text = path.read_text(encoding="utf-8") if path else _FALLBACK_LOGIN
    text = text.replace("{{error}}", html.escape(error))
    return web.Response(
        text=text,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={**_NO_CACHE, "X-Frame-Options": "DENY"},
    )


async def login_form(request: web.Request) -> web.Response:
    return _login_form("")


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    name, password = form.get("name"), form.get("password")
    if (
        not isinstance(name, str)
        or not isinstance(password, str)
        or len(name) > MAX_FIELD_CHARS
        or len(password) > MAX_FIELD_CHARS
    ):
        return _login_form(LOGIN_ERROR, status=401)
    sessions = request.app[SESSIONS]
    user = await asyncio.to_thread(sessions.check_password, name, password)
    if user is None:
        log.info("failed sign-in as %r from %s", name[:40], request.remote)
        return _login_form(LOGIN_ERROR, status=401)
    session = sessions.create(user)
    log.info("%s (%s) signed in from %s", user.name, user.role, request.remote)
    response = web.HTTPSeeOther("/dashboard")
    response.set_cookie(
        COOKIE,
        session.token,
        max_age=SESSION_TTL_S,
        path="/",
        httponly=True,
        samesite="Strict",
    )
    raise response


async def logout(request: web.Request) -> web.Response:
    request.app[SESSIONS].end(request.cookies.get(COOKIE))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


async def dashboard_page(request: web.Request) -> web.StreamResponse:
    if session_of(request) is None:
        raise web.HTTPFound("/login")
    return _page("dashboard.html", frame_ok=False)


async def screen_page(request: web.Request) -> web.StreamResponse:
    return _page("screen.html")


def _device_page(request: web.Request, kinds: tuple[str, ...], page: str) -> web.StreamResponse:
    device_id = request.match_info["device"]
    device = request.app[HUB].config.device(device_id)
    if device is None or device.kind not in kinds:
        raise web.HTTPNotFound(
            text=f"no device {device_id!r} of kind {' or '.join(kinds)} in this hall",
            content_type="text/plain",
        )
    return _page(page)


async def kiosk_page(request: web.Request) -> web.StreamResponse:
    return _device_page(request, ("kiosk",), "kiosk.html")


async def pad_page(request: web.Request) -> web.StreamResponse:
    return _device_page(request, PAD_KINDS, "pad.html")


async def ticket_page(request: web.Request) -> web.StreamResponse:
    return _page("ticket.html")


async def static(request: web.Request) -> web.StreamResponse:
    """The pages' CSS, JavaScript, fonts and images (no listing): ``/static/<path>`` is
    ``hall/web_static/static/<path>``, else ``hall/web_static/<path>``."""
    relative = request.match_info["path"]
    root = STATIC_DIR.resolve()
    for base in (root / "static", root):
        try:
            path = (base / relative).resolve()
        except (OSError, ValueError):
            raise web.HTTPNotFound() from None
        if path.is_relative_to(root) and path.is_file():
            return web.FileResponse(path, headers=_NO_CACHE)
    raise web.HTTPNotFound()


def add_routes(app: web.Application) -> None:
    """The page routes (the sessions are set by `install`)."""
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/dashboard", dashboard_page)
    app.router.add_get("/screen", screen_page)
    app.router.add_get("/kiosk/{device}", kiosk_page)
    app.router.add_get("/pad/{device}", pad_page)
    app.router.add_get("/t/{no}", ticket_page)
    app.router.add_get("/static/{path:.+}", static)


def install(app: web.Application, sessions: Sessions) -> None:
    app[SESSIONS] = sessions
