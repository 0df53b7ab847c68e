"""The baseline: the least a hub built from the same parts can do for one request.

One MQTT hop in (an aiomqtt client with TCP_NODELAY subscribed to `hall/<id>/dev/+/req`), one
Redis script by EVALSHA (INCR a counter, HSET the request under that number, SET the response
with an expiry, as the hub keeps its idempotency answers), one MQTT hop out (the response on
`dev/<device>/res`). Requests are handled one at a time, in order, as the hub handles them, and
the response is handed to the client without waiting for the broker's acknowledgement, as the
hub's sender does. Nothing else: no domain logic, no state, no other messages.

Run by the benchmarks as its own process (like the hub):
    python -m bench.baseline --mqtt 127.0.0.1:1883 --redis redis://127.0.0.1:6379/0 --hall x
It publishes a retained `hall/<id>/hub/status` `{"state":"online"}` once it is subscribed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal

import redis.asyncio as redis

from .load import mqtt_client

SCRIPT = """
local n = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], n, ARGV[1])
local response = cjson.encode({id = ARGV[2], ok = true, result = {n = n}})
redis.call('SET', KEYS[3], response, 'EX', 86400)
return response
"""


async def serve(host: str, port: int, redis_url: str, hall_id: str) -> None:
    """Answer requests until cancelled."""
    store = redis.from_url(redis_url, decode_responses=False)
    script = store.register_script(SCRIPT)
    tag = f"{{bench:{hall_id}}}"
    prefix = f"hall/{hall_id}/dev/"
    in_flight: set[asyncio.Task[None]] = set()
    try:
        async with mqtt_client(host, port, f"baseline-{hall_id}") as client:
            await client.subscribe(f"{prefix}+/req", qos=1)
            await client.publish(
                f"hall/{hall_id}/hub/status", b'{"state":"online"}', qos=1, retain=True
            )
            async for message in client.messages:
                device = message.topic.value[len(prefix) :].split("/", 1)[0]
                payload = message.payload if isinstance(message.payload, bytes) else b""
                try:
                    request_id = str(json.loads(payload)["id"])
                except (ValueError, KeyError, TypeError):
                    continue
                response = await script(
                    keys=[f"{tag}:n", f"{tag}:log", f"{tag}:res:{device}:{request_id}"],
                    args=[payload, request_id],
                )
                task = asyncio.create_task(
                    client.publish(f"{prefix}{device}/res", response, qos=1, timeout=30)
                )
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
    finally:
        await store.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.baseline",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--mqtt", required=True, help="host:port of the broker")
    parser.add_argument("--redis", required=True, help="redis:// URL")
    parser.add_argument("--hall", required=True, help="the hall id whose requests to answer")
    args = parser.parse_args()
    host, _, port = args.mqtt.rpartition(":")

    async def run() -> None:
        main_task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: main_task.cancel() if main_task else None)
        await serve(host, int(port), args.redis, args.hall)

    with contextlib.suppress(asyncio.CancelledError, KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
