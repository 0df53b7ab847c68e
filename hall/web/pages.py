"""The hub's web pages: sign-in for the dashboard, the static pages in hall/web/static_files/
and the ticket pages' QR codes (hall/web/qr.py).

The pages themselves are plain HTML, CSS and JavaScript written beside this module (no build
step, no CDN); this module serves whatever is there and guards the dashboard with a session.
`login.html` may hold the placeholder ``{{error}}``, replaced by the (HTML-escaped) sign-in
error or by nothing. See docs/web-protocol.md.
"""

from __future__ import annotations

import html
import logging
from datetime import datetime
from pathlib import Path

from aiohttp import web

from hall.contract.errors import StoreUnavailable
from hall.domain import roles
from hall.domain.config import UserConfig
from hall.web import login_guard, qr
from hall.web.api import HUB
from hall.web.login_guard import Busy, LoginGuard, PasswordChecks, Refusal
from hall.web.security import client_address, form_from_this_hub
from hall.web.sessions import COOKIE, SESSION_TTL_S, Session, Sessions

log = logging.getLogger("hall.web.pages")
STATIC_DIR = Path(__file__).resolve().parent / "static_files"
SESSIONS: web.AppKey[Sessions] = web.AppKey("sessions", Sessions)
LOGIN_GUARD: web.AppKey[LoginGuard] = web.AppKey("login_guard", LoginGuard)
PASSWORD_CHECKS: web.AppKey[PasswordChecks] = web.AppKey("password_checks", PasswordChecks)
LOGIN_ERROR = "用户名或密码错误"
TOO_SOON = "尝试过于频繁，请在 {seconds} 秒后再试"
LOCKED = "登录失败次数过多，已暂时锁定，请在 {until}（约 {minutes} 分钟后）再试"
BUSY = "登录请求过多，请稍后再试"
STORE_DOWN = "暂时无法登录，请稍后再试"
FORGED = "请从本大厅的登录页面提交"
BUSY_RETRY_S = 2
MAX_FIELD_CHARS = 256
MAX_AUDIT_NAME = 64  # a name typed at sign-in is audited cut to this (it may be anything)
PAD_KINDS = ("window_pad", "caller", "evaluator")
_NO_CACHE = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
ROUTES = web.RouteTableDef()  # each route is declared at its handler
_FALLBACK_LOGIN = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>登录 · 大厅管理</title></head>
<body><h1>大厅管理 登录</h1><p class="error" role="alert">{{error}}</p>
<form method="post" action="/login">
<label>用户名 <input name="name" autocomplete="username" required></label>
<label>密码 <input name="password" type="password" autocomplete="current-password" required>
</label><button type="submit">登录</button></form></body></html>
"""


async def session_of(request: web.Request) -> Session | None:
    """The signed-in session of this request's cookie, or None."""
    return await request.app[SESSIONS].get(request.cookies.get(COOKIE))


def _page_file(name: str) -> Path | None:
    path = STATIC_DIR / name
    return path if path.is_file() else None


def _page(name: str) -> web.StreamResponse:
    """A page file (its security headers are added for every answer: hall/web/security.py)."""
    path = _page_file(name)
    if path is None:
        raise web.HTTPNotFound(
            text=f"the page {name} is not installed in {STATIC_DIR}", content_type="text/plain"
        )
    return web.FileResponse(path, headers=_NO_CACHE)


async def dashboard_page_for(request: web.Request, name: str) -> web.StreamResponse:
    """A page of the dashboard (static_files/`name`), for a session that may read it (an
    auditor, a manager, an administrator); anyone else is sent to /login. What a page may
    change, its JSON routes decide."""
    session = await session_of(request)
    if session is None or not session.allowed(roles.READ):
        raise web.HTTPFound("/login")
    return _page(name)


def _login_form(error: str, status: int = 200, retry_after_s: int | None = None) -> web.Response:
    path = _page_file("login.html")
    text = path.read_text(encoding="utf-8") if path else _FALLBACK_LOGIN
    text = text.replace("{{error}}", html.escape(error))
    headers = dict(_NO_CACHE)
    if retry_after_s is not None:
        headers["Retry-After"] = str(retry_after_s)
    return web.Response(
        text=text, status=status, content_type="text/html", charset="utf-8", headers=headers
    )


def _refused(request: web.Request, refusal: Refusal) -> web.Response:
    """The form again, saying when to try again: 403 while locked, else 429."""
    if not refusal.locked:
        message = TOO_SOON.format(seconds=refusal.retry_after_s)
        return _login_form(message, status=429, retry_after_s=refusal.retry_after_s)
    hub = request.app[HUB]
    until = datetime.fromtimestamp(hub.now() + refusal.retry_after_s, hub.state.tz)
    message = LOCKED.format(
        until=until.strftime("%H:%M"), minutes=max(1, round(refusal.retry_after_s / 60))
    )
    return _login_form(message, status=403, retry_after_s=refusal.retry_after_s)


@ROUTES.get("/login")
async def login_form(request: web.Request) -> web.Response:
    return _login_form("")


