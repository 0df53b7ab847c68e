"""Rate and size limits on /api/*, against a real hub, as the OpenAPI document says them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import jsonschema
import pytest

from hall.hub.runtime import Running
from hall.web.limits import API_MAX_BODY_BYTES, TokenBuckets
from hall.web.openapi import OPENAPI
from tests.integration.conftest import running_hub
from tests.support import write_hall_config

TOKEN = "limits-token-0123456789"
BURST = 3


@pytest.fixture
async def limited_hub(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str
) -> AsyncIterator[Running]:
    # One request every 100 s refills: within a test, the burst is all there is.
    path = write_hall_config(
        tmp_path,
        hall_id,
        mqtt_url,
        redis_url,
        http={"api_rate_per_s": 0.01, "api_burst": BURST},
        api_clients=[{"id": "office", "token": TOKEN}],
    )
    async with running_hub(path) as running:
        yield running


def session_from(source: str) -> aiohttp.ClientSession:
    """A client whose connections come from `source` (any 127.x address is this machine)."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(source, 0)))


def check_documented(path: str, method: str, status: int, body: object, headers: dict) -> None:
    answer = OPENAPI["paths"][path][method]["responses"][str(status)]
    schema = dict(OPENAPI["components"]["schemas"]["Error"])
    jsonschema.validate(body, schema)
    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    for name, header in answer.get("headers", {}).items():
        jsonschema.validate(int(headers[name]), header["schema"])


async def test_each_address_has_its_own_budget(limited_hub: Running) -> None:
    url = limited_hub.http_url + "/api/services"
    async with session_from("127.0.0.1") as first, session_from("127.0.0.2") as second:
        for _ in range(BURST):
            async with first.get(url) as response:
                assert response.status == 200
        async with first.get(url) as response:
            assert response.status == 429
            retry_after = int(response.headers["Retry-After"])
            assert retry_after >= 1
            body = await response.json()
            assert body["error"]["code"] == "rate_limited"
            check_documented("/api/services", "get", 429, body, dict(response.headers))
        async with second.get(url) as response:
            assert response.status == 200


async def test_an_api_client_has_one_budget_whatever_its_address(limited_hub: Running) -> None:
    url = limited_hub.http_url + "/api/appointments"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    statuses = []
    for n in range(BURST + 1):
        async with session_from(f"127.0.0.{10 + n}") as http:
            async with http.get(url, headers=auth) as response:
                statuses.append(response.status)
                if response.status == 429:
                    check_documented(
                        "/api/appointments",
                        "get",
                        429,
                        await response.json(),
                        dict(response.headers),
                    )
    assert statuses == [200] * BURST + [429]


async def test_a_body_over_16_kib_is_413_in_the_apis_own_words(web_hub: Running) -> None:
    big = json.dumps({"code": "x" * (API_MAX_BODY_BYTES + 10), "service": "A"})
    async with aiohttp.ClientSession() as http:
        async with http.post(
            web_hub.http_url + "/api/appointments",
            data=big,
            headers={"Content-Type": "application/json", "Authorization": "Bearer x"},
        ) as response:
            assert response.status == 413
            body = await response.json()
            assert body["error"]["code"] == "too_large"
            check_documented("/api/appointments", "post", 413, body, dict(response.headers))


def test_every_api_operation_documents_429_with_retry_after() -> None:
    for path, item in OPENAPI["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            answer = operation["responses"]["429"]
            assert "Retry-After" in answer["headers"], (path, method)


def test_a_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(rate=2.0, burst=2, clock=lambda: now[0], max_keys=2)
    assert buckets.take("a") == 0 and buckets.take("a") == 0
    assert buckets.take("a") == pytest.approx(0.5)
    now[0] = 0.5
    assert buckets.take("a") == 0  # one token back after half a second
    assert buckets.take("b") == 0 and buckets.take("c") == 0  # "a", the oldest, is forgotten
    assert buckets.take("a") == 0
