"""Browser tests of the hub's pages: Debian's Chromium driven by Playwright against a real hub.

Chromium is the system's (/usr/bin/chromium, installed by scripts/test); Playwright's own
browser downloads are never used. Missing Chromium skips these tests on a developer's machine
and fails them under CI (CI=true). Screenshots go to tests/artifacts/ (not committed).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from hall.runtime import Running
from tests.integration.conftest import running_hub
from tests.support import REPO_ROOT, write_hall_config

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


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def _require_chromium() -> None:
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return
    reason = f"{CHROMIUM} is not installed (run scripts/test, or apt-get install chromium)"
    if _under_ci():
        pytest.fail(f"{reason}; CI must have it")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def password_hash() -> str:
    return PasswordHasher().hash(PASSWORD)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
async def context(tmp_path: Path) -> AsyncIterator[Any]:
    """A Chromium browser context with a fresh user data dir, Chinese locale."""
    _require_chromium()
    from playwright.async_api import async_playwright

    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    async with async_playwright() as pw:
        browser_context = await pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport=TABLET,
        )
        browser_context.set_default_timeout(10_000)
        try:
            yield browser_context
        finally:
            with contextlib.suppress(Exception):
                await browser_context.close()


HallFactory = Callable[..., Awaitable[Running]]


@pytest.fixture
async def hall(
    tmp_path: Path,
    hall_id: str,
    mqtt_url: str,
    redis_url: str,
    password_hash: str,
    redis_client: Any,
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
        path = write_hall_config(tmp_path, hall_id, mqtt_url, redis_url, **overrides)
        return await stack.enter_async_context(running_hub(path))

    async with stack:
        yield start


async def login(page: Any, base: str, name: str = "admin", password: str = PASSWORD) -> None:
    await page.goto(f"{base}/login")
    await page.get_by_label("用户名").fill(name)
    await page.get_by_label("密码").fill(password)
    async with page.expect_navigation():
        await page.get_by_role("button", name="登录").click()
