"""The free-port helper of the product, and the tests' one way of waiting with a deadline."""

from __future__ import annotations

import asyncio
import socket

import pytest

from hall.contract.ports import free_port, port_is_free
from tests.support import eventually


def test_a_free_port_can_be_listened_on_and_then_is_taken() -> None:
    port = free_port()
    assert port_is_free("127.0.0.1", port)
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen()
        assert not port_is_free("127.0.0.1", port)
    assert not port_is_free("192.0.2.1", free_port())  # not an address of this machine


async def test_eventually_returns_once_the_check_holds() -> None:
    seen: list[int] = []
    asyncio.get_running_loop().call_later(0.05, seen.append, 1)
    await eventually(lambda: seen, "a value", 5.0)

    async def query() -> bool:
        return bool(seen)

    await eventually(query, "an awaited check", 5.0)


async def test_eventually_fails_naming_what_it_waited_for() -> None:
    with pytest.raises(TimeoutError, match=r"not within 0.1 s: the moon"):
        await eventually(lambda: False, "the moon", 0.1)


async def test_eventually_waits_on_news_instead_of_polling() -> None:
    news = asyncio.Event()
    state = {"count": 0}
    checks = 0

    def check() -> bool:
        nonlocal checks
        checks += 1
        return state["count"] == 3

    async def change() -> None:
        for _ in range(3):
            await asyncio.sleep(0.01)
            state["count"] += 1
            news.set()

    task = asyncio.create_task(change())
    await eventually(check, "three changes", 5.0, news=news)
    await task
    assert checks <= 4  # once at the start, then once per change


async def test_eventually_reports_a_watched_task_that_ended() -> None:
    async def fail() -> None:
        raise RuntimeError("broken")

    task = asyncio.create_task(fail())
    with pytest.raises(RuntimeError, match="broken"):
        await eventually(lambda: False, "never", 5.0, tasks=[task])
    quiet = asyncio.create_task(asyncio.sleep(0))
    with pytest.raises(AssertionError, match="ended while waiting for: never"):
        await eventually(lambda: False, "never", 5.0, tasks=[quiet])
