"""A day of the hall with ID cards, appointments and citizens' names, and a scan of everything
it let out: no full ID number and no unmasked name anywhere.

Scanned: every MQTT payload (retained or not) a wildcard subscriber saw, the broker's
persistence file, every log line of the process (hub, gateway, devices), every HTTP response
and WebSocket message of the pages and API routes used, every webhook body the reference back
office received, and every value stored under the hall's keys in Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import aiomqtt
import pytest
import redis.asyncio as aredis
from aiohttp import web

from devices.gateway import Gateway
from devices.gateway_config import load_gateway_config
from hall.contract.device import DeviceLink
from hall.hub.runtime import Running
from portal_link.reference import BackOffice, make_app
from tests.conftest import PrivateMosquittoFactory
from tests.devices.fakes import FakeIdReader, card_text
from tests.devices.ptys import Pty
from tests.support import eventually, free_port, hall_document, write_hall_config

from .conftest import running_hub
from .privacy_scan import Corpus, Scanner

pytestmark = pytest.mark.integration

TOKEN = "portal-token-0123456789"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
HASH_KEY = "hall-id-hash-key-0123"
# (ID number, name, booked service or None for a walk-in, how the card comes to the hall)
CARD, SEALED, PLAIN_WS, UNBOOKED = (
    ("11010519491231002X", "张三丰", "B"),  # on kiosk-1's card reader (the gateway)
    ("440106198705201234", "欧阳娜娜", "A"),  # sealed by kiosk-2 (a contract device)
    ("310104200001011237", "李四", "C"),  # plain id_no over the web kiosk's WebSocket
    ("510107197709090418", "王小明", None),  # a walk-in with a card: no booking
)
PEOPLE = (CARD, SEALED, PLAIN_WS, UNBOOKED)
READER_KIOSKS = ("kiosk-1", "kiosk-2", "web-kiosk")


def test_the_scanner_finds_every_form_of_a_leak() -> None:
    scanner = Scanner(tuple(p[0] for p in PEOPLE), tuple(p[1] for p in PEOPLE))
    for leak in (
        "id=11010519491231002X",
        "110105 19491231 002X",
        "110105-1949-1231-002x",
        '{"name":"欧阳娜娜"}',
        json.dumps({"name": "李四"}),  # \u674e\u56db
        "王小明来了".encode(),
    ):
        assert scanner.finds(leak), leak
    for fine in ("张*丰", "欧**娜", "李*", "110*************2X", "1101051949123100", "A001"):
        assert not scanner.finds(fine), fine


@contextlib.asynccontextmanager
async def back_office(bodies: list[bytes]) -> AsyncIterator[str]:
    """The reference back office on a free port; every body it is sent lands in `bodies`."""

    @web.middleware
    async def keep_body(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        bodies.append(await request.read())
        return await handler(request)

    office = BackOffice(SECRET)
    app = make_app(office)
    app.middlewares.append(keep_body)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/hall-api"
    finally:
        await runner.cleanup()


async def record_broker(host: str, port: int, corpus: Corpus, ready: asyncio.Event) -> None:
    """A wildcard subscriber: every payload on the broker, retained ones included."""
    async with aiomqtt.Client(host, port, identifier="privacy-wildcard") as client:
        await client.subscribe("#", qos=1)
        ready.set()
        async for message in client.messages:
            payload = message.payload if isinstance(message.payload, bytes) else b""
            retained = "retained " if message.retain else ""
            corpus.add(f"mqtt:{retained}{message.topic}", payload)


async def dump_redis(redis_url: str, hall_id: str, corpus: Corpus) -> int:
    """Every value under the hall's keys, which are then deleted; how many keys there were."""
    client = aredis.Redis.from_url(redis_url, decode_responses=False)
    try:
        keys = [k async for k in client.scan_iter(match=f"{{hall:{hall_id}}}*", count=500)]
        for key in keys:
            kind = (await client.type(key)).decode()
            value: Any
            if kind == "string":
                value = await client.get(key)
            elif kind == "hash":
                value = await client.hgetall(key)
            elif kind == "stream":
                value = await client.xrange(key)
            elif kind == "set":
                value = await client.smembers(key)
            elif kind == "list":
                value = await client.lrange(key, 0, -1)
            else:
                value = await client.zrange(key, 0, -1, withscores=True)
            corpus.add(f"redis:{key.decode()}", key + b" " + repr(value).encode())
            corpus.add(f"redis:{key.decode()}", _decoded(value))
        if keys:
            await client.delete(*keys)
        return len(keys)
    finally:
        await client.aclose()


