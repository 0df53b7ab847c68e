"""`hall watch --url http://host:port`: the hall's events, one readable line each, in a terminal.

A client of the hub's `/ws/watch` (the `websockets` library): read only, authenticated by an
`[[api_clients]]` token (``--token``) or a dashboard user's sign-in (``--user``; the password
comes from ``--password``, ``HALL_PASSWORD`` or a prompt). It reconnects with backoff when the
connection drops, and stops on Ctrl-C. Each line starts with the event's time in the hall's
time zone (`[hall] timezone`, which the hub sends first), whatever this computer's zone.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
import websockets
from websockets.exceptions import InvalidStatus, InvalidURI

from hall.contract.backoff import backoff_delay
from hall.web.sessions import COOKIE

RECONNECT_BASE_S, RECONNECT_CAP_S = 1.0, 15.0  # the waits of `hall.contract.backoff`
LEVELS = {"yellow": "黄", "orange": "橙", "red": "红"}
CATALOGUE_ACTIONS = {
    "add": "新增",
    "rename": "改名",
    "close": "暂停受理",
    "reopen": "恢复受理",
    "set_cap": "调整每日上限",
}


class WatchError(Exception):
    """The watch cannot go on (wrong URL, refused credentials); the message says why."""


def _wait(eta_s: object) -> str:
    seconds = float(eta_s) if isinstance(eta_s, int | float) else 0.0
    return f"约 {round(seconds)} 秒" if seconds < 60 else f"约 {max(1, round(seconds / 60))} 分钟"


@dataclass
class Formatter:
    """One line of Chinese per event, in the style of `hall demo`'s commentary."""

    service_names: dict[str, str] = field(default_factory=dict)
    window_names: dict[str, str] = field(default_factory=dict)  # as the hub sent them
    zone: ZoneInfo | None = None  # the hall's, as the hub sent it; None: this computer's
    clock: Callable[[float], str] | None = None  # None: HH:MM:SS in `zone`

    def time(self, at: float) -> str:
        if self.clock is not None:
            return self.clock(at)
        return datetime.fromtimestamp(at, self.zone).strftime("%H:%M:%S")

    def service(self, code: object) -> str:
        return self.service_names.get(str(code), str(code))

    def window(self, window_id: object) -> str:
        """The window's name as the hub sent it; its bare id if the hub sent none."""
        return self.window_names.get(str(window_id), f"窗口 {window_id}")

    def line(self, event: Mapping[str, Any]) -> str:
        at = event.get("at")
        stamp = self.time(float(at)) if isinstance(at, int | float) else "--:--:--"
        return f"{stamp} {self.text(event)}"

    def text(self, event: Mapping[str, Any]) -> str:
        kind = str(event.get("type", "?"))
        ticket: Mapping[str, Any] = event.get("ticket") or {}
        no = ticket.get("no", "?")
        window = event.get("window")
        if isinstance(window, Mapping):
            return self._window_event(kind, window)
        where = self.window(window) if window is not None else ""
        if kind == "ticket.taken":
            green = " 绿色通道" if ticket.get("priority") == "green" else ""
            ahead = ticket.get("ahead", 0)
            return (
                f"取号 {no} {self.service(ticket.get('service'))}{green} "
                f"(前面 {ahead} 人, {_wait(ticket.get('eta_s'))})"
            )
        simple = {
            "ticket.called": f"叫号 {no} → {where}",
            "ticket.started": f"办理 {no} @ {where}",
            "ticket.finished": f"办结 {no} @ {where}",
            "ticket.no_show": f"过号 {no} @ {where} (未到)",
            "ticket.transferred": f"转办 {no} @ {where} → {self.service(ticket.get('service'))}",
        }
        if kind in simple:
            return simple[kind]
        if kind == "ticket.recalled":
            return f"重呼 {no} → {where} (第 {ticket.get('recalls', 1)} 次)"
        if kind in ("eval.submitted", "eval.unrated", "alarm.bad_rating"):
            return self._evaluation(kind, event.get("evaluation") or {})
        if kind in ("alarm.raised", "alarm.acked"):
            alarm: Mapping[str, Any] = event.get("alarm") or {}
            if kind == "alarm.acked":
                what = alarm.get("message", alarm.get("id"))
                return f"告警已确认 {what} ({alarm.get('acked_by')})"
            level = LEVELS.get(str(alarm.get("level")), str(alarm.get("level")))
            return f"告警[{level}] {alarm.get('message', alarm.get('id'))}"
        if kind == "device.status":
            return f"设备 {event.get('device')} {'上线' if event.get('online') else '离线'}"
        if kind == "catalogue.changed":
            service: Mapping[str, Any] = event.get("service") or {}
            action = CATALOGUE_ACTIONS.get(str(event.get("action")), str(event.get("action")))
            return f"事项 {service.get('code')} {service.get('name')} {action}"
        if kind in ("appointment.booked", "appointment.cancelled"):
            appointment: Mapping[str, Any] = event.get("appointment") or {}
            verb = "预约" if kind == "appointment.booked" else "取消预约"
            return f"{verb} {appointment.get('code')} {self.service(appointment.get('service'))}"
        rest = {k: v for k, v in event.items() if k not in ("type", "at", "seq")}
        return f"{kind} {json.dumps(rest, ensure_ascii=False)[:160]}"

    def _window_event(self, kind: str, window: Mapping[str, Any]) -> str:
        name = self.window(window.get("id"))
        lines = {
            "window.open": f"签到 {name} 工号 {window.get('staff')}",
            "window.pause": f"暂停 {name}: {window.get('paused_reason')}",
            "window.resume": f"恢复 {name}",
            "window.close": f"签退 {name}",
        }
        return lines.get(kind, f"{kind} {name}")

    def _evaluation(self, kind: str, evaluation: Mapping[str, Any]) -> str:
        no = evaluation.get("ticket", "?")
        if kind == "eval.unrated":
            return f"未评价 {no} (评价时限已过)"
        where = self.window(evaluation.get("window"))
        if kind == "alarm.bad_rating":
            return f"差评告警 {no} {evaluation.get('label', '')} @ {where}"
        level = int(evaluation.get("level") or 0)
        stars = "★" * level + "☆" * (5 - level)
        return f"评价 {no} {stars} {evaluation.get('label', '')} @ {where}"


