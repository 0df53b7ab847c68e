"""The hall's pages in a real browser against a real hub: a citizen takes a ticket at the
kiosk, the manager sees it on the dashboard, the window calls, serves and the citizen rates
it on the pad, the big screen shows the call, the phone follows the ticket."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import expect

from hall.pages import STATIC_DIR
from tests.integration.conftest import running_hub
from tests.support import DEMO_HALL, free_port, write_hall_config

from .conftest import PHONE, TABLET, TV, HallFactory, login

PAGE_ERRORS: list[str] = []


@pytest.fixture(autouse=True)
def no_script_errors() -> Iterator[None]:
    """No page of a test may throw an uncaught JavaScript error."""
    PAGE_ERRORS.clear()
    yield
    assert PAGE_ERRORS == []


async def _page(context: Any, viewport: dict[str, int]) -> Any:
    page = await context.new_page()
    page.on("pageerror", lambda error: PAGE_ERRORS.append(f"{page.url}: {error}"))
    await page.set_viewport_size(viewport)
    return page


async def _shot(page: Any, artifacts: Path, name: str) -> None:
    await page.screenshot(path=str(artifacts / f"{name}.png"))


async def test_a_visit_through_every_page(context: Any, hall: HallFactory, artifacts: Path) -> None:
    hub = await hall()
    base = hub.http_url

    # The manager signs in: a wrong password first.
    dashboard = await _page(context, TV)
    await dashboard.goto(f"{base}/dashboard")
    await expect(dashboard).to_have_url(re.compile(r"/login$"))
    await dashboard.get_by_label("用户名").fill("admin")
    await dashboard.get_by_label("密码").fill("wrong")
    await dashboard.get_by_role("button", name="登录").click()
    await expect(dashboard.get_by_role("alert").filter(has_text="用户名或密码错误")).to_be_visible()
    await _shot(dashboard, artifacts, "login-error")
    await login(dashboard, base)
    await expect(dashboard).to_have_url(re.compile(r"/dashboard$"))
    queue_a = dashboard.locator('#queues tr[data-service="A"]')
    await expect(queue_a.locator(".waiting")).to_have_text("0")
    await expect(dashboard.locator("#banner")).to_be_hidden()

    screen = await _page(context, TV)
    await screen.goto(f"{base}/screen")
    await expect(screen.locator("#hall-name")).to_have_text("示例市政务服务中心")
    await expect(screen.locator('#waiting li[data-service="A"]')).to_contain_text("社保医保")

    # A citizen takes a ticket at the kiosk.
    kiosk = await _page(context, TABLET)
    await kiosk.goto(f"{base}/kiosk/kiosk-1")
    await _shot(kiosk, artifacts, "kiosk-menu")
    service_a = kiosk.locator('button.service-btn[data-service="A"]')
    await expect(service_a).to_be_enabled()
    await expect(service_a).to_contain_text("社保医保")
    await service_a.click()
    await expect(kiosk.locator("#ticket-no")).to_have_text("A001")
    await expect(kiosk.locator("#ticket-ahead")).to_have_text("前面还有 0 人")
    qr = kiosk.locator("#ticket-qr svg")
    await expect(qr).to_have_attribute("data-url", f"{base}/t/A001")
    await _shot(kiosk, artifacts, "kiosk-ticket")
    await kiosk.locator("#ticket-done").click()
    await expect(kiosk.locator("#ticket")).to_be_hidden()
    await expect(service_a).to_contain_text("等候 1 人")

    # The manager sees it waiting.
    await expect(queue_a.locator(".waiting")).to_have_text("1")
    await expect(dashboard.locator('[data-kpi="arrivals"] .value')).to_have_text("1")
    await expect(dashboard.locator('#log li[data-type="ticket.taken"]')).to_contain_text("A001")

    # The window signs in and calls.
    pad = await _page(context, TABLET)
    await pad.goto(f"{base}/pad/pad-1")
    await expect(pad.get_by_label("工号")).to_be_visible()
    await _shot(pad, artifacts, "pad-signin")
    await pad.get_by_label("工号").fill("S001")
    await pad.get_by_role("button", name="签到").click()
    next_button = pad.get_by_role("button", name="叫号", exact=True)
    await expect(next_button).to_be_enabled()
    await next_button.click()
    await expect(pad.locator("#current-no")).to_have_text("A001")
    await expect(pad.locator("#current-state")).to_have_text("已叫号")
    await _shot(pad, artifacts, "pad-called")

    # The big screen shows the call, large and blinking.
    call = screen.locator("#call-now")
    await expect(call).to_contain_text("A001")
    await expect(call).to_contain_text("1号窗口")
    await expect(call).to_have_class(re.compile(r"\bblink\b"))
    await expect(call).to_have_attribute("aria-live", "assertive")
    await _shot(screen, artifacts, "screen")

    # Served and rated 5 非常满意 on the pad.
    await pad.get_by_role("button", name="开始办理").click()
    await expect(pad.locator("#current-state")).to_have_text("办理中")
    await pad.get_by_role("button", name="办结").click()
    await expect(pad.locator("#rate-view")).to_be_visible()
    await expect(pad.locator("#rate-staff")).to_have_text("工号 S001")
    await expect(pad.locator(".rate-btn")).to_have_count(5)
    await _shot(pad, artifacts, "pad-rate")
    await pad.get_by_role("button", name="5 非常满意").click()
    await expect(pad.locator("#thanks-view")).to_be_visible()
    await expect(pad.locator("#staff-view")).to_be_visible(timeout=8000)
    await expect(pad.locator("#current-no")).to_have_text("暂无")

    # The dashboard: served 1, mean rating 5.
    await expect(dashboard.locator('[data-kpi="served"] .value')).to_have_text("1")
    await expect(dashboard.locator('[data-kpi="mean_rating"] .value')).to_contain_text("5.0")
    await expect(dashboard.locator('#windows tr[data-window="1"] .served')).to_have_text("1")
    await expect(dashboard.locator('#log li[data-type="eval.submitted"]')).to_contain_text(
        "非常满意"
    )
    await expect(dashboard.locator('#devices [data-device="kiosk-1"]')).to_have_class(
        re.compile(r"\bonline\b")
    )
    await expect(dashboard.locator("#hourly svg rect").first).to_be_attached()
    await _shot(dashboard, artifacts, "dashboard")

    # The phone: the ticket is done.
    phone = await _page(context, PHONE)
    await phone.goto(f"{base}/t/A001")
    await expect(phone.locator("#t-state")).to_have_text("已办结")
    await _shot(phone, artifacts, "ticket-done")


async def test_ticket_page_follows_the_ticket(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    hub = await hall()
    base = hub.http_url
    kiosk = await _page(context, TABLET)
    await kiosk.goto(f"{base}/kiosk/kiosk-1")
    await kiosk.locator('button.service-btn[data-service="A"]').click()
    await expect(kiosk.locator("#ticket-no")).to_have_text("A001")
    await kiosk.locator("#ticket-done").click()
    await kiosk.locator('button.service-btn[data-service="A"]').click()
    await expect(kiosk.locator("#ticket-no")).to_have_text("A002")

    phone = await _page(context, PHONE)
    await phone.goto(f"{base}/t/A002")
    await expect(phone.locator("#t-no")).to_have_text("A002")
    await expect(phone.locator("#t-service")).to_have_text("社保医保")
    await expect(phone.locator("#t-state")).to_have_text("等候中")
    await expect(phone.locator("#t-ahead")).to_have_text("1 人")
    await expect(phone.locator("#t-where")).to_contain_text("等候")
    await _shot(phone, artifacts, "ticket-waiting")
    body = await phone.locator("body").inner_text()
    assert "A002" in body

    # Window 1 calls A001 then A002: the phone follows within a poll (5 s).
    pad = await _page(context, TABLET)
    await pad.goto(f"{base}/pad/pad-1")
    await pad.get_by_label("工号").fill("S007")
    await pad.get_by_role("button", name="签到").click()
    await pad.get_by_role("button", name="叫号", exact=True).click()
    await expect(pad.locator("#current-no")).to_have_text("A001")
    await expect(phone.locator("#t-ahead")).to_have_text("0 人", timeout=8000)
    await pad.get_by_role("button", name="过号").click()
    await expect(pad.locator("#current-no")).to_have_text("暂无")
    await pad.get_by_role("button", name="叫号", exact=True).click()
    await expect(pad.locator("#current-no")).to_have_text("A002")
    await expect(phone.locator("#t-state")).to_have_text("请到1号窗口", timeout=8000)
    await expect(phone.locator("#t-where")).to_have_text("请到1号窗口")
    await _shot(phone, artifacts, "ticket-called")

    unknown = await _page(context, PHONE)
    await unknown.goto(f"{base}/t/Z999")
    await expect(unknown.locator("#problem")).to_contain_text("未找到")


async def _socket_outcome(page: Any, url: str) -> str:
    """Open a WebSocket from the page's own context: "open", or how it failed."""
    outcome: str = await page.evaluate(
        """(url) => new Promise((resolve) => {
            const ws = new WebSocket(url);
            const timer = setTimeout(() => resolve("timeout"), 8000);
            ws.onopen = () => { clearTimeout(timer); ws.close(); resolve("open"); };
            ws.onclose = (e) => { clearTimeout(timer); resolve("closed:" + e.code); };
        })""",
        url,
    )
    return outcome