@ROUTES.post("/login")
async def login(request: web.Request) -> web.Response:
    address = client_address(request)
    if not form_from_this_hub(request):
        origin = request.headers.get("Origin")
        log.warning("forged sign-in refused from %s (Origin %r)", address, origin)
        return _login_form(FORGED, status=403)
    form = await request.post()
    name, password = form.get("name"), form.get("password")
    if (
        not isinstance(name, str)
        or not isinstance(password, str)
        or len(name) > MAX_FIELD_CHARS
        or len(password) > MAX_FIELD_CHARS
    ):
        return _login_form(LOGIN_ERROR, status=401)
    guard = request.app[LOGIN_GUARD]
    try:
        async with guard.one_at_a_time(name):
            answer = await _checked(request, guard, name, password, address)
    except StoreUnavailable as exc:
        log.warning("sign-in unavailable: the store cannot be reached: %s", exc)
        return _login_form(STORE_DOWN, status=503, retry_after_s=BUSY_RETRY_S)
    if not isinstance(answer, UserConfig):
        return answer
    user = answer
    session = await request.app[SESSIONS].create(user)
    log.info("%s (%s) signed in from %s", user.name, user.role, address)
    response = web.HTTPSeeOther("/dashboard")
    response.set_cookie(
        COOKIE,
        session.token,
        max_age=SESSION_TTL_S,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.app[HUB].config.http.secure_cookies or None,
    )
    raise response


async def _checked(
    request: web.Request, guard: LoginGuard, name: str, password: str, address: str
) -> UserConfig | web.Response:
    """The user when the password matches and the account may try now, else the form again.
    Successes, failures and locks are audited with the name and address, never a password."""
    refusal = await guard.check(name, address)
    if refusal is not None:
        return _refused(request, refusal)
    try:
        user = await request.app[PASSWORD_CHECKS].verify(name, password)
    except Busy:
        log.warning("sign-in as %r from %s: too many at once", name[:40], address)
        return _login_form(BUSY, status=503, retry_after_s=BUSY_RETRY_S)
    hub = request.app[HUB]
    entry = {"at": round(hub.now(), 3), "user": name[:MAX_AUDIT_NAME], "address": address}
    if user is None:
        log.info("failed sign-in as %r from %s", name[:40], address)
        locked = await guard.failed(name, address)
        if await hub.staff.users.get(name) is None:  # no such account: maybe a mistyped secret
            entry["user"] = ""
        await _audit(request, {**entry, "event": "login_failed"})
        if locked:
            await _audit(request, {**entry, "event": "login_locked"})
        return _login_form(LOGIN_ERROR, status=401)
    await guard.succeeded(name)
    await _audit(request, {**entry, "event": "login"})
    return user


async def _audit(request: web.Request, entry: dict[str, object]) -> None:
    try:
        await request.app[HUB].staff.users.audit(dict(entry))
    except StoreUnavailable as exc:
        log.warning("could not audit a sign-in: %s", exc)


@ROUTES.post("/logout")
async def logout(request: web.Request) -> web.Response:
    if not form_from_this_hub(request):
        log.warning("forged sign-out refused from %s", client_address(request))
        raise web.HTTPForbidden(text="请从本大厅的页面退出登录", content_type="text/plain")
    await request.app[SESSIONS].end(request.cookies.get(COOKIE))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


@ROUTES.get("/dashboard")
async def dashboard_page(request: web.Request) -> web.StreamResponse:
    return await dashboard_page_for(request, "dashboard.html")


@ROUTES.get("/screen")
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


@ROUTES.get("/kiosk/{device}")
async def kiosk_page(request: web.Request) -> web.StreamResponse:
    return _device_page(request, ("kiosk",), "kiosk.html")


@ROUTES.get("/pad/{device}")
async def pad_page(request: web.Request) -> web.StreamResponse:
    return _device_page(request, PAD_KINDS, "pad.html")


@ROUTES.get("/t/{no}")
async def ticket_page(request: web.Request) -> web.StreamResponse:
    return _page("ticket.html")


# The pages' own files: ``/static/<path>`` (and ``/static/static/<path>``, the address the
# pages use) is ``hall/web/static_files/static/<path>``, served by aiohttp's file handler
# (ETag, Last-Modified, ranges, no listing, nothing outside the folder).
ASSETS_DIR = STATIC_DIR / "static"
ASSET_PREFIXES = ("/static/static", "/static")


async def _asset_headers(request: web.Request, response: web.StreamResponse) -> None:
    """The pages' files are revalidated on every load (a hub upgrade shows at once) and
    never sniffed as another type."""
    if isinstance(request.match_info.route.resource, web.StaticResource):
        for name, value in _NO_CACHE.items():
            response.headers.setdefault(name, value)


def _add_assets(app: web.Application) -> None:
    if not ASSETS_DIR.is_dir():  # the pages are not installed: every /static/ path is 404
        return
    for prefix in ASSET_PREFIXES:  # the longer prefix first: it must win over /static
        app.router.add_static(prefix, ASSETS_DIR)
    app.on_response_prepare.append(_asset_headers)


def add_routes(app: web.Application) -> None:
    """The page routes (the sessions are set by `install`)."""
    app.router.add_routes(ROUTES)
    app.router.add_get("/t/{no}/qr.svg", qr.ticket_qr)
    _add_assets(app)


def install(app: web.Application, sessions: Sessions) -> None:
    """The sessions, and sign-in's throttle (its counts in the hub's store)."""
    app[SESSIONS] = sessions
    hub = app[HUB]
    app[LOGIN_GUARD] = LoginGuard(hub.login_attempts(), hub.now, login_guard.RULES)
    app[PASSWORD_CHECKS] = PasswordChecks(sessions.check_password, sessions.find)