@dataclass
class Credentials:
    token: str | None = None
    user: str | None = None
    password: str | None = None


def _base(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise WatchError(
            f"--url must be the hub's http:// address, e.g. http://127.0.0.1:8080 (got {url})"
        )
    return f"{parts.scheme}://{parts.netloc}"


async def _sign_in(http: aiohttp.ClientSession, base: str, credentials: Credentials) -> str:
    form = {"name": credentials.user or "", "password": credentials.password or ""}
    async with http.post(f"{base}/login", data=form, allow_redirects=False) as response:
        if response.status == 401:
            raise WatchError(
                f"the hub refused the sign-in of {credentials.user}: wrong name or password"
            )
        cookie = response.cookies.get(COOKIE)
        if response.status not in (302, 303) or cookie is None:
            raise WatchError(f"signing in at {base}/login failed: HTTP {response.status}")
        return cookie.value


async def _service_names(http: aiohttp.ClientSession, base: str) -> dict[str, str]:
    try:
        async with http.get(f"{base}/api/services") as response:
            data = await response.json()
        return {str(s["code"]): str(s["name"]) for s in data.get("services", [])}
    except (aiohttp.ClientError, ValueError, KeyError, TypeError, TimeoutError):
        return {}


async def watch(
    url: str,
    credentials: Credentials,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> None:
    """Print the hall's events until cancelled; raises WatchError when it cannot go on."""
    base = _base(url)
    ws_url = "ws" + base[len("http") :] + "/ws/watch"
    formatter = Formatter()
    cookie: str | None = None
    attempt = 0
    signed_in_again = False
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        while True:
            headers: dict[str, str] = {}
            try:
                if credentials.token:
                    headers["Authorization"] = f"Bearer {credentials.token}"
                elif cookie is None:
                    cookie = await _sign_in(http, base, credentials)
                if cookie is not None:
                    headers["Cookie"] = f"{COOKIE}={cookie}"
                formatter.service_names = await _service_names(http, base) or (
                    formatter.service_names
                )
                async with websockets.connect(
                    ws_url, additional_headers=headers, open_timeout=10, max_size=2**20
                ) as connection:
                    print(f"已连接 {ws_url}", file=err, flush=True)
                    attempt, signed_in_again = 0, False
                    async for raw in connection:
                        _print_message(formatter, raw, out, err)
            except InvalidStatus as exc:
                status = exc.response.status_code
                if status in (401, 403) and cookie is not None and not signed_in_again:
                    cookie, signed_in_again = None, True  # the session ended: sign in again
                    continue
                if status in (401, 403):
                    raise WatchError(
                        f"the hub refused the watch (HTTP {status}): check --token or --user"
                    ) from None
                print(f"连接被拒绝 (HTTP {status})", file=err, flush=True)
            except InvalidURI as exc:
                raise WatchError(str(exc)) from None
            except (OSError, TimeoutError, aiohttp.ClientError, websockets.ConnectionClosed) as exc:
                print(f"连接中断: {exc or type(exc).__name__}", file=err, flush=True)
            attempt += 1
            delay = backoff_delay(attempt, RECONNECT_BASE_S, RECONNECT_CAP_S)
            print(f"{delay:.1f} 秒后重连…", file=err, flush=True)
            await asyncio.sleep(delay)


def _print_message(
    formatter: Formatter, raw: str | bytes, out: TextIO, err: TextIO = sys.stderr
) -> None:
    try:
        message = json.loads(raw)
    except ValueError:
        return
    if not isinstance(message, dict):
        return
    if message.get("type") == "hall":
        zone = message.get("timezone")
        try:
            formatter.zone = ZoneInfo(str(zone))
        except (ZoneInfoNotFoundError, ValueError, OSError):
            print(f"大厅时区 {zone} 未知: 时间按本机时区显示", file=err, flush=True)
            return
        print(f"时间为大厅时区 {zone}", file=err, flush=True)
    elif message.get("type") == "windows":
        names = message.get("windows")
        if isinstance(names, dict):
            formatter.window_names = {str(k): str(v) for k, v in names.items()}
    elif message.get("type") == "event":
        event = message.get("event")
        if isinstance(event, dict):
            print(formatter.line(event), file=out, flush=True)


def run_watch(url: str, token: str | None, user: str | None, password: str | None) -> int:
    """The `hall watch` command: 0 on Ctrl-C, 2 when it cannot go on."""
    if user and password is None:
        password = os.environ.get("HALL_PASSWORD")
        if password is None:
            password = getpass.getpass(f"{user} 的密码: ")
    credentials = Credentials(token=token, user=user, password=password)
    try:
        asyncio.run(watch(url, credentials))
    except KeyboardInterrupt:
        return 0
    except WatchError as exc:
        print(f"hall watch: {exc}", file=sys.stderr)
        return 2
    return 0
