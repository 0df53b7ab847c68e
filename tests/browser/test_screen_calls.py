"""The hall screen: calls queue for the big box, each shown at least `[screen]
min_call_display_s`, a recall shown again, a chime before each spoken call; and its layouts
at 1920×1080, 1366×768 and portrait 1080×1920, where the ticker covers nothing."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.integration.halls import online_client
from tests.support import eventually

from .conftest import TV, HallFactory, open_page, shot

# Record what the page asks the browser to say (headless Chromium has no voices).
RECORD_SPEECH = """
window.__spoken = [];
if (window.speechSynthesis) {
    window.speechSynthesis.speak = (u) => window.__spoken.push(u.text);
}
"""
MIN_DISPLAY_S = 1.5


async def test_calls_queue_for_the_big_box_and_a_recall_is_shown_again(
    context: Any, hall: HallFactory, hall_id: str, artifacts: Path
) -> None:
    hub = await hall(screen={"speak": True, "min_call_display_s": MIN_DISPLAY_S})
    screen = await open_page(context, TV)
    await screen.add_init_script(RECORD_SPEECH)
    await screen.goto(f"{hub.http_url}/screen")
    await expect(screen.locator("#call-now .idle")).to_be_visible()
    await eventually(lambda: screen.evaluate("window.hallScreen.minDisplayMs() === 1500"), "hub's")
    await screen.locator("#call-now").click()  # someone touched the screen: it may sound
    await eventually(lambda: screen.evaluate("window.hallScreen.chimeReady()"), "audio on")

    async with online_client(hub, hall_id) as c:
        for _ in range(2):
            await c.ok("kiosk-1", "ticket.take", {"service": "A"})
        await c.ok("pad-1", "window.open", {"staff": "S001"})
        await c.ok("pad-2", "window.open", {"staff": "S002"})
        # Three calls at once: A001, its recall, A002.
        await c.ok("pad-1", "call.next")
        await c.ok("pad-1", "call.recall")
        await c.ok("pad-2", "call.next")
        await expect(screen.locator("#call-now")).to_have_attribute("data-ticket", "A001")
        await shot(screen, artifacts, "screen-queue-first")
        await eventually(
            lambda: screen.evaluate("window.hallScreen.shown.length === 3"), "three calls shown"
        )
    shown = await screen.evaluate("window.hallScreen.shown")
    assert [(s["ticket"], s["window"], s["repeat"]) for s in shown] == [
        ("A001", "1", False),
        ("A001", "1", True),
        ("A002", "2", False),
    ]
    # Each held the big box for its minimum time before the next came.
    held_ms = [b["at"] - a["at"] for a, b in itertools.pairwise(shown)]
    assert all(ms >= MIN_DISPLAY_S * 1000 for ms in held_ms), held_ms
    await expect(screen.locator("#call-now")).to_have_attribute("data-ticket", "A002")
    await expect(screen.locator("#call-now .window")).to_have_text("2号窗口")
    # The recent list holds the call before the one shown.
    await expect(screen.locator("#recent li").first).to_contain_text("A001")
    # A chime before each spoken call, never the voice first.
    await eventually(lambda: screen.evaluate("window.__spoken.length === 3"), "three spoken")
    assert await screen.evaluate("window.hallScreen.sounds") == ["chime", "speak"] * 3
    assert await screen.evaluate("window.__spoken") == [
        "请A001号到1号窗口办理",
        "请A001号到1号窗口办理",
        "请A002号到2号窗口办理",
    ]
    await expect(screen.locator("#sound-btn")).to_be_hidden()
    await shot(screen, artifacts, "screen-queue-last")


async def test_without_a_touch_the_screen_asks_for_sound_and_still_speaks_after_the_chime(
    context: Any, hall: HallFactory, hall_id: str
) -> None:
    hub = await hall(screen={"speak": True, "min_call_display_s": 0})
    screen = await open_page(context, TV)
    await screen.add_init_script(RECORD_SPEECH)
    await screen.goto(f"{hub.http_url}/screen")
    async with online_client(hub, hall_id) as c:
        await c.ok("kiosk-2", "ticket.take", {"service": "B"})
        await c.ok("pad-3", "window.open", {"staff": "S003"})
        await c.ok("pad-3", "call.next")
        await eventually(lambda: screen.evaluate("window.__spoken.length === 1"), "spoken")
    assert await screen.evaluate("window.hallScreen.sounds") == ["chime", "speak"]
    await expect(screen.locator("#sound-btn")).to_be_visible()
    await screen.locator("#sound-btn").click()
    await expect(screen.locator("#sound-btn")).to_be_hidden()
    await eventually(lambda: screen.evaluate("window.hallScreen.chimeReady()"), "audio on")


async def boxes(page: Any, selector: str) -> list[dict[str, float]]:
    found: list[dict[str, float]] = await page.locator(selector).evaluate_all(
        "(nodes) => nodes.map((n) => { const r = n.getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; })"
    )
    return found


@pytest.mark.parametrize(
    ("name", "viewport"),
    [
        ("tv-1920x1080", TV),
        ("small-1366x768", {"width": 1366, "height": 768}),
        ("portrait-1080x1920", {"width": 1080, "height": 1920}),
    ],
)
async def test_the_layouts_keep_every_card_clear_of_the_ticker(
    context: Any, hall: HallFactory, hall_id: str, artifacts: Path, name: str, viewport: Any
) -> None:
    hub = await hall(screen={"min_call_display_s": 0, "notice": "今日下午 14:00 起系统维护"})
    async with online_client(hub, hall_id) as c:
        # A busy hall: every window has called, some more than once, and people wait.
        for service in "AAAAAAAABBBBBCCCCCC":
            await c.ok("kiosk-1", "ticket.take", {"service": service})
        for pad, staff in (("pad-1", "S001"), ("pad-2", "S002"), ("pad-3", "S003")):
            await c.ok(pad, "window.open", {"staff": staff})
        for pad in ("pad-1", "pad-2", "pad-3"):
            for _ in range(3):
                await c.ok(pad, "call.next")
                await c.ok(pad, "call.no_show")
        await c.ok("pad-4", "window.open", {"staff": "S004"})
        await c.ok("pad-4", "call.next")
    screen = await open_page(context, viewport, f"{hub.http_url}/screen")
    await expect(screen.locator("#call-now .window")).to_have_text("综合窗口")
    await expect(screen.locator("#recent li")).to_have_count(8)
    await expect(screen.locator("#ticker-text")).to_have_text("今日下午 14:00 起系统维护")
    [ticker] = await boxes(screen, "#ticker")
    assert ticker["bottom"] <= viewport["height"] + 0.5  # the ticker itself is on the screen
    cards = await boxes(screen, "#waiting li")
    assert len(cards) == 3
    shown = [*cards, *await boxes(screen, "#recent li"), *await boxes(screen, "#call-now")]
    for box in shown:
        assert box["bottom"] <= ticker["top"] + 0.5, (name, box, ticker)
        assert 0 <= box["left"] and box["right"] <= viewport["width"] + 0.5, (name, box)
    [call] = await boxes(screen, "#call-now")
    if viewport["height"] > viewport["width"]:  # portrait: the waiting cards under the call
        assert cards[0]["top"] >= call["bottom"]
    else:  # 16:9: beside it
        assert cards[0]["left"] >= call["right"]
    await shot(screen, artifacts, f"screen-layout-{name}")


async def test_in_english_the_big_box_says_the_call_in_english(
    context: Any, hall: HallFactory, hall_id: str, artifacts: Path
) -> None:
    """The hub writes the call's sentence in Chinese; the English screen builds its own around
    the ticket and the window's name, and Chinese shows the hub's sentence again."""
    hub = await hall(screen={"min_call_display_s": 0})
    screen = await open_page(context, TV, f"{hub.http_url}/screen?lang=en")
    async with online_client(hub, hall_id) as c:
        await c.ok("kiosk-1", "ticket.take", {"service": "B"})
        await c.ok("pad-1", "window.open", {"staff": "S001"})
        await c.ok("pad-1", "call.next")
    box = screen.locator("#call-now")
    await expect(box).to_have_attribute("data-ticket", "B001")
    await expect(box).to_have_text("Ticket B001, please go to 1号窗口")
    await expect(box.locator(".ticket")).to_have_text("B001")
    await expect(box.locator(".window")).to_have_text("1号窗口")
    await shot(screen, artifacts, "screen-call-en")
    await screen.locator("[data-lang-toggle]").first.click()
    await expect(box).to_have_text("请B001号到1号窗口办理")