def _decoded(value: Any) -> str:
    """A stored value as text, so names in UTF-8 are seen as such (repr escapes them)."""

    def text(v: Any) -> str:
        if isinstance(v, bytes):
            return v.decode("utf-8", "replace")
        if isinstance(v, dict):
            return " ".join(f"{text(k)}={text(x)}" for k, x in v.items())
        if isinstance(v, list | tuple | set):
            return " ".join(text(x) for x in v)
        return str(v)

    return text(value)


class Web:
    """The pages and API of the hub, every answer kept in the corpus."""

    def __init__(self, hub: Running, http: aiohttp.ClientSession, corpus: Corpus) -> None:
        self.hub, self.http, self.corpus = hub, http, corpus

    async def get(self, path: str, auth: bool = False) -> int:
        headers = {"Authorization": f"Bearer {TOKEN}"} if auth else {}
        async with self.http.get(self.hub.http_url + path, headers=headers) as response:
            self.corpus.add(f"http:GET {path}", await response.read())
            self.corpus.add(f"http:GET {path} headers", str(dict(response.headers)))
            return response.status

    async def book(self, code: str, service: str, name: str, id_no: str) -> None:
        now = time.time()
        body: dict[str, Any] = {
            "code": code,
            "service": service,
            "slot_start": datetime.fromtimestamp(now - 60, UTC).isoformat(),
            "slot_end": datetime.fromtimestamp(now + 3600, UTC).isoformat(),
            "name": name,
            "id_no": id_no,  # the back office may send the number: hashed at once
        }
        headers = {"Authorization": f"Bearer {TOKEN}"}
        url = f"{self.hub.http_url}/api/appointments"
        async with self.http.post(url, json=body, headers=headers) as response:
            self.corpus.add(f"http:POST /api/appointments {code}", await response.read())
            assert response.status == 201

    async def kiosk_requests(self, device: str, requests: list[dict[str, Any]]) -> list[Any]:
        """Requests of a kiosk page over its WebSocket; their responses."""
        url = f"{self.hub.http_url}/ws/device/{device}"
        answers: list[Any] = []
        async with self.http.ws_connect(url, origin=self.hub.http_url) as ws:
            for n, args in enumerate(requests):
                await ws.send_str(json.dumps({"id": f"w{n}", "op": "ticket.take", "args": args}))
                while True:
                    raw = await asyncio.wait_for(ws.receive_str(), 10)
                    self.corpus.add(f"ws:/ws/device/{device}", raw)
                    message = json.loads(raw)
                    if message.get("type") == "response" and message.get("id") == f"w{n}":
                        answers.append(message)
                        break
        return answers


async def serve_everyone(pad: DeviceLink) -> list[str]:
    """Window 4 (every service) calls, serves and rates everyone waiting: the tickets."""
    await pad.call("window.open", {"staff": "S4"})
    served: list[str] = []
    while (called := (await pad.call("call.next"))["ticket"]) is not None:
        await pad.call("ticket.start")
        await pad.call("ticket.finish")
        await pad.call("eval.submit", {"ticket": called["no"], "level": 5})
        served.append(called["no"])
    return served