async def test_dashboard_socket_needs_a_session_and_the_hubs_origin(
    context: Any, hall: HallFactory
) -> None:
    hub = await hall()
    base = hub.http_url
    ws_url = base.replace("http://", "ws://") + "/ws/dashboard"

    # Another site on another port: a blank page.
    async def blank(_request: web.Request) -> web.Response:
        return web.Response(
            text="<!doctype html><title>other</title><p>other</p>", content_type="text/html"
        )

    other_app = web.Application()
    other_app.router.add_get("/", blank)
    runner = web.AppRunner(other_app)
    await runner.setup()
    other_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", other_port).start()
    try:
        page = await _page(context, TABLET)

        # No session: refused, from the hub's own origin too; the page redirects to /login.
        await page.goto(f"{base}/login")
        assert await _socket_outcome(page, ws_url) == "closed:1006"
        await page.goto(f"{base}/dashboard")
        await expect(page).to_have_url(re.compile(r"/login$"))

        # Signed in: the hub's own origin may open it, another origin may not (the session
        # cookie is sent to 127.0.0.1 whatever the port: only the Origin check refuses it).
        await login(page, base)
        assert await _socket_outcome(page, ws_url) == "open"
        await page.goto(f"http://127.0.0.1:{other_port}/")
        assert await _socket_outcome(page, ws_url) == "closed:1006"

        # Signed out: refused again.
        await page.goto(f"{base}/dashboard")
        await expect(page.locator('#queues tr[data-service="A"]')).to_be_visible()
        await page.get_by_role("button", name="退出登录").click()
        await expect(page).to_have_url(re.compile(r"/login$"))
        assert await _socket_outcome(page, ws_url) == "closed:1006"
    finally:
        await runner.cleanup()


