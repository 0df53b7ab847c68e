"""Fixtures for the serial driver tests: the font, a driver made from the registry, a driver
running in the background."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import TypeVar

import pytest

from devices.drivers import DRIVERS
from devices.drivers.base import Binding, DriverEnv, PortSpec, SerialDriver
from devices.font import load_font
from displays.bitmap import HexFont
from hall.contract.wire import Topics
from tests.support import background

FAST_BACKOFF = (0.02, 0.2)
DriverT = TypeVar("DriverT", bound=SerialDriver)


@pytest.fixture(scope="session")
def font() -> HexFont:
    return load_font()


@pytest.fixture
def env(font: HexFont) -> DriverEnv:
    return DriverEnv(topics=Topics("t"), font=font)


def make_driver(
    kind: type[DriverT],
    protocol: str,
    port: PortSpec | str,
    binding: Binding,
    env: DriverEnv,
    options: Mapping[str, object],
) -> DriverT:
    """The registry's `protocol` driver (of class `kind`) on `port` (9600 baud unless a
    PortSpec says otherwise), with these options."""
    info = DRIVERS[protocol]
    spec = port if isinstance(port, PortSpec) else PortSpec(port, 9600, protocol)
    driver = info.create(spec, binding, info.parse_options(dict(options)), env)
    assert isinstance(driver, kind)
    return driver


@contextlib.asynccontextmanager
async def running(driver: SerialDriver, *, wait_open: bool = True) -> AsyncIterator[SerialDriver]:
    """Run `driver` (with short backoff) for the body of the `async with`, then cancel it."""
    driver.backoff_initial_s, driver.backoff_max_s = FAST_BACKOFF
    if hasattr(driver, "retry_s"):
        driver.retry_s = 0.05
    async with background(driver.run(), driver.connected if wait_open else None, timeout=5):
        yield driver