async def test_a_day_of_the_hall_leaks_no_id_number_and_no_name(
    tmp_path: Path,
    hall_id: str,
    redis_url: str,
    private_mosquitto: PrivateMosquittoFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    scanner = Scanner(tuple(p[0] for p in PEOPLE), tuple(p[1] for p in PEOPLE))
    corpus = Corpus(scanner)
    broker = private_mosquitto("persistence true\nautosave_interval 1")
    bodies: list[bytes] = []
    reader_pty = Pty()
    reader = FakeIdReader(reader_pty)
    async with back_office(bodies) as portal_url:
        devices = hall_document(hall_id, broker.url, redis_url)["devices"]
        config = write_hall_config(
            tmp_path,
            hall_id,
            broker.url,
            redis_url,
            portal={"url": portal_url, "secret": SECRET},
            api_clients=[{"id": "portal", "token": TOKEN}],
            appointments={"id_hash_key": HASH_KEY, "early_s": 1800},
            devices=[{**d, "id_reader": d["id"] in READER_KIOSKS} for d in devices],
        )
        gateway_file = tmp_path / "gateway.toml"
        gateway_file.write_text(
            f'[gateway]\nhall = "{hall_id}"\nbroker = "{broker.url}"\n\n'
            f'[[serial]]\nport = "{reader_pty.name}"\nbaud = 115200\nprotocol = "idcard"\n'
            'device = "kiosk-1"\noptions = { poll_interval_s = 0.05 }\n',
            encoding="utf-8",
        )
        subscribed = asyncio.Event()
        async with (
            running_hub(config) as hub,
            aiohttp.ClientSession() as http,
            asyncio.TaskGroup() as group,
        ):
            wildcard = group.create_task(
                record_broker(broker.host, broker.port, corpus, subscribed)
            )
            await asyncio.wait_for(subscribed.wait(), 10)
            assert hub.relay is not None
            relay = group.create_task(hub.relay.run())
            site = Web(hub, http, corpus)
            for n, (id_no, name, service) in enumerate(PEOPLE):
                if service is not None:
                    await site.book(f"BK{n}", service, name, id_no)

            # kiosk-1: the card on its reader, sealed by the gateway's ID card driver.
            gateway = await Gateway.create(load_gateway_config(gateway_file))
            gateway_task = group.create_task(gateway.run())
            await gateway.ready()
            reader.card = card_text(name=CARD[1], id_number=CARD[0])
            driver = gateway.drivers[0]
            await eventually(lambda: len(getattr(driver, "tickets", ())) == 1, news=driver.news)

            # kiosk-2 and pad-4: contract devices; kiosk-2 seals the numbers it sends.
            kiosk = DeviceLink(hub.endpoint, hall_id, "kiosk-2")
            pad = DeviceLink(hub.endpoint, hall_id, "pad-4")
            links = [group.create_task(link.run()) for link in (kiosk, pad)]
            for link in (kiosk, pad):
                await asyncio.wait_for(link.link.connected.wait(), 10)
            booked = await kiosk.call("ticket.take", {"id_sealed": await kiosk.seal_id(SEALED[0])})
            walk_in = await kiosk.call(
                "ticket.take", {"service": "A", "id_sealed": await kiosk.seal_id(UNBOOKED[0])}
            )
            assert booked["ticket"]["appointment"]["code"] == "BK1"
            assert "appointment" not in walk_in["ticket"]

            # The web kiosk: a plain number (still accepted), and one typed as a booking code.
            plain, typed = await site.kiosk_requests(
                "web-kiosk", [{"id_no": PLAIN_WS[0]}, {"appointment": PLAIN_WS[0]}]
            )
            assert plain["result"]["ticket"]["appointment"]["code"] == "BK2"
            assert typed["error"]["code"] == "not_found"

            served = await serve_everyone(pad)
            assert len(served) == 4
            await eventually(lambda: len(bodies) >= 2 * len(served), "cases and ratings relayed")

            for path in ("/screen", "/kiosk/web-kiosk", "/pad/pad-4", "/login", "/dashboard"):
                await site.get(path)
            for no in served:
                assert await site.get(f"/t/{no}") == 200
                await site.get(f"/t/{no}/qr.svg")
                await site.get(f"/api/public/tickets/{no}")
                assert await site.get(f"/api/tickets/{no}", auth=True) == 200
            assert await site.get("/api/appointments", auth=True) == 200
            for path in ("/api/services", "/healthz", "/metrics", "/api/openapi.json"):
                await site.get(path)
            await site.get("/api/asyncapi.json")
            async with http.ws_connect(f"{hub.http_url}/ws/screen", origin=hub.http_url) as ws:
                corpus.add("ws:/ws/screen", await asyncio.wait_for(ws.receive_str(), 10))

            stored_keys = await dump_redis(redis_url, hall_id, corpus)
            gateway_task.cancel()
            for task in (*links, wildcard, relay):
                task.cancel()
    reader_pty.close()
    broker.stop()  # SIGTERM: Mosquitto writes its persistence file
    persisted = broker.data_dir / "mosquitto.db"
    corpus.add("broker:mosquitto.db", persisted.read_bytes())
    corpus.add("log:captured", caplog.text)
    for body in bodies:
        corpus.add("webhook:body", body)

    # Each kind of place was really scanned, with what it should hold.
    assert corpus.places() == {"mqtt", "http", "ws", "redis", "broker", "log", "webhook"}
    assert stored_keys >= 5 and b"hub/key" in persisted.read_bytes()
    assert "张*丰" in caplog.text  # the logs name people masked
    assert any(where.startswith("mqtt:retained") for where, _ in corpus.items)
    assert corpus.leaks() == []
    # And the scan would have seen a leak in any of them.
    for where, data in list(corpus.items)[:: max(1, len(corpus.items) // 20)]:
        planted = Corpus(scanner, [(where, data + b" 440106-19870520-1234 ")])
        assert planted.leaks() == [f"{where}: ID number 440…34"]
