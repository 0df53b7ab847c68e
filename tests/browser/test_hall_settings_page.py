"""The hall settings page in Chromium: a manager changes a service's daily cap and documents
and a window's services, and an open kiosk page (the service full at once) and a signed-in
pad page follow at once; an auditor sees the page read-only. Screenshots at 1366×768."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.conftest import (
    TABLET,
    HallFactory,
    open_page,
    shot,
    signed_in_dashboard,
    signed_in_pad,
    take_ticket,
)

LAPTOP = {"width": 1366, "height": 768}


async def test_a_manager_changes_a_cap_and_a_windows_services_and_the_devices_follow(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    from playwright.async_api import expect

    base = (await hall()).http_url
    kiosk = await open_page(context, TABLET, f"{base}/kiosk/kiosk-1")
    await take_ticket(kiosk, "A", "A001")
    await kiosk.get_by_role("button", name="返回").click()
    pad = await signed_in_pad(context, base, "pad-1", "S001")
    await expect(pad.locator("#window-services")).to_have_text(
        "本窗口业务：A 社保医保、B 不动产登记"
    )

    manager = await signed_in_dashboard(context, base)
    await manager.set_viewport_size(LAPTOP)
    await manager.locator("#hall-link").click()
    await expect(manager).to_have_url(f"{base}/dashboard/hall")
    row = manager.locator('#services tr[data-service="A"]')
    await row.get_by_label("每日上限 A").fill("1")
    await row.get_by_label("所需材料（每行一项） A").fill("身份证\n社保卡")
    await row.get_by_role("button", name="保存").click()
    audit = manager.locator("#audit tbody tr")
    await expect(audit).to_have_count(2)
    await expect(audit.first).to_contain_text("所需材料 A")
    await expect(audit.nth(1)).to_contain_text('"daily_cap":1')
    await expect(row.locator(".note")).to_have_text("今日已取 1 号")

    # The kiosk shows the documents at once, and the service full under the new cap: it
    # cannot be pressed.
    service_a = kiosk.locator('button.service-btn[data-service="A"]')
    await expect(service_a).to_contain_text("请携带：身份证、社保卡")
    await expect(service_a).to_contain_text("今日已满")
    await expect(service_a).to_be_disabled()
    await shot(kiosk, artifacts, "hall-settings-kiosk-over-cap")

    # Window 1 no longer serves A: the manager confirms, the pad shows it at once.
    window = manager.locator('#windows [data-window="1"]')
    await window.get_by_role("button", name="移除 A").click()
    await expect(window.locator(".chip")).to_have_count(1)
    await window.get_by_role("button", name="保存").click()
    dialog = manager.locator("#confirm-dialog")
    await expect(dialog).to_contain_text("移除业务 A")
    await shot(manager, artifacts, "hall-settings-confirm")
    await dialog.get_by_role("button", name="确定").click()
    await expect(audit).to_have_count(3)
    await expect(audit.first).to_contain_text("窗口业务 1")
    await expect(pad.locator("#window-services")).to_have_text("本窗口业务：B 不动产登记")
    await shot(pad, artifacts, "hall-settings-pad")
    await shot(manager, artifacts, "hall-settings-1366")

    # The page fits 1366 wide: nothing scrolls sideways.
    width = await manager.evaluate("document.documentElement.scrollWidth")
    assert width <= LAPTOP["width"]


async def test_an_auditor_sees_the_hall_settings_read_only(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    from playwright.async_api import expect

    base = (await hall()).http_url
    auditor = await signed_in_dashboard(context, base, "viewer")
    await auditor.set_viewport_size(LAPTOP)
    await auditor.goto(f"{base}/dashboard/hall")
    await expect(auditor.locator("#read-only")).to_be_visible()
    row = auditor.locator('#services tr[data-service="A"]')
    await expect(row.get_by_role("button", name="保存")).to_be_disabled()
    await expect(row.get_by_label("每日上限 A")).to_be_disabled()
    await expect(auditor.locator("#notice-text")).to_be_disabled()
    await expect(auditor.locator("#audit tbody")).to_contain_text("暂无变更")
    await shot(auditor, artifacts, "hall-settings-auditor")


async def test_a_pad_with_its_own_printer_shows_it_stays_at_its_window(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    from playwright.async_api import expect

    from tests.web.conftest import demo_devices

    devices = demo_devices()
    for device in devices:
        if device["id"] == "pad-2":
            device["printer"] = "pw-2"
    devices.append({"id": "pw-2", "kind": "printer"})
    base = (await hall(devices=devices)).http_url
    manager = await signed_in_dashboard(context, base)
    await manager.set_viewport_size(LAPTOP)
    await manager.goto(f"{base}/dashboard/hall")
    row = manager.locator('#devices tr[data-device="pad-2"]')
    await expect(row.locator(".own-printer")).to_have_text(
        "本窗口专用打印机 pw-2：改绑窗口请修改大厅配置文件"
    )
    await expect(row.get_by_label("窗口 pad-2")).to_be_disabled()
    await expect(
        manager.locator('#devices tr[data-device="pad-3"]').get_by_label("窗口 pad-3")
    ).to_be_enabled()
    await shot(manager, artifacts, "hall-settings-own-printer")
    await manager.goto(f"{base}/dashboard/hall?lang=en")
    await expect(row.locator(".own-printer")).to_have_text(
        "Has its own printer pw-2: move it in the hall file"
    )
