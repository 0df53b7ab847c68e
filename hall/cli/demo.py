"""`hall demo`: the demo hall with simulated devices and a running commentary on the terminal.

Every simulated device (the kiosks, the window pads and the watching screen) speaks only the
public device contract over MQTT through DeviceLink, exactly as any vendor's device would.
The commentary is built from what the hub publishes: events, announcements and guidance.
Set HALL_DEMO_SEED (any value) to make the simulated choices repeatable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import re
import time
from collections import Counter
from typing import Any

from displays.phrasing import window_display_name
from hall.cli.demo_extras import (
    HUMAN_PREFIX,
    page_lines,
    reference_back_office,
    run_demo_speaker,
    speaker_device,
)
from hall.contract.device import DeviceError, DeviceLink, NoHubKey
from hall.contract.wire import Topics
from hall.domain.config import HallConfig
from hall.hub.embedded import EmbeddedError
from hall.hub.runtime import Running, StartupError, serve
from hall.web.app import make_app

log = logging.getLogger("hall.cli.demo")
SUMMARY_EVERY_S = 5.0
CONNECT_TIMEOUT_S = 15.0
GREEN_SHARE, RECALL_SHARE, NO_SHOW_SHARE, TRANSFER_SHARE = 0.10, 0.10, 0.05, 0.03
ID_CARD_SHARE = 0.20  # arrivals who lay an ID card on the kiosk (sent sealed to the hub)
SERVICE_S = (2.0, 8.0)  # a visit at the window, scaled down from minutes to seconds
PAUSE_REASONS = ("午休", "临时离开", "系统维护", "业务咨询")
RATING_WEIGHTS = (2, 3, 8, 27, 60)  # levels 1 … 5: mostly 4 and 5
CLOSED = ("window_paused", "window_closed")  # refusals a pad answers by signing in again
# Connection chatter of the simulated devices, hidden unless the log level is DEBUG.
_CHATTER = ("connected to %s as %s", "device %s is %s")


def say(text: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {text}", flush=True)


def synthetic_id_number(rng: random.Random) -> str:
    """A made-up resident ID number of the right shape, with its GB 11643 check character."""
    born = f"{rng.randint(1940, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = f"110105{born}{rng.randint(0, 999):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(digit) * weight for digit, weight in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


def _wait_text(eta_s: float) -> str:
    return f"约 {round(eta_s)} 秒" if eta_s < 60 else f"约 {max(1, round(eta_s / 60))} 分钟"


ENDINGS = {
    "ticket.finished": "办结 {no} @ {where}",
    "ticket.no_show": "过号 {no} @ {where} (未到)",
    "ticket.transferred": "转办 {no} @ {where} → {to}",
}


class Commentary:
    """Turns what the hub publishes into one line per notable event, plus summary blocks."""

    def __init__(self, config: HallConfig) -> None:
        self.config = config
        self.topics = Topics(config.hall.id)
        self.service_names = {s.code: s.name for s in config.services}
        self.windows = {w.id: "未开" for w in config.windows}  # what each window is doing
        self.services: list[dict[str, Any]] = []  # the retained guidance: waiting, eta_s, open
        self.counts: Counter[str] = Counter()  # events seen, by type
        self.ratings: list[int] = []
        self.started = time.monotonic()

    def window_name(self, window_id: object) -> str:
        window = self.config.window(str(window_id))
        return window_display_name(window.id, window.name) if window else str(window_id)

    def on_message(self, topic: str, payload: dict[str, Any]) -> None:
        if topic == self.topics.services:
            self.services = list(payload.get("services") or [])
        elif topic == self.topics.announce:
            text, repeat = payload.get("text", ""), int(payload.get("repeat") or 0)
            say(f"重呼 {text} (第 {repeat} 次)" if repeat else f"叫号 {text}")
        elif topic == self.topics.events:
            self.on_event(str(payload.get("type")), payload)

    def on_event(self, kind: str, event: dict[str, Any]) -> None:
        self.counts[kind] += 1
        ticket: dict[str, Any] = event.get("ticket") or {}
        no, window = ticket.get("no", "?"), event.get("window")
        if isinstance(window, dict):  # window.open, .pause, .resume, .close
            self.on_window(kind, window)
        elif kind == "ticket.taken":
            green = " 绿色通道" if ticket.get("priority") == "green" else ""
            name = self.service_names.get(ticket.get("service", ""), "?")
            wait = f"前面 {ticket.get('ahead', 0)} 人, {_wait_text(ticket.get('eta_s', 0))}"
            say(f"取号 {no} {name}{green} ({wait})")
        elif kind in ("ticket.called", "ticket.started") and window in self.windows:
            self.windows[window] = f"{'呼叫' if kind == 'ticket.called' else '办理'} {no}"
        elif kind in ENDINGS:
            if window in self.windows:
                self.windows[window] = "空闲"
            to = self.service_names.get(ticket.get("service", ""), "?")
            say(ENDINGS[kind].format(no=no, where=self.window_name(window), to=to))
        elif kind == "eval.submitted":
            level = int((event.get("evaluation") or {}).get("level", 0))
            self.ratings.append(level)
            say(f"评价 {event['evaluation'].get('ticket')} {'★' * level}{'☆' * (5 - level)}")

    def on_window(self, kind: str, window: dict[str, Any]) -> None:
        window_id, reason = str(window.get("id")), window.get("paused_reason")
        if window_id not in self.windows:
            return
        hand = f"呼叫 {window['ticket']}" if window.get("ticket") else "空闲"
        self.windows[window_id] = {"closed": "未开", "paused": f"暂停({reason})"}.get(
            str(window.get("state")), hand
        )
        name = self.window_name(window_id)
        lines = {
            "window.open": f"签到 {name} 工号 {window.get('staff')}",
            "window.pause": f"暂停 {name}: {reason}",
            "window.resume": f"恢复 {name}",
            "window.close": f"签退 {name}",
        }
        if kind in lines:
            say(lines[kind])

    def summary(self, title: str) -> str:
        waiting = []
        for s in self.services:
            text = f"{s.get('code')} {s.get('name')} {s.get('waiting', 0)} 人"
            text += f" {_wait_text(s.get('eta_s', 0))}" if s.get("waiting") else ""
            waiting.append(text if s.get("open") else f"{text} (未开放)")
        windows = [f"{self.window_name(w)} {doing}" for w, doing in self.windows.items()]
        n, mean = self.counts, "暂无"
        if self.ratings:
            mean = f"平均 {sum(self.ratings) / len(self.ratings):.1f}★"
        elapsed = round(time.monotonic() - self.started)
        lines = [f"──── {title} · {time.strftime('%H:%M:%S')} · 已运行 {elapsed} 秒 ────"]
        lines += _rows("等候", waiting) + _rows("窗口", windows)
        lines.append(
            f"  本次  取号 {n['ticket.taken']} · 办结 {n['ticket.finished']} · "
            f"过号 {n['ticket.no_show']} · 转办 {n['ticket.transferred']} · "
            f"评价 {len(self.ratings)} 次 {mean}"
        )
        return "\n".join(lines)


def _rows(label: str, items: list[str], per_row: int = 4) -> list[str]:
    rows = [" · ".join(items[i : i + per_row]) for i in range(0, len(items), per_row)] or ["—"]
    return [f"  {label if i == 0 else '    '}  {row}" for i, row in enumerate(rows)]


def simulated_devices(config: HallConfig) -> tuple[str, list[str], dict[str, str]]:
    """The devices the demo plays: the screen it watches the hall through, its kiosks, and
    the first window pad of each window (by window id); "web-" devices are left to people."""
    screen = next((d.id for d in config.devices if d.kind == "screen"), "demo-screen")
    simulated = [d for d in config.devices if not d.id.startswith(HUMAN_PREFIX)]
    kiosks = [d.id for d in simulated if d.kind == "kiosk"]
    pads: dict[str, str] = {}
    for d in simulated:
        if d.kind == "window_pad" and d.window is not None and d.window not in pads:
            pads[d.window] = d.id
    return screen, kiosks, pads


class Simulation:
    """The hall's kiosks and window pads, each a DeviceLink speaking only the contract."""

    def __init__(
        self, config: HallConfig, running: Running, rng: random.Random, commentary: Commentary
    ) -> None:
        self.config, self.running, self.rng, self.commentary = config, running, rng, commentary
        self.codes = [s.code for s in config.services]
        self.refused: set[tuple[str, str]] = set()  # (service, code) of refused tickets
        self.refusal: dict[str, str] = {}  # device id -> code of its last refused request
        hall, topics = config.hall.id, commentary.topics
        extra = (topics.board, topics.services, topics.announce, topics.events)
        # Each simulated device logs in as itself (`Running.device_endpoint`), as a real one
        # does, so the broker holds it to its own topics.
        login = running.device_endpoint
        screen, kiosks, pads = simulated_devices(config)
        self.watch = DeviceLink(login(screen), hall, screen, extra_topics=extra)
        self.watch.listeners.append(commentary.on_message)
        self.kiosks = [DeviceLink(login(d), hall, d) for d in kiosks]
        # window id -> its (first) window pad
        self.pads = {window: DeviceLink(login(d), hall, d) for window, d in pads.items()}
        self.links = [self.watch, *self.kiosks, *self.pads.values()]

    def banner(self, duration_s: float, rate: float) -> None:
        config, running = self.config, self.running
        data = re.sub(r"//[^@/]*@", "//***@", running.store_url)  # never show a password
        data = f"{config.store.path} (内置 Redis)" if config.store.url is None else data
        ends = f"{duration_s:g} 秒后自动结束" if duration_s > 0 else "一直运行"
        lines = [
            f"━━━━ {config.hall.name} · 演示大厅 {config.hall.id} ━━━━",
            f"  健康检查  {running.http_url}/healthz",
            f"  指标      {running.http_url}/metrics",
            f"  MQTT      {running.endpoint}{' (内置代理)' if config.broker.url is None else ''}",
            f"  数据      {data}",
            f"  模拟      {len(self.kiosks)} 台取号机、{len(self.pads)} 个窗口平板, "
            f"约 {rate:g} 人/秒取号, {ends}",
            *page_lines(running, config),
            "  停止      按 Ctrl-C\n",
        ]
        print(*lines, sep="\n", flush=True)

    async def run(self, duration_s: float, rate: float) -> bool:
        """Run for `duration_s` (0: until cancelled); False if the devices could not connect."""
        async with asyncio.TaskGroup() as group:
            runners = [group.create_task(link.run()) for link in self.links]
            try:
                async with asyncio.timeout(CONNECT_TIMEOUT_S):
                    await self.running.hub.ready.wait()
                    await asyncio.gather(*(link.link.connected.wait() for link in self.links))
            except TimeoutError:
                for task in runners:
                    task.cancel()
                return False
            self.commentary.started = time.monotonic()
            work = [
                group.create_task(self.window_pad(pad, f"S{1000 + n}"))
                for n, pad in enumerate(self.pads.values(), start=1)
            ]
            if self.kiosks and rate > 0:
                work.append(group.create_task(self.arrivals(rate)))
            work.append(group.create_task(self.summaries()))
            await (asyncio.sleep(duration_s) if duration_s > 0 else asyncio.Future())
            for task in work:
                task.cancel()
            await asyncio.gather(*(link.go_offline() for link in self.links))
            for task in runners:
                task.cancel()
        return True

    async def summaries(self) -> None:
        while True:
            await asyncio.sleep(SUMMARY_EVERY_S)
            print(self.commentary.summary("概况"), flush=True)

    async def call(self, link: DeviceLink, op: str, args: dict[str, Any] | None = None) -> Any:
        """One request; refusals such as window_paused or no_ticket are normal here: None."""
        try:
            return await link.call(op, args)
        except DeviceError as exc:
            log.debug("%s: %s refused: %s", link.device_id, op, exc)
            self.refusal[link.device_id] = exc.code
            code = str((args or {}).get("service")) if op == "ticket.take" else ""
            if code and (code, exc.code) not in self.refused:  # e.g. daily_cap_reached: once
                self.refused.add((code, exc.code))
                say(f"取号未成功 {self.commentary.service_names.get(code, code)}: {exc.message}")
        except TimeoutError as exc:
            log.warning("%s", exc)
        return None

    async def arrivals(self, rate: float) -> None:
        async with asyncio.TaskGroup() as group:
            while True:
                await asyncio.sleep(self.rng.expovariate(rate))
                priority = "green" if self.rng.random() < GREEN_SHARE else "normal"
                args = {"service": self.rng.choice(self.codes), "priority": priority}
                group.create_task(self.take(self.rng.choice(self.kiosks), args))

    async def take(self, kiosk: DeviceLink, args: dict[str, Any]) -> None:
        """A ticket; some citizens lay their (made-up) ID card on the kiosk: the kiosk seals
        its number to the hub's key, as every device of the project does."""
        if self.rng.random() < ID_CARD_SHARE:
            try:
                args["id_sealed"] = await kiosk.seal_id(synthetic_id_number(self.rng))
            except NoHubKey:
                log.debug("%s: no key from the hub yet: a ticket without the card", kiosk.device_id)
        await self.call(kiosk, "ticket.take", args)

    async def window_pad(self, link: DeviceLink, staff: str) -> None:
        rng, loop = self.rng, asyncio.get_running_loop()
        signed_in = await self.call(link, "window.open", {"staff": staff})
        if signed_in and signed_in["window"].get("ticket"):  # a visit left by an earlier run
            await self.call(link, "ticket.finish")
        next_pause = loop.time() + rng.uniform(15, 60)
        while True:
            if loop.time() >= next_pause:
                await self.call(link, "window.pause", {"reason": rng.choice(PAUSE_REASONS)})
                await asyncio.sleep(rng.uniform(4, 10))
                await self.call(link, "window.resume")
                next_pause = loop.time() + rng.uniform(40, 90)
            self.refusal.pop(link.device_id, None)
            called = await self.call(link, "call.next")
            if called is None and self.refusal.get(link.device_id) in CLOSED:
                await self.call(link, "window.open", {"staff": staff})  # sign in again
            if called is None or called.get("ticket") is None:  # refused, or nobody waiting
                await asyncio.sleep(rng.uniform(1, 2))
            else:
                await self.visit(link, called["ticket"])
                await asyncio.sleep(rng.uniform(0.3, 1.0))

    async def visit(self, link: DeviceLink, ticket: dict[str, Any]) -> None:
        rng = self.rng
        await asyncio.sleep(rng.uniform(0.5, 1.5))  # walking up to the window
        if rng.random() < NO_SHOW_SHARE:
            for _ in range(rng.randint(1, 2)):
                await self.call(link, "call.recall")
                await asyncio.sleep(rng.uniform(1, 2))
            await self.call(link, "call.no_show")
            return
        if rng.random() < RECALL_SHARE:
            await self.call(link, "call.recall")
            await asyncio.sleep(rng.uniform(0.5, 1.5))
        await self.call(link, "ticket.start")
        await asyncio.sleep(rng.uniform(*SERVICE_S))
        others = [code for code in self.codes if code != ticket.get("service")]
        if others and rng.random() < TRANSFER_SHARE:
            await self.call(link, "ticket.transfer", {"service": rng.choice(others)})
        elif await self.call(link, "ticket.finish") is not None:
            await asyncio.sleep(rng.uniform(0.3, 1.0))
            level = rng.choices(range(1, 6), weights=RATING_WEIGHTS)[0]
            await self.call(link, "eval.submit", {"ticket": ticket["no"], "level": level})


