"""/ws/ticket/<no>, the phone's ticket page, against a real hub: one ticket's public view on
connect and on each change, nothing personal, and the bounds on who may open how many."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hall.cli.main import main
from hall.contract.config import check_config_text
from hall.contract.config_endpoints import http_warnings
from hall.hub.runtime import Running
from hall.web.live_ticket import MAX_PER_TICKET
from tests.integration.conftest import running_hub
from tests.integration.contract_client import ContractClient
from tests.integration.halls import online_client
from tests.support import DEMO_HALL, write_hall_config

from .conftest import closed_by_hub, next_message, ws_url

# What the public view may hold: the contract's Ticket and the names of where it is.
PUBLIC_KEYS = {
    *("no", "service", "priority", "state", "issued_at", "window", "recalls", "ahead", "eta_s"),
    *("called_at", "started_at", "finished_at", "outcome", "visit", "for_window"),
    *("service_name", "hall_name", "window_name"),
}


async def test_a_phone_is_sent_its_ticket_as_it_changes(
    web_hub: Running, mqtt: ContractClient, http: aiohttp.ClientSession
) -> None:
    await mqtt.ok("kiosk-1", "ticket.take", {"service": "A", "id_no": "110101199003077777"})
    await mqtt.ok("kiosk-1", "ticket.take", {"service": "A"})
    async with http.ws_connect(ws_url(web_hub, "/ws/ticket/A002")) as ws:
        page = await next_message(ws, "page")
        assert page == {
            "type": "page",
            "url": f"{web_hub.http_url}/t/A002",  # no public_url: the address it was opened at
            "alert_ahead": 3,
            "timezone": "Asia/Shanghai",
        }
        first = await next_message(ws, "ticket")
        async with http.get(f"{web_hub.http_url}/api/public/tickets/A002") as response:
            assert first["ticket"] == (await response.json())["ticket"]  # the same view
        assert first["ticket"]["state"] == "waiting" and first["ticket"]["ahead"] == 1

        await mqtt.ok("pad-1", "window.open", {"staff": "S001"})
        await mqtt.ok("pad-1", "call.next")  # A001: one fewer ahead
        closer = await next_message(ws, "ticket", lambda m: m["ticket"]["ahead"] == 0)
        assert closer["ticket"]["state"] == "waiting"
        await mqtt.ok("pad-1", "call.no_show")
        await mqtt.ok("pad-1", "call.next")
        called = await next_message(ws, "ticket", lambda m: m["ticket"]["state"] == "called")
        assert called["ticket"]["window"] == "1" and called["ticket"]["window_name"] == "1号窗口"
        assert set(called["ticket"]) <= PUBLIC_KEYS
        await mqtt.ok("pad-1", "call.recall")
        recalled = await next_message(ws, "ticket", lambda m: m["ticket"]["recalls"] == 1)
        assert recalled["ticket"]["state"] == "called"

    # The first ticket's view names nobody: the ID number given at the kiosk is not in it.
    async with http.ws_connect(ws_url(web_hub, "/ws/ticket/A001")) as ws:
        gone = await next_message(ws, "ticket")
        assert gone["ticket"]["state"] == "no_show"
        assert set(gone["ticket"]) <= PUBLIC_KEYS
        assert "7777" not in str(gone)


async def test_an_unknown_ticket_is_told_and_closed_and_a_bad_number_refused(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(ws_url(web_hub, "/ws/ticket/Z999")) as ws:
        assert await next_message(ws, "not_found") == {"type": "not_found", "no": "Z999"}
        assert await closed_by_hub(ws)
        assert ws.close_code == 1000
    for bad in ("A1", "a001", "A0001", "A%D9%A1%D9%A2%D9%A3"):  # the last: A١٢٣
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(ws_url(web_hub, f"/ws/ticket/{bad}"))
        assert refused.value.status == 404


async def test_foreign_pages_and_too_many_sockets_are_refused(
    web_hub: Running, mqtt: ContractClient, http: aiohttp.ClientSession
) -> None:
    await mqtt.ok("kiosk-1", "ticket.take", {"service": "A"})
    url = ws_url(web_hub, "/ws/ticket/A001")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(url, origin="https://evil.example")
    assert refused.value.status == 403
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(MAX_PER_TICKET):
            ws = await stack.enter_async_context(http.ws_connect(url, origin=web_hub.http_url))
            await next_message(ws, "ticket")
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(url)
        assert refused.value.status == 429
    # Closed again: the ticket may be followed anew.
    async with http.ws_connect(url) as ws:
        assert (await next_message(ws, "ticket"))["ticket"]["no"] == "A001"


@contextlib.asynccontextmanager
async def slow_hall(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str, **overrides: Any
) -> AsyncIterator[Running]:
    path = write_hall_config(tmp_path, hall_id, mqtt_url, redis_url, **overrides)
    async with running_hub(path) as running:
        yield running


async def test_opening_sockets_takes_the_addresses_rate_and_shows_the_public_url(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str, http: aiohttp.ClientSession
) -> None:
    public = "https://hall.example.gov.cn"
    limits = {"api_rate_per_s": 0.01, "api_burst": 3, "public_url": public}
    async with (
        slow_hall(
            tmp_path, hall_id, mqtt_url, redis_url, http=limits, screen={"phone_alert_ahead": 5}
        ) as hub,
        online_client(hub, hall_id) as mqtt,
    ):
        await mqtt.ok("kiosk-1", "ticket.take", {"service": "B"})
        url = ws_url(hub, "/ws/ticket/B001")
        for _ in range(3):
            async with http.ws_connect(url) as ws:
                page = await next_message(ws, "page")
                assert page == {
                    "type": "page",
                    "url": f"{public}/t/B001",
                    "alert_ahead": 5,
                    "timezone": "Asia/Shanghai",
                }
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(url)
        assert refused.value.status == 429
        assert int(refused.value.headers["Retry-After"]) >= 1


def test_check_config_warns_when_printed_codes_would_point_at_the_listen_address(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check-config", str(DEMO_HALL)]) == 0  # the demo hall has a printer
    assert "warning: http.public_url is not set but the hall has 1 ticket printer" in (
        capsys.readouterr().out
    )
    text = DEMO_HALL.read_text(encoding="utf-8")
    config = check_config_text(text, "hall.toml")
    warned = http_warnings(config.http, printers=1)
    assert any("ticket printer" in w and "http://127.0.0.1:8080" in w for w in warned)
    assert not any("ticket printer" in w for w in http_warnings(config.http))
    with_url = text.replace("[http]\n", '[http]\npublic_url = "https://hall.example.gov.cn"\n')
    assert http_warnings(check_config_text(with_url, "hall.toml").http, printers=1) == []
