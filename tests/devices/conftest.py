"""Fixtures for the serial driver tests: the font, a driver running in the background."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from devices.drivers.base import DriverEnv, SerialDriver
from devices.font import load_font
from displays.bitmap import HexFont
from hall.protocol import Topics

FAST_BACKOFF = (0.02, 0.2)


@pytest.fixture(scope="session")
def font() -> HexFont:
    return load_font()


@pytest.fixture
def env(font: HexFont) -> DriverEnv:
    return DriverEnv(topics=Topics("t"), font=font)


@contextlib.asynccontextmanager
async def running(driver: SerialDriver, *, wait_open: bool = True) -> AsyncIterator[SerialDriver]:
    """Run `driver` (with short backoff) for the body of the `async with`, then cancel it."""
    driver.backoff_initial_s, driver.backoff_max_s = FAST_BACKOFF
    if hasattr(driver, "retry_s"):
        driver.retry_s = 0.05
    task = asyncio.create_task(driver.run())
    try:
        if wait_open:
            await asyncio.wait_for(driver.connected.wait(), 5)
        yield driver
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
