"""The embedded broker and Redis: what a hall gets on a machine with nothing installed."""

from __future__ import annotations

import asyncio
import socket
import struct
from pathlib import Path

import aiomqtt
import pytest
import redis.asyncio as aredis

from hall.hub.embedded import EmbeddedError, embedded_broker, embedded_redis
from tests.support import free_port

NODELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
TIMEOUT_S = 10


def mqtt_client(port: int, **kwargs: object) -> aiomqtt.Client:
    return aiomqtt.Client("127.0.0.1", port, socket_options=NODELAY, **kwargs)  # type: ignore[arg-type]


async def next_message(client: aiomqtt.Client) -> aiomqtt.Message:
    async with asyncio.timeout(TIMEOUT_S):
        async for message in client.messages:
            return message
    raise AssertionError("the message stream ended")


def _mqtt_string(value: bytes) -> bytes:
    return struct.pack("!H", len(value)) + value


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def connect_packet_with_will(client_id: bytes, will_topic: bytes, will_payload: bytes) -> bytes:
    """An MQTT 3.1.1 CONNECT with a QoS 1 will and a clean session."""
    flags = 0x02 | 0x04 | (1 << 3)  # clean session, will flag, will QoS 1
    body = (
        _mqtt_string(b"MQTT")
        + bytes([4, flags])
        + struct.pack("!H", 60)
        + _mqtt_string(client_id)
        + _mqtt_string(will_topic)
        + _mqtt_string(will_payload)
    )
    return bytes([0x10]) + _remaining_length(len(body)) + body


async def test_broker_gives_retained_message_to_late_subscriber(hall_id: str) -> None:
    port = free_port()
    topic = f"hall/{hall_id}/board"
    async with embedded_broker("127.0.0.1", port) as url:
        assert url == f"mqtt://127.0.0.1:{port}"
        async with mqtt_client(port) as publisher:
            await publisher.publish(topic, b'{"now":"A001"}', qos=1, retain=True)
        async with mqtt_client(port) as subscriber:
            await subscriber.subscribe(f"hall/{hall_id}/#", qos=1)
            message = await next_message(subscriber)
    assert str(message.topic) == topic
    assert message.payload == b'{"now":"A001"}'
    assert message.retain
    assert message.qos == 1


async def test_broker_publishes_will_when_client_vanishes(hall_id: str) -> None:
    port = free_port()
    will_topic = f"hall/{hall_id}/dev/kiosk-1/status"
    async with embedded_broker("127.0.0.1", port):
        async with mqtt_client(port) as watcher:
            await watcher.subscribe(will_topic, qos=1)
            # A device that loses power: it connects with a will, then its socket just closes,
            # without a DISCONNECT packet.
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(connect_packet_with_will(b"kiosk-1", will_topic.encode(), b"offline"))
            await writer.drain()
            async with asyncio.timeout(TIMEOUT_S):
                connack = await reader.readexactly(4)
            assert connack == b"\x20\x02\x00\x00"
            writer.transport.abort()
            message = await next_message(watcher)
    assert str(message.topic) == will_topic
    assert message.payload == b"offline"


async def test_broker_names_the_taken_port() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(EmbeddedError) as caught:
            async with embedded_broker("127.0.0.1", port):
                pass
    text = str(caught.value)
    assert str(port) in text
    assert "[broker] listen" in text
    assert "url" in text


async def test_redis_keeps_data_across_restart(tmp_path: Path, hall_id: str) -> None:
    data_dir = tmp_path / "store"
    key = f"{{hall:{hall_id}}}:seq:A"
    async with embedded_redis(data_dir) as url:
        assert url.startswith("redis://127.0.0.1:")
        client = aredis.Redis.from_url(url)
        try:
            assert await client.incr(key) == 1
            assert await client.incr(key) == 2
            assert await client.config_get("appendonly") == {"appendonly": "yes"}
        finally:
            await client.aclose()
    async with embedded_redis(data_dir) as url:
        client = aredis.Redis.from_url(url)
        try:
            assert await client.get(key) == b"2"
        finally:
            await client.aclose()


async def test_redis_refuses_a_data_dir_in_use(tmp_path: Path) -> None:
    async with embedded_redis(tmp_path / "store"):
        with pytest.raises(EmbeddedError, match="already used"):
            async with embedded_redis(tmp_path / "store"):
                pass
