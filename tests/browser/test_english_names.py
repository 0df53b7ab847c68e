"""Services' English names from the hall file (`name_en`, `description_en`) in Chromium: the
kiosk in English shows them on its cards, in the documents dialog and on the ticket, and so do
the phone's ticket page, the hall screen and the dashboard; a service without one keeps its
Chinese name; back in Chinese, the Chinese names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import expect

from .conftest import TV, HallFactory, open_page, shot, signed_in_dashboard

SERVICES = [
    {
        "code": "A",
        "name": "社保医保",
        "name_en": "Social insurance",
        "description": "社保卡申领、医保参保登记",
        "description_en": "Social security cards, health insurance",
        "documents": ["身份证"],
    },
    {"code": "B", "name": "不动产登记", "name_en": "Property registration"},
    {"code": "C", "name": "企业开办"},  # no English name: shown in Chinese
]


def card(kiosk: Any, code: str) -> Any:
    return kiosk.locator(f'button.service-btn[data-service="{code}"]')


async def test_english_service_names_on_the_kiosk_ticket_screen_and_dashboard(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    base = (await hall(services=SERVICES)).http_url
    dashboard = await signed_in_dashboard(context, base)  # signed in while pages are in Chinese
    kiosk = await open_page(context, TV, f"{base}/kiosk/kiosk-2")
    await expect(card(kiosk, "A").locator(".name")).to_have_text("A社保医保")
    await kiosk.get_by_role("button", name="Switch to English").click()
    a = card(kiosk, "A")
    await expect(a.locator(".name")).to_have_text("ASocial insurance")
    await expect(a.locator(".desc")).to_have_text("Social security cards, health insurance")
    await expect(card(kiosk, "B").locator(".name")).to_have_text("BProperty registration")
    await expect(card(kiosk, "C").locator(".name")).to_have_text("C企业开办")
    await shot(kiosk, artifacts, "kiosk-en-service-names")

    # The documents to bring, then the ticket: the English name on both.
    await a.click()
    await expect(kiosk.locator("#service-dialog-title")).to_have_text("A Social insurance")
    await expect(kiosk.locator("#service-dialog-description")).to_have_text(
        "Social security cards, health insurance"
    )
    await kiosk.locator("#service-dialog-take").click()
    await expect(kiosk.locator("#ticket-no")).to_have_text("A001")
    await expect(kiosk.locator("#ticket-service")).to_contain_text("Social insurance")
    await shot(kiosk, artifacts, "kiosk-en-ticket-name")

    # The citizen's phone, in English and in Chinese.
    phone = await open_page(context, {"width": 390, "height": 844}, f"{base}/t/A001?lang=en")
    await expect(phone.locator("#t-service")).to_have_text("Social insurance")
    await phone.goto(f"{base}/t/A001?lang=zh")
    await expect(phone.locator("#t-service")).to_have_text("社保医保")

    # The hall screen and the dashboard in English.
    screen = await open_page(context, TV, f"{base}/screen?lang=en")
    names = screen.locator("#waiting li .name")
    await expect(names).to_have_text(["Social insurance", "Property registration", "企业开办"])
    await dashboard.goto(f"{base}/dashboard?lang=en")
    queues = dashboard.locator("#queues tr[data-service] td:first-child")
    await expect(queues).to_have_text(["ASocial insurance", "BProperty registration", "C企业开办"])
    await dashboard.get_by_role("button", name="中文").click()
    await expect(queues).to_have_text(["A社保医保", "B不动产登记", "C企业开办"])

    # Back in Chinese, the kiosk shows the Chinese names again.
    await kiosk.locator("#ticket-done").click()
    await kiosk.get_by_role("button", name="切换到中文").click()
    await expect(card(kiosk, "A").locator(".name")).to_have_text("A社保医保")
    await expect(card(kiosk, "A").locator(".desc")).to_have_text("社保卡申领、医保参保登记")
