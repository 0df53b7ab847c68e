"""A clerk works a day from the pad, at a tablet's size and on a portrait pad: the window's
waiting list, call next and a chosen ticket, recall to the cap, a no-show requeued, a
transfer to another clerk, a finish with two services done, each action confirmed first;
and the manager's pause and close from the dashboard shown on the pad at once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from .conftest import (
    TABLET,
    HallFactory,
    confirm_on_pad,
    open_page,
    shot,
    signed_in_dashboard,
    take_ticket,
)

PORTRAIT_PAD = {"width": 800, "height": 1280}


async def pad_page(context: Any, base: str, pad: str, staff: str, size: dict[str, int]) -> Any:
    page = await open_page(context, size, f"{base}/pad/{pad}")
    await page.get_by_label("工号").fill(staff)
    await page.get_by_role("button", name="签到").click()
    await expect(page.locator("#staff-view")).to_be_visible()
    return page


def rows(*patterns: str) -> list[re.Pattern[str]]:
    """The lines of a list, each matching its pattern."""
    return [re.compile(pattern) for pattern in patterns]


def listed(pad: Any) -> Any:
    return pad.locator("#queue-list li[data-ticket]")


async def act(pad: Any, name: str) -> None:
    """Press one of the pad's keys and confirm it."""
    await pad.get_by_role("button", name=name, exact=True).click()
    await expect(pad.locator("#confirm-dialog")).to_be_visible()
    await confirm_on_pad(pad)
    await expect(pad.locator("#confirm-dialog")).to_be_hidden()


@pytest.mark.parametrize("size", [TABLET, PORTRAIT_PAD], ids=["tablet", "portrait"])
async def test_a_clerk_works_a_day_from_the_pad(
    context: Any, hall: HallFactory, artifacts: Path, size: dict[str, int]
) -> None:
    running = await hall()
    base = running.http_url
    tag = "tablet" if size == TABLET else "portrait"
    kiosk = await open_page(context, TABLET, f"{base}/kiosk/kiosk-1")
    for number in ("A001", "A002", "A003", "A004"):
        await take_ticket(kiosk, "A", number)
        await kiosk.locator("#ticket-done").click()
    pad = await pad_page(context, base, "pad-1", "S001", size)
    other = await pad_page(context, base, "pad-2", "S002", TABLET)

    # The window's list, in calling order.
    await expect(listed(pad)).to_have_text(rows(r"A001.*", r"A002.*", r"A003.*", r"A004.*"))
    await expect(pad.locator("#queue-total")).to_have_text("共 4 人")
    await shot(pad, artifacts, f"pad-{tag}-list")

    # Call next, asked first: cancelling does nothing.
    await pad.get_by_role("button", name="叫号", exact=True).click()
    await expect(pad.locator("#confirm-title")).to_have_text("叫下一号？")
    await shot(pad, artifacts, f"pad-{tag}-confirm")
    await pad.keyboard.press("Escape")
    await expect(pad.locator("#current-no")).to_have_text("暂无")
    await act(pad, "叫号")
    await expect(pad.locator("#current-no")).to_have_text("A001")
    await expect(listed(pad)).to_have_count(3)

    # Call a chosen ticket from the list (Enter confirms).
    await pad.locator('#queue-list li[data-ticket="A003"] button').click()
    await expect(pad.locator("#confirm-title")).to_have_text("叫 A003 号？")
    await pad.keyboard.press("Enter")
    await expect(pad.locator("#current-no")).to_have_text("A003")
    await expect(listed(pad)).to_have_text(rows(r"A002.*", r"A004.*"))

    # Recall up to the cap: the count shows, then the key is disabled.
    for n in (1, 2, 3):
        await act(pad, "重呼")
        await expect(pad.locator("#recall-line")).to_have_text(f"重呼 {n}/3")
    await expect(pad.get_by_role("button", name="重呼", exact=True)).to_be_disabled()
    await shot(pad, artifacts, f"pad-{tag}-recall-cap")

    # A no-show, then requeued: back in the list after three waiting (here: the end).
    await act(pad, "过号")
    await expect(pad.locator("#current-no")).to_have_text("暂无")
    await pad.get_by_role("button", name="过号重排").click()
    await expect(pad.locator("#requeue-no")).to_have_value("A003")
    await shot(pad, artifacts, f"pad-{tag}-requeue")
    await pad.get_by_role("button", name="确认重排").click()
    await expect(listed(pad)).to_have_text(rows(r"A002.*", r"A004.*", r"A003.*重排.*"))

    # Transfer to a clerk, at the back: only that clerk's window lists it.
    await act(pad, "叫号")
    await expect(pad.locator("#current-no")).to_have_text("A002")
    await pad.get_by_role("button", name="转移", exact=True).click()
    await pad.locator('#transfer-kinds [data-kind="staff"]').click()
    await pad.get_by_label("转给的工作人员（编号）").fill("S002")
    await pad.locator('#transfer-positions [data-position="back"]').click()
    await shot(pad, artifacts, f"pad-{tag}-transfer")
    await pad.get_by_role("button", name="确认转移").click()
    await expect(pad.locator("#current-no")).to_have_text("暂无")
    await expect(listed(pad)).to_have_text(rows(r"A004.*", r"A003.*"))
    await expect(listed(other)).to_have_text(rows(r"A004.*", r"A003.*", r"A002.*转至本窗口.*"))

    # Finish with two services done: the ticket's own is chosen already.
    await act(pad, "叫号")
    await expect(pad.locator("#current-no")).to_have_text("A004")
    await pad.get_by_role("button", name="办结", exact=True).click()
    choices = pad.locator("#finish-choices")
    await expect(choices.locator('[data-service="A"]')).to_have_attribute("aria-pressed", "true")
    await choices.locator('[data-service="B"]').click()
    await expect(choices.locator('[data-service="B"]')).to_have_attribute("aria-pressed", "true")
    await shot(pad, artifacts, f"pad-{tag}-finish")
    await pad.get_by_role("button", name="确认办结").click()
    await expect(pad.locator("#rate-view")).to_be_visible()
    assert running.hub.state.tickets["A004"].services_done == ("A", "B")
    assert running.hub.state.tickets["A002"].for_window == "2"
    assert running.hub.state.tickets["A003"].visit == 2
    await pad.get_by_role("button", name="不评价").click()
    await expect(pad.locator("#served-line")).to_have_text("今日办结 2")
    await shot(pad, artifacts, f"pad-{tag}-day")