async def run_demo(config: HallConfig, duration_s: float, rate: float) -> None:
    """Run the hall with simulated traffic; return after `duration_s` (0: until Ctrl-C)."""
    rng = random.Random(os.environ.get("HALL_DEMO_SEED") or None)
    commentary = Commentary(config)
    failure: list[str] = []
    server: asyncio.Task[None]

    async def traffic(running: Running) -> None:
        sim = Simulation(config, running, rng, commentary)
        sim.banner(duration_s, rate)
        voice = None
        if speaker_id is not None:
            voice = asyncio.create_task(run_demo_speaker(running, config, speaker_id))
        try:
            if not await sim.run(duration_s, rate):
                failure.append(
                    f"the simulated devices could not reach the hub at "
                    f"{running.endpoint} within {CONNECT_TIMEOUT_S:.0f} s"
                )
        finally:
            print(commentary.summary("演示结束"), flush=True)
            if voice is not None:
                voice.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await voice
        server.cancel()  # stop the hall as Ctrl-C would

    devices = {d.id for d in config.devices} | {"demo-screen"}

    def chatter(record: logging.LogRecord) -> bool:  # False: drop a simulated device's chatter
        args = record.args if isinstance(record.args, tuple) else ()
        return record.msg not in _CHATTER or not any(arg in devices for arg in args)

    quiet = logging.getLogger().getEffectiveLevel() > logging.DEBUG
    loggers = (
        [logging.getLogger(name) for name in ("hall.contract.link", "hall.hub.hub")]
        if quiet
        else []
    )
    for logger in loggers:
        logger.addFilter(chatter)

    async def hall_with_back_office() -> None:
        nonlocal config
        async with reference_back_office(config) as config:
            await serve(config, extra=traffic, web_app=make_app, local_devices=local)

    if config.broker.url is not None and config.broker.username is not None:
        raise StartupError(
            "the demo's simulated devices log in as themselves, and their passwords on the "
            "broker of [broker] url are not known here: run the demo on the embedded broker "
            "(no [broker] url)"
        )
    screen, kiosks, pads = simulated_devices(config)
    speaker_id = speaker_device(config)
    local: dict[str, str | None] = {d: None for d in (screen, *kiosks, *pads.values())}
    if speaker_id is not None:
        local[speaker_id] = None
    server = asyncio.create_task(hall_with_back_office())
    try:
        await server
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if not server.cancelled() or (current is not None and current.cancelling()):
            raise
    except EmbeddedError as exc:
        raise StartupError(str(exc)) from exc
    finally:
        for logger in loggers:
            logger.removeFilter(chatter)
    if failure:
        raise StartupError(failure[0])
