"""A page acting as a device and the same device over MQTT go through one request path: the
same refusals, counted in the same metrics."""

from __future__ import annotations

from typing import Any

import aiohttp

from hall.hub.runtime import Running
from tests.integration.contract_client import ContractClient
from tests.integration.payloads import envelope

from .conftest import device_page

COUNTED = ("hall_bad_payloads_total", "hall_requests_total", "hall_request_seconds_count")
NO_ID = "[1, 2]"  # no id to answer: dropped


def not_json(request_id: str) -> str:
    return '{"id": "' + request_id + '", "op": '


async def counts(http: aiohttp.ClientSession, hub: Running) -> dict[str, float]:
    """The request metrics' samples, as /metrics shows them."""
    async with http.get(hub.http_url + "/metrics") as response:
        assert response.status == 200
        text = await response.text()
    found: dict[str, float] = {}
    for line in text.splitlines():
        sample, _, value = line.rpartition(" ")
        if sample.startswith(COUNTED):
            found[sample] = float(value)
    return found


def change(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: v - before.get(k, 0.0) for k, v in after.items() if v != before.get(k, 0.0)}


def without_id(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k not in ("id", "type")}


async def test_the_page_bridge_and_mqtt_refuse_alike_and_count_alike(
    web_hub: Running, mqtt: ContractClient, http: aiohttp.ClientSession
) -> None:
    start = await counts(http, web_hub)
    await mqtt.send_raw("kiosk-1", NO_ID)
    over_mqtt = [
        await mqtt.request_raw("kiosk-1", not_json("m1"), "m1"),
        await mqtt.request_raw("kiosk-1", envelope("m2", "call.next"), "m2"),
    ]
    after_mqtt = await counts(http, web_hub)

    async with device_page(http, web_hub, "kiosk-1") as (ws, page):
        await ws.send_str(NO_ID)
        await ws.send_str(not_json("w1"))
        first = await page.next("response")
        await ws.send_str(envelope("w2", "call.next"))
        over_ws = [first, await page.next("response")]
    after_ws = await counts(http, web_hub)

    expected = {
        'hall_bad_payloads_total{answered="no"}': 1.0,
        'hall_bad_payloads_total{answered="yes"}': 1.0,
        'hall_requests_total{code="forbidden",op="call.next"}': 1.0,
        "hall_request_seconds_count": 3.0,
    }
    assert change(start, after_mqtt) == expected
    assert change(after_mqtt, after_ws) == expected
    assert [r["id"] for r in over_ws] == ["w1", "w2"]
    assert over_ws[0]["error"]["code"] == "bad_request"
    assert over_ws[1]["error"]["code"] == "forbidden"
    assert [without_id(r) for r in over_ws] == [without_id(r) for r in over_mqtt]
