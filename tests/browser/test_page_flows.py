"""Work at the windows seen on the pages: a pause with its reason on the dashboard, the
manager's notice on the screen which also speaks the calls, and a bad rating's alarm that the
manager acknowledges (a viewer may not)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.async_api import expect

from tests.support import eventually

from .conftest import (
    TABLET,
    TV,
    HallFactory,
    confirm_on_pad,
    open_page,
    shot,
    signed_in_dashboard,
    signed_in_pad,
    take_ticket,
)


async def ticket_called(
    context: Any, base: str, taken: tuple[str, str, str], at: tuple[str, str]
) -> Any:
    """A ticket (kiosk, service, number) taken at a kiosk, then called at a pad (device,
    staff) signed in for it: the pad's page."""
    kiosk_id, service, no = taken
    kiosk = await open_page(context, TABLET, f"{base}/kiosk/{kiosk_id}")
    await take_ticket(kiosk, service, no)
    pad = await signed_in_pad(context, base, *at)
    await pad.get_by_role("button", name="叫号", exact=True).click()
    await confirm_on_pad(pad)
    return pad


async def test_pad_pause_needs_a_reason_and_dashboard_shows_it(
    context: Any, base: str, artifacts: Path
) -> None:
    dashboard = await signed_in_dashboard(context, base)
    pad = await signed_in_pad(context, base, "pad-2", "S002")

    # Transfer: the called ticket goes back to waiting, in the service picked.
    kiosk = await open_page(context, TABLET, f"{base}/kiosk/kiosk-1")
    await take_ticket(kiosk, "A", "A001")
    await pad.get_by_role("button", name="叫号", exact=True).click()
    await confirm_on_pad(pad)
    await expect(pad.locator("#current-no")).to_have_text("A001")
    await pad.get_by_role("button", name="转移").click()
    await shot(pad, artifacts, "pad-transfer")
    await pad.locator('#transfer-choices button[data-service="C"]').click()
    await pad.get_by_role("button", name="确认转移").click()
    await expect(pad.locator("#current-no")).to_have_text("暂无")
    await expect(dashboard.locator('#queues tr[data-service="C"] .waiting')).to_have_text("1")

    await pad.get_by_role("button", name="暂停").click()
    confirm = pad.get_by_role("button", name="确认暂停")
    await expect(confirm).to_be_disabled()
    await shot(pad, artifacts, "pad-pause")
    await pad.get_by_role("button", name="午休").click()
    await expect(confirm).to_be_enabled()
    await confirm.click()
    await expect(pad.locator("#paused-line")).to_have_text("已暂停：午休")
    await expect(pad.get_by_role("button", name="叫号", exact=True)).to_be_disabled()
    row = dashboard.locator('#windows tr[data-window="2"]')
    await expect(row).to_contain_text("午休")
    await expect(row).to_contain_text("S002")
    await pad.get_by_role("button", name="恢复").click()
    await confirm_on_pad(pad)
    await expect(pad.locator("#window-state")).to_have_text("开放")
    await pad.get_by_role("button", name="下班").click()
    await pad.locator("#close-confirm").click()
    await expect(pad.get_by_label("工号")).to_be_visible()


async def test_notice_reaches_the_screen_which_speaks_calls(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    hub = await hall(screen={"speak": True})
    base = hub.http_url
    screen = await open_page(context, TV)
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
    dashboard = await signed_in_dashboard(context, base)
    await dashboard.get_by_label(re.compile("发送到大屏的通知")).fill("今日下午 14:00 起系统维护")
    await dashboard.get_by_role("button", name="发送通知").click()
    await expect(dashboard.locator("#notice-current")).to_contain_text("系统维护")
    await expect(screen.locator("#ticker-text")).to_have_text("今日下午 14:00 起系统维护")

    pad = await ticket_called(context, base, ("kiosk-2", "C", "C001"), ("pad-4", "S004"))
    await expect(screen.locator("#call-now")).to_contain_text("C001")
    await expect(screen.locator("#call-now")).to_contain_text("综合窗口")
    await pad.get_by_role("button", name="重呼").click()
    await confirm_on_pad(pad)
    # Polled from the test: the pages' Content-Security-Policy forbids Playwright's
    # wait_for_function (it evaluates a string inside the page).
    await eventually(lambda: screen.evaluate("window.__spoken.length >= 2"), "the call said twice")
    spoken = await screen.evaluate("window.__spoken")
    assert spoken[0] == ["请C001号到综合窗口办理", "zh-CN"]
    assert spoken[1][0] == "请C001号到综合窗口办理"
    await shot(screen, artifacts, "screen-notice")
    # A screen opened afterwards heard no announcement: the board alone names the window.
    late = await open_page(context, TV, f"{base}/screen")
    await expect(late.locator("#call-now")).to_contain_text("C001 → 综合窗口")
    await expect(late.locator("#call-now .window")).to_have_text("综合窗口")
    await shot(late, artifacts, "screen-from-board")


async def test_bad_rating_raises_an_alarm_the_manager_acknowledges(
    context: Any, base: str, artifacts: Path
) -> None:
    dashboard = await signed_in_dashboard(context, base)
    pad = await ticket_called(context, base, ("kiosk-1", "B", "B001"), ("pad-3", "S003"))
    await expect(pad.locator("#current-no")).to_have_text("B001")
    await pad.get_by_role("button", name="办结").click()
    await pad.get_by_role("button", name="确认办结").click()
    await pad.get_by_role("button", name="1 非常不满意").click()
    await expect(pad.locator("#thanks-view")).to_be_visible()

    alarm = dashboard.locator('#alarms li[data-alarm="rating:B001"]')
    await expect(alarm).to_contain_text("B001")
    await expect(dashboard.locator('[data-kpi="mean_rating"] .note')).to_contain_text("差评 1")
    await shot(dashboard, artifacts, "dashboard-alarm")
    await alarm.get_by_role("button", name=re.compile("确认告警")).click()
    await expect(dashboard.locator('#log li[data-type="alarm.acked"]')).to_contain_text("admin")
    await expect(alarm).to_have_count(0)

    # A viewer may look but not act.
    viewer = await signed_in_dashboard(context, base, "viewer")
    await viewer.locator('#queues button[data-service="A"]').click()
    await expect(viewer.locator("#toast")).to_contain_text("无权限")
    await expect(viewer.locator('#queues tr[data-service="A"]')).to_contain_text("开放")
