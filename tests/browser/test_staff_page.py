"""Staff and sign-ins in Chromium: a clerk's wrong PIN is refused at the pad and repeated ones
lock the staff number (the pad says for how long); the manager sees the lock on
/dashboard/staff and lifts it, and the clerk signs in; an administrator adds a clerk on the
page (at 1366×768) and that clerk signs in at a pad; a clerk promoted to a dashboard role
gets a password in the same change, a change from a stale page is refused with a message
asking to reload, and the page shows the hall's times whatever the computer's zone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.async_api import expect

from hall.hub.staff import LOCK_AFTER
from hall.web.sessions import hash_password

from .conftest import TABLET, HallFactory, chromium, login, open_page, shot

LAPTOP = {"width": 1366, "height": 768}
PIN = "4711"


async def pad_sign_in(context: Any, base: str, pad: str, staff: str, pin: str) -> Any:
    page = await open_page(context, TABLET, f"{base}/pad/{pad}")
    await pad_try(page, staff, pin)
    return page


async def pad_try(page: Any, staff: str, pin: str) -> None:
    await page.get_by_label("工号").fill(staff)
    await page.get_by_label("PIN").fill(pin)
    await page.get_by_role("button", name="签到").click()


async def staff_page(context: Any, base: str, name: str) -> Any:
    """/dashboard/staff at 1366×768, reached from the dashboard's header link."""
    page = await open_page(context, LAPTOP)
    await login(page, base, name)
    await page.get_by_role("link", name="人员与登录").click()
    await expect(page).to_have_url(f"{base}/dashboard/staff")
    await expect(page.locator("#me")).to_contain_text(name)
    return page


async def test_a_locked_clerk_is_unlocked_by_the_manager_and_signs_in(
    context: Any, hall: HallFactory, password_hash: str, artifacts: Path
) -> None:
    clerk = {
        "name": "li", "password_hash": password_hash, "role": "clerk", "staff": "1001",
        "pin_hash": hash_password(PIN),
    }  # fmt: skip
    admin = {"name": "admin", "password_hash": password_hash, "role": "manager"}
    base = (await hall(users=[admin, clerk])).http_url
    pad = await pad_sign_in(context, base, "pad-1", "1001", "0000")
    error = pad.locator("#signin-error")
    await expect(error).to_have_text("工号或 PIN 错误")
    for attempt in range(1, LOCK_AFTER):
        await pad_try(pad, "1001", f"00{attempt:02d}")
        await expect(error).to_have_text("工号或 PIN 错误")
    await pad_try(pad, "1001", PIN)  # even the right PIN: the staff number is locked
    await expect(error).to_contain_text("已锁定")
    await expect(error).to_contain_text("15 分钟")
    await shot(pad, artifacts, "pad-locked")

    manager = await staff_page(context, base, "admin")
    lock = manager.locator('#locks-body tr[data-lock="staff:1001"]')
    await expect(lock).to_contain_text("li")
    await expect(lock.locator(".lock-left")).to_contain_text("分钟")
    await expect(manager.locator("#add-form")).to_be_hidden()  # a manager only looks
    await shot(manager, artifacts, "staff-page-lockout")
    await lock.get_by_role("button", name="解除锁定").click()
    await manager.locator("#confirm-dialog").get_by_role("button", name="确定").click()
    await expect(lock).to_have_count(0)
    await expect(manager.locator("#audit-body tr").first).to_contain_text("解除锁定")

    await pad_try(pad, "1001", PIN)
    await expect(pad.locator("#staff-view")).to_be_visible()
    await expect(pad.locator("#staff-line")).to_contain_text("1001")


