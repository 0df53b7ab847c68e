"""The hub never stops on bad input: floods of garbage, health and metrics over HTTP."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hall.hub.runtime import Running
from tests.support import eventually, write_hall_config

from .contract_client import ContractClient
from .halls import hall_with_client

pytestmark = pytest.mark.usefixtures("redis_client")

MAX_PAYLOAD = 16 * 1024
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=5)
FLOOD_TIMEOUT_S = 30.0  # for the first answers after a flood: the hub takes it all in order
OUTAGE_S = 20.0  # for an answer while the store is down or coming back


async def http_get(url: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as session,
        session.get(url) as response,
    ):
        return response.status, await response.text()


def metric_total(exposition: str, name: str) -> float:
    """The sum of a metric's samples over all its labels (0 when it has none yet)."""
    total = 0.0
    for line in exposition.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        sample, _, value = line.rpartition(" ")
        if sample == name or sample.startswith(name + "{"):
            total += float(value)
    return total


async def bad_payload_count(running: Running) -> float:
    status, text = await http_get(running.http_url + "/metrics")
    assert status == 200, text
    return metric_total(text, "hall_bad_payloads_total")


def garbage(rng: random.Random) -> tuple[list[bytes], list[str]]:
    """300 bad payloads of mixed kinds, shuffled; and the ids the hub can read in them."""
    payloads: list[bytes] = []
    answered: list[str] = []
    # Random bytes.
    for _ in range(100):
        payloads.append(rng.randbytes(rng.randint(16, 4096)))
    # Huge: no id, and with a readable id at the front.
    for n in range(20):
        size = rng.randint(MAX_PAYLOAD + 1, 1024 * 1024)
        if n % 2:
            rid = f"huge-{n}"
            answered.append(rid)
            head = f'{{"id":"{rid}","op":"ticket.take","args":{{"service":"A","x":"'.encode()
            payloads.append(head + b"x" * size + b'"}}')
        else:
            payloads.append(b'{"op":"ticket.take","x":"' + b"y" * size + b'"}')
    # Deep nesting, 10 000 levels.
    for n in range(30):
        if n % 3 == 0:
            payloads.append(b"[" * 10_000 + b"]" * 10_000)
        elif n % 3 == 1:
            payloads.append(b'{"a":' * 10_000 + b"1" + b"}" * 10_000)
        else:
            rid = f"deep-{n}"
            answered.append(rid)
            head = f'{{"id":"{rid}","op":"ticket.take","args":'.encode()
            payloads.append(head + b"[" * 10_000 + b"]" * 10_000 + b"}")
    # Invalid UTF-8: on its own, and inside an otherwise good request with its id readable.
    for n in range(50):
        if n % 2:
            rid = f"utf8-{n}"
            answered.append(rid)
            payloads.append(
                f'{{"id":"{rid}","op":"ticket.take","args":{{"service":"'.encode()
                + bytes([0xC0 + n % 32, 0xFF, 0xFE])
                + b'"}}'
            )
        else:
            payloads.append(bytes([0xFF, 0xFE, 0xC3, 0x28, n]) + rng.randbytes(n))
    # JSON that is not an object, or has no usable id.
    shapes: list[Any] = [
        [1, 2],
        "str",
        42,
        None,
        True,
        {"op": "ticket.take", "args": {"service": "A"}},
        {"id": 5, "op": "ticket.take"},
        {"id": "", "op": "ticket.take"},
        {"id": "z" * 65, "op": "ticket.take"},
        {"id": {"x": 1}, "op": "ticket.take"},
    ]
    for n in range(50):
        payloads.append(json.dumps(shapes[n % len(shapes)]).encode())
    # Truncated or broken JSON with a readable id; and envelopes with a bad op or args.
    for n in range(50):
        rid = f"broken-{n}"
        answered.append(rid)
        broken = [
            f'{{"id":"{rid}", "op": ',
            f'{{"id":"{rid}","op":"ticket.take","args":{{"service":"A",}}}}',
            f'{{"id":"{rid}","op":7}}',
            f'{{"id":"{rid}","op":"ticket.take","args":[1]}}',
            f'{{"id":"{rid}"}}',
        ][n % 5]
        payloads.append(broken.encode())
    assert len(payloads) == 300
    rng.shuffle(payloads)
    return payloads, answered


