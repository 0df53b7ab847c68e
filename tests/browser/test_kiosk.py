"""The kiosk on a hall's first day, in Chromium at the kiosk's real screen sizes (a 1920×1080
landscape stand and a 1080×1920 portrait one): full services shown full on every kiosk, the
screen and the dashboard the moment the cap is reached and open again when it is raised;
every choice undone when the kiosk goes idle and after an error; nothing tappable while the
hub cannot be reached; documents before the ticket, the ID card prompt and the big-type mode;
and the English texts. Each test saves screenshots to tests/artifacts/."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.async_api import expect

from tests.integration.conftest import running_hub
from tests.support import free_port

from .conftest import (
    TV,
    HallFactory,
    open_page,
    shot,
    signed_in_dashboard,
    signed_in_pad,
    take_ticket,
)

LANDSCAPE = TV  # 1920×1080
PORTRAIT = {"width": 1080, "height": 1920}

SERVICES = [
    {
        "code": "A",
        "name": "社保医保",
        "daily_cap": 300,
        "description": "社保卡申领、医保参保登记与关系转移",
        "documents": ["身份证", "社保卡"],
    },
    {
        "code": "B",
        "name": "不动产登记与房屋交易",
        "daily_cap": 2,
        "description": "房屋买卖、抵押登记",
    },
    {"code": "C", "name": "企业开办"},
]
DEVICES = [
    {"id": "kiosk-1", "kind": "kiosk", "id_reader": True, "idle_s": 30},
    {"id": "kiosk-2", "kind": "kiosk"},
    {"id": "pad-1", "kind": "window_pad", "window": "1"},
]
KIOSK_HALL: dict[str, Any] = {"services": SERVICES, "devices": DEVICES}


def service_button(kiosk: Any, code: str) -> Any:
    return kiosk.locator(f'button.service-btn[data-service="{code}"]')


async def grid_columns(kiosk: Any) -> int:
    """How many columns the service cards are laid out in."""
    columns: int = await kiosk.locator("#services").evaluate(
        "(grid) => getComputedStyle(grid).gridTemplateColumns.split(' ').length"
    )
    return columns


async def test_a_full_service_shows_full_everywhere_until_its_cap_is_raised(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    base = (await hall(**KIOSK_HALL)).http_url
    first = await open_page(context, LANDSCAPE, f"{base}/kiosk/kiosk-1")
    other = await open_page(context, LANDSCAPE, f"{base}/kiosk/kiosk-2")
    screen = await open_page(context, LANDSCAPE, f"{base}/screen")
    dashboard = await signed_in_dashboard(context, base)
    await expect(service_button(other, "B")).to_be_enabled()
    await expect(service_button(other, "B")).to_have_attribute("data-state", "open")

    await take_ticket(first, "B", "B001")
    await first.locator("#ticket-done").click()
    await take_ticket(first, "B", "B002")  # the second of two: B is full for today

    # The other kiosk shows it at once, without anyone tapping it there.
    full = service_button(other, "B")
    await expect(full).to_have_attribute("data-state", "full")
    await expect(full).to_be_disabled()
    await expect(full).to_contain_text("今日已满")
    await expect(service_button(other, "A")).to_be_enabled()
    await expect(screen.locator('#waiting li[data-service="B"]')).to_have_class("full")
    await expect(screen.locator('#waiting li[data-service="B"]')).to_contain_text("今日已满")
    await expect(screen.locator('#waiting li[data-service="B"]')).to_contain_text("等候 2 人")
    await expect(dashboard.locator('#queues tr[data-service="B"]')).to_contain_text("今日已满")
    await shot(other, artifacts, "kiosk-landscape-full")
    await shot(screen, artifacts, "kiosk-screen-full")

    # The manager raises the cap on the hall settings page: open again, live.
    await dashboard.goto(f"{base}/dashboard/hall")
    row = dashboard.locator('#services tr[data-service="B"]')
    await row.get_by_label("每日上限 B").fill("3")
    await row.get_by_role("button", name="保存").click()
    await expect(service_button(other, "B")).to_have_attribute("data-state", "open")
    await expect(service_button(other, "B")).not_to_contain_text("今日已满")
    await expect(screen.locator('#waiting li[data-service="B"]')).not_to_have_class("full")
    await take_ticket(other, "B", "B003")
    await expect(service_button(first, "B")).to_have_attribute("data-state", "full")
    await shot(first, artifacts, "kiosk-landscape-full-again")


async def test_idle_and_errors_undo_every_choice(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    base = (await hall(**KIOSK_HALL)).http_url
    kiosk = await open_page(context, LANDSCAPE, f"{base}/kiosk/kiosk-1")
    green = kiosk.locator("#green")
    code = kiosk.locator("#appointment-code")
    # The hall file's idle time reaches the page.
    await expect(service_button(kiosk, "A")).to_be_enabled()
    assert await kiosk.evaluate("window.hallKiosk.idleSeconds()") == 30

    # An error: the refusal is shown, and every choice is already undone behind it.
    await green.click()
    await expect(green).to_have_attribute("aria-pressed", "true")
    await kiosk.locator("#appointment-open").click()
    for key in "987654":
        await kiosk.locator(f'#keypad [data-key="{key}"]').click()
    await expect(code).to_have_value("987654")
    await kiosk.locator("#appointment-submit").click()
    await expect(kiosk.locator("#error-text")).to_have_text("未找到（预约码无效或不是今天的预约）")
    await expect(green).to_have_attribute("aria-pressed", "false")
    await expect(code).to_have_value("")
    await shot(kiosk, artifacts, "kiosk-landscape-error")
    await kiosk.locator("#error-close").click()
    await expect(kiosk.locator("#error")).to_be_hidden()
    await expect(kiosk.locator("#appointment")).to_be_hidden()

    # Idle (cut to 4 s by the address): the green channel, a half-typed code, a chosen
    # service's documents and big type are all undone.
    await kiosk.goto(f"{base}/kiosk/kiosk-1?idle=4")
    await expect(service_button(kiosk, "A")).to_be_enabled()
    await kiosk.locator("#big-type").click()
    await green.click()
    await kiosk.locator("#appointment-open").click()
    await kiosk.locator('#keypad [data-key="5"]').click()
    await expect(code).to_have_value("5")
    await expect(green).to_have_attribute("aria-pressed", "true")
    await expect(kiosk.locator("html")).to_have_class("kiosk-big")
    await expect(kiosk.locator("#appointment")).to_be_hidden(timeout=15_000)
    await expect(green).to_have_attribute("aria-pressed", "false")
    await expect(kiosk.locator("#big-type")).to_have_attribute("aria-pressed", "false")
    await expect(kiosk.locator("html")).not_to_have_class("kiosk-big")
    await kiosk.locator("#appointment-open").click()
    await expect(code).to_have_value("")
    await kiosk.locator("#appointment-cancel").click()

    await service_button(kiosk, "A").click()
    await expect(kiosk.locator("#service-dialog")).to_be_visible()
    await expect(kiosk.locator("#service-dialog")).to_be_hidden(timeout=15_000)
    await shot(kiosk, artifacts, "kiosk-landscape-after-idle")
    # Nothing was taken on the way.
    await take_ticket(kiosk, "C", "C001")


async def test_idle_brings_the_kiosk_back_to_its_own_language(
    context: Any, hall: HallFactory
) -> None:
    """A citizen who switched to English leaves no English kiosk for the next one: the idle
    reset goes back to the language the kiosk was opened in (`?lang=`, else Chinese), also
    for a page opened again afterwards."""
    base = (await hall(**KIOSK_HALL)).http_url
    kiosk = await open_page(context, LANDSCAPE, f"{base}/kiosk/kiosk-1?idle=4")
    title = kiosk.locator("#choose-title")
    await expect(title).to_have_text("请选择办理的业务")
    await kiosk.get_by_role("button", name="Switch to English").click()
    await expect(title).to_have_text("Choose a service")
    await expect(title).to_have_text("请选择办理的业务", timeout=15_000)
    await kiosk.goto(f"{base}/kiosk/kiosk-1?idle=4")
    await expect(title).to_have_text("请选择办理的业务")
    # A kiosk set up in English comes back to English.
    await kiosk.goto(f"{base}/kiosk/kiosk-1?idle=4&lang=en")
    await kiosk.get_by_role("button", name="切换到中文").click()
    await expect(title).to_have_text("请选择办理的业务")
    await expect(title).to_have_text("Choose a service", timeout=15_000)


async def test_nothing_can_be_tapped_while_the_hub_is_unreachable(
    context: Any,
    artifacts: Path,
    hall_file: Callable[..., Path],
    redis_client: Any,
) -> None:
    port = free_port()
    path = hall_file(http_port=port, **KIOSK_HALL)
    base = f"http://127.0.0.1:{port}"
    kiosk = await open_page(context, LANDSCAPE)
    menu_buttons = kiosk.locator("#menu button")
    async with running_hub(path):
        await kiosk.goto(f"{base}/kiosk/kiosk-2")
        await expect(service_button(kiosk, "C")).to_be_enabled()
        await expect(kiosk.locator("#banner")).to_be_hidden()
        await kiosk.locator("#green").click()
        await kiosk.locator("#appointment-open").click()
        await kiosk.locator('#keypad [data-key="7"]').click()
    # The hub is gone: a clear banner, the dialog closed, every button of the menu disabled.
    banner = kiosk.locator("#banner")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("暂停取号")
    await expect(kiosk.locator("#appointment")).to_be_hidden()
    await expect(kiosk.locator("#green")).to_have_attribute("aria-pressed", "false")
    count = await menu_buttons.count()
    assert count >= 5  # three services, the green channel, the appointment
    for index in range(count):
        await expect(menu_buttons.nth(index)).to_be_disabled()
    # A tap on a service does nothing, and nothing waits to be sent later.
    await service_button(kiosk, "C").click(force=True)
    await expect(kiosk.locator("#busy")).to_be_hidden()
    assert await kiosk.evaluate("Object.keys(window.hallKiosk.device.pending).length") == 0
    await shot(kiosk, artifacts, "kiosk-landscape-offline")

    async with running_hub(path):
        await expect(banner).to_be_hidden(timeout=20_000)
        await expect(service_button(kiosk, "C")).to_be_enabled()
        await expect(kiosk.locator("#green")).to_be_enabled()
        await expect(kiosk.locator("#appointment-open")).to_be_enabled()
        # The first ticket of the day: the tap made offline was never sent.
        await take_ticket(kiosk, "C", "C001")


async def font_px(locator: Any) -> float:
    """The element's font size in pixels. The kiosk redraws its cards as the queues change:
    a card replaced between finding it and reading it has no size, so it is read again."""
    for _ in range(50):
        size = await locator.evaluate(
            "(n) => n.isConnected ? parseFloat(getComputedStyle(n).fontSize) : null"
        )
        if isinstance(size, (int, float)) and size == size:  # not NaN
            return float(size)
        await asyncio.sleep(0.1)
    raise AssertionError("no font size: the element kept being replaced")


async def test_the_portrait_kiosk_shows_documents_first_the_id_card_and_big_type(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    base = (await hall(**KIOSK_HALL)).http_url
    kiosk = await open_page(context, PORTRAIT, f"{base}/kiosk/kiosk-1")
    card = service_button(kiosk, "A")
    await expect(card).to_be_enabled()
    await expect(card).to_contain_text("社保卡申领、医保参保登记与关系转移")
    await expect(card).to_contain_text("请携带：身份证、社保卡")
    await expect(kiosk.locator("#id-card")).to_be_visible()
    await expect(kiosk.locator("#id-card")).to_contain_text("刷身份证取号")
    assert await grid_columns(kiosk) == 2
    # The page fills the portrait screen: the choices sit at its bottom, nothing sideways.
    options = await kiosk.locator("#options").bounding_box()
    assert options is not None
    assert options["y"] + options["height"] > PORTRAIT["height"] * 0.9, options
    width = await kiosk.evaluate("document.documentElement.scrollWidth")
    assert width <= PORTRAIT["width"]
    await shot(kiosk, artifacts, "kiosk-portrait-menu")

    # The documents come before the ticket; the ticket repeats them.
    await card.click()
    dialog = kiosk.locator("#service-dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog.locator("li")).to_have_text(["身份证", "社保卡"])
    await shot(kiosk, artifacts, "kiosk-portrait-documents")
    await kiosk.locator("#service-dialog-take").click()
    await expect(kiosk.locator("#ticket-no")).to_have_text("A001")
    await expect(kiosk.locator("#ticket-materials li")).to_have_text(["身份证", "社保卡"])
    await shot(kiosk, artifacts, "kiosk-portrait-ticket")
    await kiosk.locator("#ticket-done").click()

    # Big type: larger letters, one card to a row.
    name = card.locator(".name")
    normal_size = await font_px(name)
    await kiosk.get_by_role("button", name="大字模式").click()
    await expect(kiosk.locator("html")).to_have_class("kiosk-big")
    big_size = await font_px(name)
    assert big_size >= normal_size * 1.25, (normal_size, big_size)
    assert await grid_columns(kiosk) == 1
    await shot(kiosk, artifacts, "kiosk-portrait-big-type")

    # A kiosk without a card reader does not offer one.
    other = await open_page(context, PORTRAIT, f"{base}/kiosk/kiosk-2")
    await expect(service_button(other, "A")).to_be_enabled()
    await expect(other.locator("#id-card")).to_be_hidden()


async def test_english_texts_read_right_on_the_kiosk_and_the_screen(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    # A clerk signed in at window 4 (C, A, B): the services have wait estimates to read.
    pad_4 = {"id": "pad-4", "kind": "window_pad", "window": "4"}
    base = (await hall(**{**KIOSK_HALL, "devices": [*DEVICES, pad_4]})).http_url
    pad = await signed_in_pad(context, base, "pad-4", "S004")
    await expect(pad.locator("body")).to_contain_text("S004")
    kiosk = await open_page(context, LANDSCAPE, f"{base}/kiosk/kiosk-2")
    await take_ticket(kiosk, "C", "C001")
    await kiosk.locator("#ticket-done").click()
    await take_ticket(kiosk, "B", "B001")
    await kiosk.locator("#ticket-done").click()
    await take_ticket(kiosk, "B", "B002")
    await kiosk.locator("#ticket-done").click()
    await kiosk.get_by_role("button", name="Switch to English").click()
    waiting = service_button(kiosk, "C")
    await expect(waiting).to_contain_text("1 waiting · wait ")
    assert "about about" not in (await waiting.inner_text())
    await expect(service_button(kiosk, "B")).to_contain_text("Full for today")
    await expect(kiosk.locator("#big-type")).to_have_text("Large text")
    # The landscape stand is used to its bottom too, and nothing scrolls sideways.
    options = await kiosk.locator("#options").bounding_box()
    assert options is not None
    assert options["y"] + options["height"] > LANDSCAPE["height"] * 0.9, options
    assert await kiosk.evaluate("document.documentElement.scrollWidth") <= LANDSCAPE["width"]
    await shot(kiosk, artifacts, "kiosk-landscape-en")

    # The hall screen in English, landscape and portrait: each service's name on one line.
    for size, name in ((LANDSCAPE, "landscape"), (PORTRAIT, "portrait")):
        screen = await open_page(context, size, f"{base}/screen?lang=en")
        row = screen.locator('#waiting li[data-service="C"]')
        await expect(row).to_contain_text("1 waiting")
        await expect(row).to_contain_text(re.compile(r"wait (about \d+ min|under 1 min)"))
        assert "about about" not in (await row.inner_text())
        await expect(screen.locator('#waiting li[data-service="B"]')).to_contain_text(
            "Full for today"
        )
        for code in ("A", "B", "C"):
            # One line box per line the name is broken into.
            lines = await screen.locator(f'#waiting li[data-service="{code}"] .name').evaluate(
                """(n) => { const r = document.createRange(); r.selectNodeContents(n);
                            return new Set([...r.getClientRects()].map((b) => b.top)).size; }"""
            )
            assert lines == 1, (name, code, lines)
        await shot(screen, artifacts, f"kiosk-screen-en-{name}")


async def test_a_long_document_list_leaves_the_menu_and_the_dialog_readable(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    """Twenty documents of sixty characters: service A's card names the first few and how many
    there are in all, so card B beside it stays on the screen; the documents dialog lists them
    all and opens at its top, its title in view."""
    documents = [
        f"第{n:02d}项材料：" + "申请人及共同申请人的身份证明原件与复印件" * 3 for n in range(20)
    ]
    documents = [d[:60] for d in documents]
    services = [{**SERVICES[0], "documents": documents}, *SERVICES[1:]]
    base = (await hall(services=services, devices=DEVICES)).http_url
    kiosk = await open_page(context, LANDSCAPE, f"{base}/kiosk/kiosk-1")
    card = service_button(kiosk, "A")
    await expect(card).to_contain_text(f"等{len(documents)}项")
    await expect(card).not_to_contain_text(documents[-1])
    await expect(service_button(kiosk, "B")).to_be_in_viewport(ratio=1)
    await shot(kiosk, artifacts, "kiosk-long-documents-menu")

    await card.click()
    dialog = kiosk.locator("#service-dialog")
    await expect(dialog.locator("li")).to_have_text(documents)  # the dialog lists them all
    await expect(kiosk.locator("#service-dialog-title")).to_be_in_viewport(ratio=1)
    await expect(kiosk.locator("#service-dialog-take")).to_be_focused()
    await shot(kiosk, artifacts, "kiosk-long-documents-dialog")
