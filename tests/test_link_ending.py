"""A connection's end that the link found out for itself (a publish refused because the
connection was gone) is not logged a second time by asyncio, as an error "never retrieved",
when aiomqtt sets it on its own future later."""

from __future__ import annotations

import asyncio
import gc
import logging

import aiomqtt
import pytest

from hall.contract.link import _read_its_end


async def _ended_unread(read: bool) -> None:
    client = aiomqtt.Client("127.0.0.1", 1)
    if read:
        _read_its_end(client)
    client._disconnected.set_exception(aiomqtt.MqttError("Unexpected disconnection"))
    await asyncio.sleep(0)  # its done callbacks run
    del client


@pytest.mark.parametrize("read", [True, False])
async def test_the_end_is_read_once_set(read: bool, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, "asyncio"):
        await _ended_unread(read)
        gc.collect()
    never_retrieved = "exception was never retrieved" in caplog.text
    # Without it asyncio says so: the check sees what it is meant to see.
    assert never_retrieved is (not read)