async def test_an_administrator_adds_a_clerk_who_signs_in_at_a_pad(
    context: Any, hall: HallFactory, password_hash: str, artifacts: Path
) -> None:
    root = {"name": "root", "password_hash": password_hash, "role": "administrator"}
    base = (await hall(users=[root])).http_url
    page = await staff_page(context, base, "root")
    form = page.locator("#add-form")
    await form.get_by_label("姓名/账号").fill("周芷若")
    await form.get_by_label("角色").select_option("clerk")
    await form.get_by_label("工号").fill("2002")
    await form.get_by_label("PIN").fill("8642")
    await form.get_by_role("button", name="添加").click()
    row = page.locator('#users-body tr[data-user="周芷若"]')
    await expect(row).to_contain_text("窗口人员")
    await expect(row).to_contain_text("2002")
    await expect(page.locator("#audit-body tr").first).to_contain_text("添加人员")
    assert await page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    await shot(page, artifacts, "staff-page-added")

    pad = await pad_sign_in(context, base, "pad-2", "2002", "8642")
    await expect(pad.locator("#staff-view")).to_be_visible()
    await expect(pad.locator("#staff-line")).to_contain_text("2002")

    # Disabled (after a confirmation), the clerk no longer signs in.
    await row.get_by_role("button", name="停用").click()
    await page.locator("#confirm-dialog").get_by_role("button", name="确定").click()
    await expect(row).to_contain_text("已停用")


async def test_a_clerk_is_promoted_with_a_password_and_a_stale_page_is_told_to_reload(
    tmp_path: Path, hall: HallFactory, password_hash: str, artifacts: Path
) -> None:
    root = {"name": "root", "password_hash": password_hash, "role": "administrator"}
    running = await hall(users=[root])
    base = running.http_url
    # The computer is in New York; the page shows the hall's (Shanghai) times all the same.
    async with chromium(tmp_path, "America/New_York") as context:
        page = await staff_page(context, base, "root")
        form = page.locator("#add-form")
        await form.get_by_label("姓名/账号").fill("周芷若")
        await form.get_by_label("角色").select_option("clerk")
        await form.get_by_label("工号").fill("2002")
        await form.get_by_label("PIN").fill("8642")
        await form.get_by_role("button", name="添加").click()
        row = page.locator('#users-body tr[data-user="周芷若"]')
        await expect(row).to_contain_text("窗口人员")
        listing = await page.evaluate("fetch('/dashboard/staff/users').then(r => r.json())")
        added = next(e for e in listing["audit"] if e["event"] == "user_added")
        hall_time = dt.datetime.fromtimestamp(
            added["at"], ZoneInfo(running.hub.config.hall.timezone)
        )
        await expect(page.locator("#audit-body tr").first).to_contain_text(
            hall_time.strftime("%Y-%m-%d %H:%M:%S")
        )

        # Made a manager: the page asks for the password the role signs in with.
        await row.get_by_label("改角色 周芷若").select_option("manager")
        dialog = page.locator("#role-dialog")
        await expect(dialog).to_be_visible()
        await dialog.get_by_label("密码", exact=True).fill("a new password 42")
        await dialog.get_by_role("button", name="改角色").click()
        await expect(page.locator("#staff-status")).to_have_text("已完成：改角色")
        await expect(row.locator("td").nth(1)).to_have_text("大厅管理员")

        # Another administrator changes her meanwhile; this page still shows the old copy.
        stale = await page.evaluate("fetch('/dashboard/staff/users').then(r => r.text())")
        changed = await page.evaluate(
            """fetch('/dashboard/staff/users/' + encodeURIComponent('周芷若'), {method: 'POST',
                 headers: {'Content-Type': 'application/json'},
                 body: JSON.stringify({action: 'role', role: 'auditor'})}).then(r => r.text())"""
        )
        assert '"done"' in changed, changed
        await page.route(
            "**/dashboard/staff/users",
            lambda route: route.fulfill(body=stale, content_type="application/json"),
        )
        await row.get_by_role("button", name="停用").click()
        await page.locator("#confirm-dialog").get_by_role("button", name="确定").click()
        status = page.locator("#staff-status")
        await expect(status).to_contain_text("此人员刚被他人修改，请刷新页面后重试")
        await shot(page, artifacts, "staff-page-stale")
        await page.unroute("**/dashboard/staff/users")
        await page.reload()
        await expect(row.locator("td").nth(1)).to_have_text("审计员")
        await expect(row).to_contain_text("正常")  # the stale disable changed nothing