async def test_a_flood_of_garbage_leaves_the_hub_answering(
    hub: Running, client: ContractClient
) -> None:
    c = client
    payloads, answered = garbage(random.Random(20_240_601))
    devices = ("kiosk-1", "pad-1", "ghost-1")
    before = await bad_payload_count(hub)
    for n, payload in enumerate(payloads):
        await c.send_raw(devices[n % len(devices)], payload)

    # The hub takes each device's requests in order: these come after all the garbage.
    taken = await c.request("kiosk-1", "ticket.take", {"service": "A"}, timeout=FLOOD_TIMEOUT_S)
    assert taken["ok"], taken
    assert taken["result"]["ticket"]["no"] == "A001"  # the garbage carried nothing out
    opened = await c.request("pad-1", "window.open", {"staff": "S001"}, timeout=FLOOD_TIMEOUT_S)
    assert opened["ok"] and opened["result"]["window"]["state"] == "open", opened
    ghost = await c.request("ghost-1", "ticket.status", {"no": "A001"}, timeout=FLOOD_TIMEOUT_S)
    assert ghost["error"]["code"] == "unknown_device", ghost

    # Every payload with a readable id got bad_request, on the topic it came in on.
    responses: dict[str, dict[str, Any]] = {}
    for device in devices:
        for response in c.messages[c.topic("res", device)]:
            responses[response["id"]] = response
    for rid in answered:
        assert rid in responses, f"no answer to {rid}"
        assert responses[rid]["ok"] is False, responses[rid]
        assert responses[rid]["error"]["code"] == "bad_request", responses[rid]
    assert set(responses) == {*answered, taken["id"], opened["id"], ghost["id"]}

    assert await bad_payload_count(hub) == before + len(payloads)
    status, text = await http_get(hub.http_url + "/healthz")
    assert status == 200, text
    assert json.loads(text)["status"] == "ok"
    # Still fully working.
    assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A001"


async def test_healthz_and_metrics(hub: Running, client: ContractClient) -> None:
    c = client
    await c.ok("kiosk-1", "ticket.take", {"service": "A"})
    status, text = await http_get(hub.http_url + "/healthz")
    assert status == 200, text
    health = json.loads(text)
    assert health["status"] == "ok"
    status, text = await http_get(hub.http_url + "/metrics")
    assert status == 200
    assert "# TYPE hall_bad_payloads_total counter" in text
    assert metric_total(text, "hall_bad_payloads_total") == 0
    assert 'hall_mqtt_stalls{kind="delivery"} 0' in text
    # Counters without labels have a value from the start, before anything is counted.
    assert "\nhall_requests_shed_total 0\n" in text
    assert "\nhall_forecasts_dropped_total 0\n" in text


async def test_the_hub_checks_that_the_broker_still_delivers_to_it(
    hub: Running, client: ContractClient
) -> None:
    # Its probe goes round through the broker on a topic of its own, as JSON.
    probes = f"{client.root}/hub/probe/"

    def probed() -> list[Any]:
        return [d for t, ds in client.messages.items() if t.startswith(probes) for d in ds]

    await eventually(lambda: len(probed()) >= 2, "two probes", timeout=10)
    assert all(isinstance(d, dict) and set(d) == {"probe"} for d in probed()), probed()
    # Each came back to the hub: none missed, no connection dropped.
    _status, text = await http_get(hub.http_url + "/metrics")
    assert 'hall_mqtt_stalls{kind="delivery"} 0' in text
    assert 'hall_mqtt_stalls{kind="ack"} 0' in text
    assert "hall_mqtt_superseded_total " in text


async def test_garbage_on_status_topics_leaves_the_hub_answering(
    hub: Running, client: ContractClient
) -> None:
    c = client
    for payload in (
        b"\xff\xfe",
        b"[" * 10_000 + b"]" * 10_000,
        b"[" * 5_000 + b"]" * 5_000,
        b"42",
        b'{"state": 5}',
        b"x" * 100_000,
    ):
        await c.client.publish(c.topic("status", "kiosk-1"), payload, qos=1)
        await c.client.publish(c.topic("status", "ghost-1"), payload, qos=1)
    assert (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]["no"] == "A001"
    status, text = await http_get(hub.http_url + "/healthz")
    assert status == 200 and json.loads(text)["status"] == "ok", text


async def burst(c: ContractClient, messages: list[tuple[str, bytes | str]]) -> None:
    """Publish all at once (not one acknowledgement at a time), so that the hub receives
    them together, in one batch."""
    await asyncio.gather(*(c.client.publish(topic, body, qos=1) for topic, body in messages))


