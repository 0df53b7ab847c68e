"""A wait with no estimate says why, in words, on the kiosk, the hall screen and the phone's
ticket page (Chinese and English), never a dash or a false "under a minute"; once a clerk
signs in at a window serving the service, the same places show an estimate again."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.async_api import expect

from .conftest import PHONE, TV, HallFactory, open_page, shot, signed_in_pad, take_ticket

NO_WINDOW_ZH = "暂无窗口办理此业务，无法预计等候时间"
NO_WINDOW_EN = "No window is serving this yet, so no wait can be estimated"
WAIT_ZH = re.compile(r"约 ?\d+ ?分钟|不到 1 分钟")


async def test_no_estimate_says_why_until_a_window_opens(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    base = (await hall()).http_url
    kiosk = await open_page(context, TV, f"{base}/kiosk/kiosk-1")
    # Nobody is signed in at any window: A's ticket has no estimate, and says why.
    await take_ticket(kiosk, "A", "A001")
    await expect(kiosk.locator("#ticket-eta")).to_have_text(NO_WINDOW_ZH)
    await shot(kiosk, artifacts, "wait-words-kiosk-ticket")
    await kiosk.locator("#ticket-done").click()
    button = kiosk.locator('button.service-btn[data-service="A"]')
    await expect(button).to_contain_text("等候 1 人")
    await expect(button).to_contain_text(NO_WINDOW_ZH)
    assert "—" not in await button.inner_text()

    screen = await open_page(context, TV, f"{base}/screen")
    row = screen.locator('#waiting li[data-service="A"]')
    await expect(row.locator(".eta")).to_have_text(NO_WINDOW_ZH)
    await shot(screen, artifacts, "wait-words-screen")

    phone = await open_page(context, PHONE, f"{base}/t/A001")
    await expect(phone.locator("#t-eta")).to_have_text(NO_WINDOW_ZH)
    await shot(phone, artifacts, "wait-words-ticket")
    phone_en = await open_page(context, PHONE, f"{base}/t/A001?lang=en")
    await expect(phone_en.locator("#t-eta")).to_have_text(NO_WINDOW_EN)
    screen_en = await open_page(context, TV, f"{base}/screen?lang=en")
    await expect(screen_en.locator('#waiting li[data-service="A"] .eta')).to_have_text(NO_WINDOW_EN)
    await kiosk.get_by_role("button", name="Switch to English").click()
    await expect(button).to_contain_text(NO_WINDOW_EN)
    await kiosk.evaluate("I18N.set('zh')")  # the language is remembered: the pad reads Chinese

    # A clerk signs in at window 1 (A, B): an estimate again, everywhere.
    pad = await signed_in_pad(context, base, "pad-1", "S001")
    await expect(pad.locator("body")).to_contain_text("S001")
    await expect(row.locator(".eta")).to_contain_text("预计")
    await expect(row.locator(".eta")).not_to_contain_text(NO_WINDOW_ZH)
    await expect(phone.locator("#t-eta")).to_have_text(WAIT_ZH, timeout=8000)
    await expect(button).to_contain_text(re.compile(r"等候 1 人 · 预计等候 "))
    await expect(button).not_to_contain_text(NO_WINDOW_ZH)
