"""The hall's pages in a real browser against a real hub: a citizen takes a ticket at the
kiosk, the manager sees it on the dashboard, the window calls, serves and the citizen rates
it on the pad, the big screen shows the call, the phone follows the ticket."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.async_api import expect

from tests.integration.conftest import running_hub
from tests.support import free_port

from .conftest import (
    PHONE,
    TABLET,
    TV,
    confirm_on_pad,
    decoded_qr,
    login,
    open_page,
    shot,
    signed_in_dashboard,
    signed_in_pad,
    take_ticket,
)


async def test_a_visit_through_every_page(context: Any, base: str, artifacts: Path) -> None:

    # The manager signs in: a wrong password first.
    dashboard = await open_page(context, TV, f"{base}/dashboard")
    await expect(dashboard).to_have_url(re.compile(r"/login$"))
    await dashboard.get_by_label("用户名").fill("admin")
    await dashboard.get_by_label("密码").fill("wrong")
    await dashboard.get_by_role("button", name="登录").click()
    await expect(dashboard.get_by_role("alert").filter(has_text="用户名或密码错误")).to_be_visible()
    await shot(dashboard, artifacts, "login-error")
    await login(dashboard, base)
    await expect(dashboard).to_have_url(re.compile(r"/dashboard$"))
    queue_a = dashboard.locator('#queues tr[data-service="A"]')
    await expect(queue_a.locator(".waiting")).to_have_text("0")
    await expect(dashboard.locator("#banner")).to_be_hidden()

    screen = await open_page(context, TV, f"{base}/screen")
    await expect(screen.locator("#hall-name")).to_have_text("示例市政务服务中心")
    await expect(screen.locator('#waiting li[data-service="A"]')).to_contain_text("社保医保")

    # A citizen takes a ticket at the kiosk.
    kiosk = await open_page(context, TABLET, f"{base}/kiosk/kiosk-1")
    await shot(kiosk, artifacts, "kiosk-menu")
    service_a = kiosk.locator('button.service-btn[data-service="A"]')
    await expect(service_a).to_be_enabled()
    await expect(service_a).to_contain_text("社保医保")
    await service_a.click()
    await expect(kiosk.locator("#ticket-no")).to_have_text("A001")
    await expect(kiosk.locator("#ticket-ahead")).to_have_text("前面还有 0 人")
    qr = kiosk.locator("#ticket-qr img")
    await expect(qr).to_have_attribute("data-url", f"{base}/t/A001")
    assert await decoded_qr(qr) == [f"{base}/t/A001"]
    await shot(kiosk, artifacts, "kiosk-ticket")
    await kiosk.locator("#ticket-done").click()
    await expect(kiosk.locator("#ticket")).to_be_hidden()
    await expect(service_a).to_contain_text("等候 1 人")

    # The manager sees it waiting.
    await expect(queue_a.locator(".waiting")).to_have_text("1")
    await expect(dashboard.locator('[data-kpi="arrivals"] .value')).to_have_text("1")
    await expect(dashboard.locator('#log li[data-type="ticket.taken"]')).to_contain_text("A001")

    # The window signs in and calls.
    pad = await open_page(context, TABLET, f"{base}/pad/pad-1")
    await expect(pad.get_by_label("工号")).to_be_visible()
    await shot(pad, artifacts, "pad-signin")
    await pad.get_by_label("工号").fill("S001")
    await pad.get_by_role("button", name="签到").click()
    next_button = pad.get_by_role("button", name="叫号", exact=True)
    await expect(next_button).to_be_enabled()
    await next_button.click()
    await confirm_on_pad(pad)
    await expect(pad.locator("#current-no")).to_have_text("A001")
    await expect(pad.locator("#current-state")).to_have_text("已叫号")
    await shot(pad, artifacts, "pad-called")

    # The big screen shows the call, large and blinking.
    call = screen.locator("#call-now")
    await expect(call).to_contain_text("A001")
    await expect(call).to_contain_text("1号窗口")
    await expect(call).to_have_class(re.compile(r"\bblink\b"))
    await expect(call).to_have_attribute("aria-live", "assertive")
    await shot(screen, artifacts, "screen")

    # Served and rated 5 非常满意 on the pad.
    await pad.get_by_role("button", name="开始办理").click()
    await confirm_on_pad(pad)
    await expect(pad.locator("#current-state")).to_have_text("办理中")
    await pad.get_by_role("button", name="办结").click()
    await pad.get_by_role("button", name="确认办结").click()
    await expect(pad.locator("#rate-view")).to_be_visible()
    await expect(pad.locator("#rate-staff")).to_have_text("工号 S001")
    await expect(pad.locator(".rate-btn")).to_have_count(5)
    await shot(pad, artifacts, "pad-rate")
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
    await shot(dashboard, artifacts, "dashboard")

    # The phone: the ticket is done.
    phone = await open_page(context, PHONE, f"{base}/t/A001")
    await expect(phone.locator("#t-state")).to_have_text("已办结")
    await shot(phone, artifacts, "ticket-done")


async def test_ticket_page_follows_the_ticket(context: Any, base: str, artifacts: Path) -> None:
    kiosk = await open_page(context, TABLET, f"{base}/kiosk/kiosk-1")
    await take_ticket(kiosk, "A", "A001")
    await kiosk.locator("#ticket-done").click()
    await take_ticket(kiosk, "A", "A002")

    phone = await open_page(context, PHONE, f"{base}/t/A002")
    await expect(phone.locator("#t-no")).to_have_text("A002")
    await expect(phone.locator("#t-service")).to_have_text("社保医保")
    await expect(phone.locator("#t-state")).to_have_text("等候中")
    await expect(phone.locator("#t-ahead")).to_have_text("1 人")
    await expect(phone.locator("#t-where")).to_contain_text("等候")
    await shot(phone, artifacts, "ticket-waiting")
    body = await phone.locator("body").inner_text()
    assert "A002" in body

    # Window 1 calls A001 then A002: the phone follows within a poll (5 s).
    pad = await signed_in_pad(context, base, "pad-1", "S007")
    await pad.get_by_role("button", name="叫号", exact=True).click()
    await confirm_on_pad(pad)
    await expect(pad.locator("#current-no")).to_have_text("A001")
    await expect(phone.locator("#t-ahead")).to_have_text("0 人", timeout=8000)
    await pad.get_by_role("button", name="过号", exact=True).click()
    await confirm_on_pad(pad)
    await expect(pad.locator("#current-no")).to_have_text("暂无")
    await pad.get_by_role("button", name="叫号", exact=True).click()
    await confirm_on_pad(pad)
    await expect(pad.locator("#current-no")).to_have_text("A002")
    await expect(phone.locator("#t-state")).to_have_text("请到1号窗口", timeout=8000)
    await expect(phone.locator("#t-where")).to_have_text("请到1号窗口")
    await shot(phone, artifacts, "ticket-called")

    unknown = await open_page(context, PHONE, f"{base}/t/Z999")
    await expect(unknown.locator("#problem")).to_have_text("未找到 Z999 号（只能查询当天的号）")
    await unknown.goto(f"{base}/t/Z999?lang=en")  # no Chinese colon in the English sentence
    await expect(unknown.locator("#problem")).to_have_text(
        "Ticket Z999 not found (only today's tickets)"
    )
    # A number no hall gives (a lower-case letter typed in): not found, no endless reconnecting.
    sockets: list[str] = []
    mistyped = await open_page(context, PHONE)
    mistyped.on("websocket", lambda ws: sockets.append(ws.url))
    await mistyped.goto(f"{base}/t/a002?lang=zh")
    await expect(mistyped.locator("#problem")).to_have_text("未找到 a002 号（只能查询当天的号）")
    assert sockets == []


async def test_language_switch_is_remembered(context: Any, base: str, artifacts: Path) -> None:
    kiosk = await open_page(context, TABLET, f"{base}/kiosk/kiosk-1?lang=en")
    await expect(kiosk.locator("#choose-title")).to_have_text("Choose a service")
    await expect(kiosk.locator("html")).to_have_attribute("lang", "en")
    await shot(kiosk, artifacts, "kiosk-en")
    screen = await open_page(context, TV, f"{base}/screen")
    await expect(screen.locator("#recent-title")).to_have_text("Recent calls")
    await screen.get_by_role("button", name="切换到中文").click()
    await expect(screen.locator("#recent-title")).to_have_text("最近叫号")
    await kiosk.goto(f"{base}/kiosk/kiosk-1")
    await expect(kiosk.locator("#choose-title")).to_have_text("请选择办理的业务")


async def test_pages_reconnect_after_the_hub_restarts(
    context: Any,
    artifacts: Path,
    hall_file: Callable[..., Path],
    redis_client: Any,
    password_hash: str,
) -> None:
    """The screen, a kiosk and a wall-mounted dashboard come back by themselves; the
    dashboard is still signed in (its session is kept in the store) and live again."""
    port = free_port()
    admin = {"name": "admin", "password_hash": password_hash, "role": "manager"}
    path = hall_file(http_port=port, users=[admin])
    base = f"http://127.0.0.1:{port}"
    screen = await open_page(context, TV)
    kiosk = await open_page(context, TABLET)
    async with running_hub(path):
        dashboard = await signed_in_dashboard(context, base)
        await screen.goto(f"{base}/screen")
        await kiosk.goto(f"{base}/kiosk/kiosk-1")
        await expect(kiosk.locator('button.service-btn[data-service="A"]')).to_be_enabled()
        await expect(screen.locator("#banner")).to_be_hidden()
        await expect(dashboard.locator("#banner")).to_be_hidden()
        waiting = dashboard.locator('#queues tr[data-service="A"] .waiting')
        await expect(waiting).to_have_text("0")
    await expect(screen.locator("#banner")).to_be_visible()
    await expect(screen.locator("#banner")).to_have_text("连接中断，正在重连…")
    await expect(kiosk.locator("#banner")).to_be_visible()
    await expect(dashboard.locator("#banner")).to_be_visible()
    await shot(screen, artifacts, "screen-disconnected")
    async with running_hub(path):
        await expect(screen.locator("#banner")).to_be_hidden(timeout=20_000)
        await expect(kiosk.locator("#banner")).to_be_hidden(timeout=20_000)
        await expect(dashboard.locator("#banner")).to_be_hidden(timeout=20_000)
        await take_ticket(kiosk, "A", "A001")
        # Still signed in, and live: the new ticket shows without a reload.
        await expect(waiting).to_have_text("1")
        assert dashboard.url == f"{base}/dashboard"
        await shot(dashboard, artifacts, "dashboard-after-restart")