@pytest.mark.parametrize(
    ("bad_topic", "bad_payload"),
    [
        pytest.param(
            "status",
            b'{"state":"online","x":' + b"[" * 3_000 + b"]" * 3_000 + b"}",
            id="status-nested-too-deeply",
        ),
        pytest.param("req", r'{"id":"\ud800","op":"ticket.status","args":{}}', id="id-not-text"),
    ],
)
async def test_a_bad_payload_loses_none_of_the_requests_that_came_with_it(
    hub: Running, client: ContractClient, bad_topic: str, bad_payload: bytes | str
) -> None:
    """Payloads that arrive together are handled together: one the hub cannot read (a status
    nested too deeply for the JSON parser, a request id that is no text an answer can carry)
    is dropped and counted, and never takes the requests of the same batch with it."""
    c = client
    before = await bad_payload_count(hub)
    ids = [f"batch-{i}" for i in range(60)]
    messages: list[tuple[str, bytes | str]] = []
    for request_id in ids:
        messages.append((c.topic(bad_topic, "kiosk-1"), bad_payload))
        body = {"id": request_id, "op": "ticket.status", "args": {"no": "Z999"}}
        messages.append((c.topic("req", "pad-1"), json.dumps(body)))
    await burst(c, messages)
    for request_id in ids:
        answer = await c.wait_for(c.topic("res", "pad-1"), lambda d, r=request_id: d["id"] == r)
        assert answer["ok"] is False and answer["error"]["code"] == "not_found", answer
    assert c.since(c.topic("res", "kiosk-1"), 0) == [], "a payload without a usable id answered"
    if bad_topic == "req":
        assert await bad_payload_count(hub) == before + len(ids)


async def test_deep_nesting_within_16_kib_is_a_bad_payload(
    hub: Running, client: ContractClient
) -> None:
    c = client
    before = await bad_payload_count(hub)
    deep = "[" * 5_000 + "]" * 5_000
    with_id = '{"id":"deep-1","op":"ticket.take","args":{"service":"A","x":' + deep + "}}"
    assert len(with_id.encode()) <= MAX_PAYLOAD
    response = await c.answer_then_probe("kiosk-1", with_id, "deep-1")
    assert response is not None, "no answer to deep-1"
    assert response["ok"] is False and response["error"]["code"] == "bad_request", response
    await c.assert_dropped("kiosk-1", deep)
    assert await bad_payload_count(hub) == before + 2


@pytest.mark.parametrize(
    ("device", "payload"),
    [
        pytest.param(
            "pad-1", r'{"id":"s1","op":"window.open","args":{"staff":"\ud800"}}', id="staff"
        ),
        pytest.param(
            "kiosk-1",
            r'{"id":"s1","op":"ticket.take","args":{"service":"A","appointment":"\udfff"}}',
            id="appointment",
        ),
    ],
)
async def test_a_lone_surrogate_in_an_argument_is_a_bad_request(
    hub: Running, client: ContractClient, device: str, payload: str
) -> None:
    c = client
    response = await c.answer_then_probe(device, payload, "s1")
    assert response is not None, "no answer to s1"
    assert response["ok"] is False and response["error"]["code"] == "bad_request", response


async def test_a_store_outage_is_unavailable_and_the_same_id_succeeds_later(
    tmp_path: Path, hall_id: str, mqtt_url: str, private_redis: Any
) -> None:
    """`unavailable` (with a retry hint) once the outage outlasts the hold: the hub cannot
    commit; the device retries with the same id and the request is carried out once when the
    store is back."""
    store = private_redis("--appendonly yes")
    config = write_hall_config(tmp_path, hall_id, mqtt_url, store.url)
    async with hall_with_client(config, hall_id) as (_running, c):
        assert (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]["no"] == "A001"
        store.stop()
        failed = await c.request(
            "kiosk-1", "ticket.take", {"service": "A"}, request_id="t-out", timeout=OUTAGE_S
        )
        assert failed["ok"] is False and failed["error"]["code"] == "unavailable", failed
        assert failed["error"]["message"] and failed["error"]["retry_after_s"] > 0, failed
        store.start()
        retried = await c.request(
            "kiosk-1", "ticket.take", {"service": "A"}, request_id="t-out", timeout=OUTAGE_S
        )
        assert retried["ok"] and retried["result"]["ticket"]["no"] == "A002", retried
        again = await c.request(
            "kiosk-1", "ticket.take", {"service": "A"}, request_id="t-out", timeout=OUTAGE_S
        )
        assert again == retried
        assert (await c.ok("kiosk-2", "ticket.take", {"service": "A"}))["ticket"]["no"] == "A003"
