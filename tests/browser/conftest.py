"""Browser tests of the hub's pages: Debian's Chromium driven by Playwright against a real hub.

Chromium is the system's (/usr/bin/chromium, installed by scripts/test); Playwright's own
browser downloads are never used. Missing Chromium skips these tests on a developer's machine
and fails them under CI (CI=true). Screenshots go to tests/artifacts/ (not committed).
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from argon2 import PasswordHasher
from PIL import Image

from hall.hub.runtime import Running
from tests.integration.conftest import running_hub
from tests.support import REPO_ROOT, missing

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
TV = {"width": 1920, "height": 1080}
TABLET = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PASSWORD = "pw"
PAGE_ERRORS: list[str] = []


def _require_chromium() -> None:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        missing(f"{CHROMIUM} is not installed (run scripts/test, or apt-get install chromium)")


@pytest.fixture(autouse=True)
def no_script_errors() -> Iterator[None]:
    """No page of a test may throw an uncaught JavaScript error."""
    PAGE_ERRORS.clear()
    yield
    assert PAGE_ERRORS == []


async def open_page(context: Any, viewport: dict[str, int], url: str | None = None) -> Any:
    """A new page of this size whose uncaught script errors and CSP violations fail the test
    (at `url`, when given)."""
    page = await context.new_page()
    page.on("pageerror", lambda error: PAGE_ERRORS.append(f"{page.url}: {error}"))
    # Nothing a page does may be blocked by its Content-Security-Policy either.
    page.on(
        "console",
        lambda message: (
            PAGE_ERRORS.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    await page.set_viewport_size(viewport)
    if url is not None:
        await page.goto(url)
    return page


async def take_ticket(kiosk: Any, service: str, number: str) -> None:
    """Press the service's button on a kiosk page and see the ticket's number."""
    from playwright.async_api import expect

    await kiosk.locator(f'button.service-btn[data-service="{service}"]').click()
    await expect(kiosk.locator("#ticket-no")).to_have_text(number)


async def signed_in_pad(context: Any, base: str, pad: str, staff: str) -> Any:
    """A new window pad page of device `pad` on which `staff` has signed in."""
    page = await open_page(context, TABLET, f"{base}/pad/{pad}")
    await page.get_by_label("工号").fill(staff)
    await page.get_by_role("button", name="签到").click()
    return page


async def confirm_on_pad(pad: Any) -> None:
    """Confirm the action the pad asks about: every clerk's action is confirmed first."""
    await pad.locator("#confirm-dialog").get_by_role("button", name="确定").click()


async def shot(page: Any, artifacts: Path, name: str) -> None:
    await page.screenshot(path=str(artifacts / f"{name}.png"))


async def decoded_qr(locator: Any) -> list[str]:
    """What a phone would read: the texts of the QR codes in a screenshot of `locator` (an
    image is first waited for until it has loaded or failed)."""
    await locator.evaluate(
        """(node) => node.tagName !== "IMG" || node.complete ? true : new Promise((resolve) => {
            node.addEventListener("load", () => resolve(true));
            node.addEventListener("error", () => resolve(false));
        })"""
    )
    png = await locator.screenshot()
    with Image.open(io.BytesIO(png)) as image:
        found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    return [barcode.text for barcode in found]


@pytest.fixture(scope="session")
def password_hash() -> str:
    return PasswordHasher().hash(PASSWORD)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@contextlib.asynccontextmanager
async def chromium(tmp_path: Path, timezone_id: str = "Asia/Shanghai") -> AsyncIterator[Any]:
    """A Chromium browser context with a fresh user data dir, Chinese locale, and the
    computer's time zone `timezone_id`."""
    _require_chromium()
    from playwright.async_api import async_playwright

    profile = tmp_path / f"chromium-profile-{timezone_id.replace('/', '-')}"
    profile.mkdir()
    async with async_playwright() as pw:
        browser_context = await pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            locale="zh-CN",
            timezone_id=timezone_id,
            viewport=TABLET,
        )
        browser_context.set_default_timeout(10_000)
        try:
            yield browser_context
        finally:
            with contextlib.suppress(Exception):
                await browser_context.close()


@pytest.fixture
async def context(tmp_path: Path) -> AsyncIterator[Any]:
    """A Chromium browser context with a fresh user data dir, Chinese locale."""
    async with chromium(tmp_path) as browser_context:
        yield browser_context


HallFactory = Callable[..., Awaitable[Running]]


@pytest.fixture
async def hall(
    hall_file: Callable[..., Path], password_hash: str, redis_client: Any
) -> AsyncIterator[HallFactory]:
    """``await hall(**overrides)`` starts a hub for the demo hall with a manager ``admin``
    (password ``pw``) and a viewer ``viewer`` (same password); stopped at teardown, and the
    hall's keys are removed from the shared Redis (``redis_client``)."""
    stack = contextlib.AsyncExitStack()

    async def start(**overrides: Any) -> Running:
        overrides.setdefault(
            "users",
            [
                {"name": "admin", "password_hash": password_hash, "role": "manager"},
                {"name": "viewer", "password_hash": password_hash, "role": "viewer"},
            ],
        )
        return await stack.enter_async_context(running_hub(hall_file(**overrides)))

    async with stack:
        yield start


async def login(page: Any, base: str, name: str = "admin", password: str = PASSWORD) -> None:
    await page.goto(f"{base}/login")
    await page.get_by_label("用户名").fill(name)
    await page.get_by_label("密码").fill(password)
    async with page.expect_navigation():
        await page.get_by_role("button", name="登录").click()


@pytest.fixture
async def base(hall: HallFactory) -> str:
    """The address of a hub running the demo hall (with the ``hall`` fixture's users)."""
    return (await hall()).http_url


async def signed_in_dashboard(context: Any, base: str, name: str = "admin") -> Any:
    """A new dashboard page (TV size) on which `name` has signed in."""
    page = await open_page(context, TV)
    await login(page, base, name)
    return page