async def test_the_managers_pause_and_close_show_on_the_pad_at_once(
    context: Any, base: str, artifacts: Path
) -> None:
    pad = await pad_page(context, base, "pad-1", "S001", TABLET)
    dashboard = await signed_in_dashboard(context, base)
    row = dashboard.locator('#windows tr[data-window="1"]')
    await row.get_by_role("button", name="暂停1号窗口").click()
    await expect(pad.locator("#manager-notice")).to_contain_text("值班长已暂停本窗口：值班长暂停")
    await expect(pad.locator("#paused-line")).to_have_text("已暂停：值班长暂停")
    await expect(pad.get_by_role("button", name="叫号", exact=True)).to_be_disabled()
    await expect(row).to_contain_text("值班长暂停")
    await shot(pad, artifacts, "pad-manager-paused")
    await row.get_by_role("button", name="关闭1号窗口").click()
    await expect(pad.locator("#manager-notice")).to_contain_text("值班长已关闭本窗口")
    await expect(pad.get_by_label("工号")).to_be_visible()
    await shot(pad, artifacts, "pad-manager-closed")
    await shot(dashboard, artifacts, "dashboard-window-actions")

    # A viewer may not.
    viewer = await signed_in_dashboard(context, base, "viewer")
    await pad.get_by_label("工号").fill("S001")
    await pad.get_by_role("button", name="签到").click()
    await (
        viewer.locator('#windows tr[data-window="1"]')
        .get_by_role("button", name="关闭1号窗口")
        .click()
    )
    await expect(viewer.locator("#toast")).to_contain_text("无权限")
    await expect(pad.locator("#staff-view")).to_be_visible()