async def test_kiosk_refusals_in_plain_chinese(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    hub = await hall(
        services=[
            {"code": "A", "name": "社保医保", "daily_cap": 1},
            {"code": "B", "name": "不动产登记"},
            {"code": "C", "name": "企业开办"},
        ]
    )
    base = hub.http_url
    dashboard = await _page(context, TV)
    await login(dashboard, base)
    kiosk = await _page(context, TABLET)
    await kiosk.goto(f"{base}/kiosk/kiosk-1")

    # The green channel, then the daily cap.
    await kiosk.get_by_role("button", name=re.compile("绿色通道")).click()
    await expect(kiosk.locator("#green")).to_have_attribute("aria-pressed", "true")
    await kiosk.locator('button.service-btn[data-service="A"]').click()
    await expect(kiosk.locator("#ticket-no")).to_have_text("A001")
    await expect(kiosk.locator("#ticket-tags")).to_have_text("绿色通道")
    await kiosk.locator("#ticket-done").click()
    await expect(kiosk.locator("#green")).to_have_attribute("aria-pressed", "false")
    await kiosk.locator('button.service-btn[data-service="A"]').click()
    await expect(kiosk.locator("#error-text")).to_have_text("今日号源已满")
    await _shot(kiosk, artifacts, "kiosk-error")
    await kiosk.get_by_role("button", name="返回").click()

    # The manager suspends B: the kiosk greys it out.
    await dashboard.locator('#queues button[data-service="B"]').click()
    await expect(dashboard.locator('#queues tr[data-service="B"]')).to_contain_text("已暂停受理")
    service_b = kiosk.locator('button.service-btn[data-service="B"]')
    await expect(service_b).to_be_disabled()
    await expect(service_b).to_contain_text("暂停办理")
    await dashboard.locator('#queues button[data-service="B"]').click()
    await expect(service_b).to_be_enabled()

    # An unknown appointment code.
    await kiosk.get_by_role("button", name=re.compile("预约取号")).click()
    for key in "123456":
        await kiosk.locator(f'#keypad [data-key="{key}"]').click()
    await expect(kiosk.locator("#appointment-code")).to_have_value("123456")
    await _shot(kiosk, artifacts, "kiosk-appointment")
    await kiosk.locator("#appointment-submit").click()
    await expect(kiosk.locator("#error-text")).to_contain_text("未找到")


async def test_pad_pause_needs_a_reason_and_dashboard_shows_it(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    hub = await hall()
    base = hub.http_url
    dashboard = await _page(context, TV)
    await login(dashboard, base)
    pad = await _page(context, TABLET)
    await pad.goto(f"{base}/pad/pad-2")
    await pad.get_by_label("工号").fill("S002")
    await pad.get_by_role("button", name="签到").click()

    # Transfer: the called ticket goes back to waiting, in the service picked.
    kiosk = await _page(context, TABLET)
    await kiosk.goto(f"{base}/kiosk/kiosk-1")
    await kiosk.locator('button.service-btn[data-service="A"]').click()
    await expect(kiosk.locator("#ticket-no")).to_have_text("A001")
    await pad.get_by_role("button", name="叫号", exact=True).click()
    await expect(pad.locator("#current-no")).to_have_text("A001")
    await pad.get_by_role("button", name="转移").click()
    await _shot(pad, artifacts, "pad-transfer")
    await pad.locator('#transfer-choices button[data-service="C"]').click()
    await expect(pad.locator("#current-no")).to_have_text("暂无")
    await expect(dashboard.locator('#queues tr[data-service="C"] .waiting')).to_have_text("1")

    await pad.get_by_role("button", name="暂停").click()
    confirm = pad.get_by_role("button", name="确认暂停")
    await expect(confirm).to_be_disabled()
    await _shot(pad, artifacts, "pad-pause")
    await pad.get_by_role("button", name="午休").click()
    await expect(confirm).to_be_enabled()
    await confirm.click()
    await expect(pad.locator("#paused-line")).to_have_text("已暂停：午休")
    await expect(pad.get_by_role("button", name="叫号", exact=True)).to_be_disabled()
    row = dashboard.locator('#windows tr[data-window="2"]')
    await expect(row).to_contain_text("午休")
    await expect(row).to_contain_text("S002")
    await pad.get_by_role("button", name="恢复").click()
    await expect(pad.locator("#window-state")).to_have_text("开放")
    await pad.get_by_role("button", name="下班").click()
    await pad.locator("#close-confirm").click()
    await expect(pad.get_by_label("工号")).to_be_visible()


async def test_notice_reaches_the_screen_which_speaks_calls(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    hub = await hall(screen={"speak": True})
    base = hub.http_url
    screen = await _page(context, TV)
    # Record what the page asks the browser to say (headless Chromium has no voices).
    await screen.add_init_script(
        """
        window.__spoken = [];
        if (window.speechSynthesis) {
            window.speechSynthesis.speak = (u) => window.__spoken.push([u.text, u.lang]);
        }
        """
    )
    await screen.goto(f"{base}/screen")
    dashboard = await _page(context, TV)
    await login(dashboard, base)
    await dashboard.get_by_label(re.compile("发送到大屏的通知")).fill("今日下午 14:00 起系统维护")
    await dashboard.get_by_role("button", name="发送通知").click()
    await expect(dashboard.locator("#notice-current")).to_contain_text("系统维护")
    await expect(screen.locator("#ticker-text")).to_have_text("今日下午 14:00 起系统维护")

    kiosk = await _page(context, TABLET)
    await kiosk.goto(f"{base}/kiosk/kiosk-2")
    await kiosk.locator('button.service-btn[data-service="C"]').click()
    await expect(kiosk.locator("#ticket-no")).to_have_text("C001")
    pad = await _page(context, TABLET)
    await pad.goto(f"{base}/pad/pad-4")
    await pad.get_by_label("工号").fill("S004")
    await pad.get_by_role("button", name="签到").click()
    await pad.get_by_role("button", name="叫号", exact=True).click()
    await expect(screen.locator("#call-now")).to_contain_text("C001")
    await expect(screen.locator("#call-now")).to_contain_text("综合窗口")
    await pad.get_by_role("button", name="重呼").click()
    await screen.wait_for_function("window.__spoken.length >= 2")
    spoken = await screen.evaluate("window.__spoken")
    assert spoken[0] == ["请C001号到综合窗口办理", "zh-CN"]
    assert spoken[1][0] == "请C001号到综合窗口办理"
    await _shot(screen, artifacts, "screen-notice")


async def test_language_switch_is_remembered(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    hub = await hall()
    base = hub.http_url
    kiosk = await _page(context, TABLET)
    await kiosk.goto(f"{base}/kiosk/kiosk-1?lang=en")
    await expect(kiosk.locator("#choose-title")).to_have_text("Choose a service")
    await expect(kiosk.locator("html")).to_have_attribute("lang", "en")
    await _shot(kiosk, artifacts, "kiosk-en")
    screen = await _page(context, TV)
    await screen.goto(f"{base}/screen")
    await expect(screen.locator("#recent-title")).to_have_text("Recent calls")
    await screen.get_by_role("button", name="切换到中文").click()
    await expect(screen.locator("#recent-title")).to_have_text("最近叫号")
    await kiosk.goto(f"{base}/kiosk/kiosk-1")
    await expect(kiosk.locator("#choose-title")).to_have_text("请选择办理的业务")


async def test_pages_reconnect_after_the_hub_restarts(
    context: Any,
    artifacts: Path,
    tmp_path: Path,
    hall_id: str,
    mqtt_url: str,
    redis_url: str,
    redis_client: Any,
) -> None:
    port = free_port()
    path = write_hall_config(tmp_path, hall_id, mqtt_url, redis_url, http_port=port)
    base = f"http://127.0.0.1:{port}"
    screen = await _page(context, TV)
    kiosk = await _page(context, TABLET)
    async with running_hub(path):
        await screen.goto(f"{base}/screen")
        await kiosk.goto(f"{base}/kiosk/kiosk-1")
        await expect(kiosk.locator('button.service-btn[data-service="A"]')).to_be_enabled()
        await expect(screen.locator("#banner")).to_be_hidden()
    await expect(screen.locator("#banner")).to_be_visible()
    await expect(screen.locator("#banner")).to_have_text("连接中断，正在重连…")
    await expect(kiosk.locator("#banner")).to_be_visible()
    await _shot(screen, artifacts, "screen-disconnected")
    async with running_hub(path):
        await expect(screen.locator("#banner")).to_be_hidden(timeout=20_000)
        await expect(kiosk.locator("#banner")).to_be_hidden(timeout=20_000)
        await kiosk.locator('button.service-btn[data-service="A"]').click()
        await expect(kiosk.locator("#ticket-no")).to_have_text("A001")


async def test_bad_rating_raises_an_alarm_the_manager_acknowledges(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    hub = await hall()
    base = hub.http_url
    dashboard = await _page(context, TV)
    await login(dashboard, base)
    kiosk = await _page(context, TABLET)
    await kiosk.goto(f"{base}/kiosk/kiosk-1")
    await kiosk.locator('button.service-btn[data-service="B"]').click()
    await expect(kiosk.locator("#ticket-no")).to_have_text("B001")
    pad = await _page(context, TABLET)
    await pad.goto(f"{base}/pad/pad-3")
    await pad.get_by_label("工号").fill("S003")
    await pad.get_by_role("button", name="签到").click()
    await pad.get_by_role("button", name="叫号", exact=True).click()
    await expect(pad.locator("#current-no")).to_have_text("B001")
    await pad.get_by_role("button", name="办结").click()
    await pad.get_by_role("button", name="1 非常不满意").click()
    await expect(pad.locator("#thanks-view")).to_be_visible()

    alarm = dashboard.locator('#alarms li[data-alarm="rating:B001"]')
    await expect(alarm).to_contain_text("B001")
    await expect(dashboard.locator('[data-kpi="mean_rating"] .note')).to_contain_text("差评 1")
    await _shot(dashboard, artifacts, "dashboard-alarm")
    await alarm.get_by_role("button", name=re.compile("确认告警")).click()
    await expect(dashboard.locator('#log li[data-type="alarm.acked"]')).to_contain_text("admin")
    await expect(alarm).to_have_count(0)

    # A viewer may look but not act.
    viewer = await _page(context, TV)
    await login(viewer, base, name="viewer")
    await viewer.locator('#queues button[data-service="A"]').click()
    await expect(viewer.locator("#toast")).to_contain_text("无权限")
    await expect(viewer.locator('#queues tr[data-service="A"]')).to_contain_text("开放")


async def test_kiosk_page_passes_its_token(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    with DEMO_HALL.open("rb") as f:
        devices = tomllib.load(f)["devices"]
    token = "kiosk-token-0123456789"
    for device in devices:
        if device["id"] == "kiosk-1":
            device["token"] = token
    hub = await hall(devices=devices)
    base = hub.http_url
    refused = await _page(context, TABLET)
    await refused.goto(f"{base}/kiosk/kiosk-1")
    await expect(refused.locator("#banner")).to_be_visible()
    await expect(refused.locator("button.service-btn")).to_have_count(0)
    kiosk = await _page(context, TABLET)
    await kiosk.goto(f"{base}/kiosk/kiosk-1?token={token}")
    await kiosk.locator('button.service-btn[data-service="C"]').click()
    await expect(kiosk.locator("#ticket-no")).to_have_text("C001")
    await expect(refused.locator("#banner")).to_be_visible()


async def test_every_asset_a_page_names_is_served(hall: HallFactory) -> None:
    hub = await hall()
    pages = sorted(STATIC_DIR.glob("*.html"))
    assert {p.name for p in pages} >= {
        "dashboard.html",
        "screen.html",
        "kiosk.html",
        "pad.html",
        "ticket.html",
        "login.html",
    }
    async with aiohttp.ClientSession() as session:
        for page in pages:
            html = page.read_text(encoding="utf-8")
            assets = re.findall(r'(?:href|src)="(/[^"]+)"', html)
            assert assets, page.name
            for asset in assets:
                assert "//" not in asset[1:] and not asset.startswith("http")
                async with session.get(hub.http_url + asset) as response:
                    assert response.status == 200, (page.name, asset)
            # Nothing from elsewhere: no CDN, no external fonts.
            assert not re.search(r'(?:href|src)="(?:https?:)?//', html), page.name
