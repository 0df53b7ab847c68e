"""Every error code of the contract (section 3), seen from outside: real broker, real Redis,
the real hub."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hall.hub.runtime import Running
from tests.support import write_hall_config

from .contract_client import ContractClient
from .halls import hall_with_client, served

# The shared Redis loses this test's keys when the test ends (after the hub has stopped).
pytestmark = pytest.mark.usefixtures("redis_client")


async def test_unknown_op(hub: Running, client: ContractClient) -> None:
    c = client
    assert await c.error("kiosk-1", "ticket.fly") == "unknown_op"
    assert await c.error("pad-1", "call.everyone") == "unknown_op"
    assert await c.error("led-1", "TICKET.TAKE", {"service": "A"}) == "unknown_op"


@pytest.mark.parametrize(
    ("device", "op", "args"),
    [
        pytest.param("kiosk-1", "call.next", {}, id="kiosk-call-next"),
        pytest.param("kiosk-1", "window.open", {"staff": "S1"}, id="kiosk-window-open"),
        pytest.param("kiosk-1", "eval.submit", {"ticket": "A001", "level": 5}, id="kiosk-eval"),
        pytest.param("pad-1", "ticket.take", {"service": "A"}, id="pad-take"),
        pytest.param("caller-1", "ticket.take", {"service": "A"}, id="caller-take"),
        pytest.param("caller-1", "eval.submit", {"ticket": "A001", "level": 5}, id="caller-eval"),
        pytest.param("eval-1", "call.next", {}, id="evaluator-call-next"),
        pytest.param("eval-1", "window.open", {"staff": "S1"}, id="evaluator-window-open"),
        pytest.param("led-1", "ticket.take", {"service": "A"}, id="led-take"),
        pytest.param("led-1", "window.open", {"staff": "S1"}, id="led-window-open"),
        pytest.param("led-1", "window.close", {}, id="led-window-close"),
        pytest.param("led-1", "call.next", {}, id="led-call-next"),
        pytest.param("led-1", "call.recall", {}, id="led-recall"),
        pytest.param("led-1", "ticket.finish", {}, id="led-finish"),
        pytest.param("led-1", "eval.submit", {"ticket": "A001", "level": 5}, id="led-eval"),
        pytest.param("board-1", "call.next", {}, id="board-call-next"),
        pytest.param("printer-1", "ticket.take", {"service": "A"}, id="printer-take"),
        pytest.param("speaker-1", "window.open", {"staff": "S1"}, id="speaker-window-open"),
    ],
)
async def test_forbidden(
    hub: Running, client: ContractClient, device: str, op: str, args: dict[str, Any]
) -> None:
    assert await client.error(device, op, args) == "forbidden"


async def test_forbidden_requests_are_not_carried_out(hub: Running, client: ContractClient) -> None:
    c = client
    await c.ok("pad-1", "window.open", {"staff": "S001"})
    await c.ok("kiosk-1", "ticket.take", {"service": "A"})
    assert await c.error("kiosk-1", "call.next") == "forbidden"
    assert await c.error("led-1", "call.next") == "forbidden"
    assert await c.error("pad-1", "ticket.take", {"service": "A"}) == "forbidden"
    # A led_window may ask for a ticket's status; A001 still waits and A002 was never made.
    a001 = (await c.ok("led-1", "ticket.status", {"no": "A001"}))["ticket"]
    assert a001["state"] == "waiting"
    assert await c.error("led-1", "ticket.status", {"no": "A002"}) == "not_found"
    assert await c.error("kiosk-1", "eval.submit", {"ticket": "A001", "level": 5}) == "forbidden"


async def test_unknown_device_is_answered_on_its_own_res_topic(
    hub: Running, client: ContractClient
) -> None:
    c = client
    response = await c.request("ghost-7", "ticket.status", {"no": "A001"})
    assert response["ok"] is False and response["error"]["code"] == "unknown_device", response
    assert response["error"]["message"]
    assert await c.error("ghost-7", "ticket.take", {"service": "A"}) == "unknown_device"
    assert await c.error("ghost-7", "call.next") == "unknown_device"
    # Nothing was carried out for it.
    assert await c.error("kiosk-1", "ticket.status", {"no": "A001"}) == "not_found"


async def test_unknown_service(hub: Running, client: ContractClient) -> None:
    c = client
    assert await c.error("kiosk-1", "ticket.take", {"service": "Z"}) == "unknown_service"
    await c.ok("pad-1", "window.open", {"staff": "S001"})
    await c.ok("kiosk-1", "ticket.take", {"service": "A"})
    assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A001"
    assert await c.error("pad-1", "ticket.transfer", {"service": "Z"}) == "unknown_service"
    # The ticket is still in hand, called at window 1.
    a001 = (await c.ok("kiosk-1", "ticket.status", {"no": "A001"}))["ticket"]
    assert a001["state"] == "called" and a001["window"] == "1" and a001["service"] == "A"


async def test_daily_cap_reached(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str
) -> None:
    services = [
        {"code": "A", "name": "社保医保", "daily_cap": 2},
        {"code": "B", "name": "不动产登记"},
        {"code": "C", "name": "企业开办"},
    ]
    config = write_hall_config(tmp_path, hall_id, mqtt_url, redis_url, services=services)
    async with hall_with_client(config, hall_id) as (_running, c):
        assert (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]["no"] == "A001"
        assert (await c.ok("kiosk-2", "ticket.take", {"service": "A"}))["ticket"]["no"] == "A002"
        assert await c.error("kiosk-1", "ticket.take", {"service": "A"}) == "daily_cap_reached"
        assert (
            await c.error("kiosk-2", "ticket.take", {"service": "A", "priority": "green"})
            == "daily_cap_reached"
        )
        assert await c.error("kiosk-1", "ticket.status", {"no": "A003"}) == "not_found"
        # Other services are not capped.
        assert (await c.ok("kiosk-1", "ticket.take", {"service": "B"}))["ticket"]["no"] == "B001"


CALL_OPS: list[tuple[str, dict[str, Any]]] = [
    ("call.next", {}),
    ("call.recall", {}),
    ("call.no_show", {}),
    ("ticket.start", {}),
    ("ticket.finish", {}),
    ("ticket.transfer", {"service": "B"}),
]


async def test_window_closed(hub: Running, client: ContractClient) -> None:
    c = client
    await c.ok("kiosk-1", "ticket.take", {"service": "A"})
    for device in ("pad-1", "caller-1"):
        for op, args in [
            *CALL_OPS,
            ("window.pause", {"reason": "午休"}),
            ("window.resume", {}),
        ]:
            assert await c.error(device, op, args) == "window_closed", (device, op)
    # Open, then closed again.
    await c.ok("pad-1", "window.open", {"staff": "S001"})
    assert (await c.ok("pad-1", "window.close"))["window"]["state"] == "closed"
    assert await c.error("caller-1", "call.next") == "window_closed"
    assert (await c.ok("kiosk-1", "ticket.status", {"no": "A001"}))["ticket"]["state"] == "waiting"


async def test_window_paused(hub: Running, client: ContractClient) -> None:
    c = client
    await c.ok("kiosk-1", "ticket.take", {"service": "A"})
    await c.ok("pad-1", "window.open", {"staff": "S001"})
    paused = (await c.ok("pad-1", "window.pause", {"reason": "午休"}))["window"]
    assert paused["state"] == "paused"
    assert await c.error("pad-1", "call.next") == "window_paused"
    assert await c.error("caller-1", "call.next") == "window_paused"
    assert (await c.ok("kiosk-1", "ticket.status", {"no": "A001"}))["ticket"]["state"] == "waiting"
    assert (await c.ok("caller-1", "window.resume"))["window"]["state"] == "open"
    assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A001"


async def test_no_ticket(hub: Running, client: ContractClient) -> None:
    c = client
    await c.ok("pad-1", "window.open", {"staff": "S001"})
    for op, args in CALL_OPS[1:]:
        assert await c.error("pad-1", op, args) == "no_ticket", op
    # After a visit ends the hand is empty again.
    await served(c, "kiosk-1", "pad-1")
    for op, args in CALL_OPS[1:]:
        assert await c.error("caller-1", op, args) == "no_ticket", op
    # Nobody waiting: call.next is no error, the ticket is null.
    assert (await c.ok("pad-1", "call.next"))["ticket"] is None
    assert await c.error("pad-1", "ticket.finish") == "no_ticket"


async def test_invalid_state(hub: Running, client: ContractClient) -> None:
    c = client
    await c.ok("pad-1", "window.open", {"staff": "S001"})
    await c.ok("kiosk-1", "ticket.take", {"service": "A"})
    await c.ok("kiosk-1", "ticket.take", {"service": "A"})

    # Start twice.
    assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A001"
    # Closing with a ticket in hand, called or serving.
    assert await c.error("pad-1", "window.close") == "invalid_state"
    assert (await c.ok("pad-1", "ticket.start"))["ticket"]["state"] == "serving"
    assert await c.error("pad-1", "ticket.start") == "invalid_state"
    assert await c.error("caller-1", "window.close") == "invalid_state"
    # A ticket not yet done cannot be rated.
    assert await c.error("eval-1", "eval.submit", {"ticket": "A001", "level": 5}) == (
        "invalid_state"
    )
    assert (await c.ok("pad-1", "ticket.finish"))["ticket"]["state"] == "done"

    # Rating twice.
    await c.ok("eval-1", "eval.submit", {"ticket": "A001", "level": 5})
    assert await c.error("eval-1", "eval.submit", {"ticket": "A001", "level": 4}) == (
        "invalid_state"
    )
    assert await c.error("pad-1", "eval.submit", {"ticket": "A001", "level": 3}) == (
        "invalid_state"
    )

    # A no-show was not served: it cannot be rated.
    assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A002"
    assert (await c.ok("pad-1", "call.no_show"))["ticket"]["state"] == "no_show"
    assert await c.error("eval-1", "eval.submit", {"ticket": "A002", "level": 5}) == (
        "invalid_state"
    )
    # The window is free again and closes.
    assert (await c.ok("pad-1", "window.close"))["window"]["state"] == "closed"


@pytest.mark.parametrize(
    ("recall_cap", "cap"),
    [pytest.param(None, 3, id="default-3"), pytest.param(1, 1, id="cap-1")],
)
async def test_recall_beyond_the_cap_is_invalid_state(
    tmp_path: Path,
    hall_id: str,
    mqtt_url: str,
    redis_url: str,
    recall_cap: int | None,
    cap: int,
) -> None:
    config = write_hall_config(
        tmp_path, hall_id, mqtt_url, redis_url, queue={"recall_cap": recall_cap}
    )
    async with hall_with_client(config, hall_id) as (_running, c):
        await c.ok("pad-1", "window.open", {"staff": "S001"})
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})
        assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A001"
        for n in range(1, cap + 1):
            assert (await c.ok("pad-1", "call.recall"))["ticket"]["recalls"] == n
        assert await c.error("pad-1", "call.recall") == "invalid_state"
        assert await c.error("caller-1", "call.recall") == "invalid_state"
        await c.wait_for(c.topic("announce"), lambda d: d["repeat"] == cap)
        repeats = [a["repeat"] for a in c.messages[c.topic("announce")]]
        assert repeats == list(range(cap + 1))
        # The ticket is still in hand and can be served.
        assert (await c.ok("pad-1", "ticket.start"))["ticket"]["state"] == "serving"


async def test_not_found(hub: Running, client: ContractClient) -> None:
    c = client
    assert await c.error("kiosk-1", "ticket.status", {"no": "A001"}) == "not_found"
    await c.ok("kiosk-1", "ticket.take", {"service": "A"})
    assert await c.error("kiosk-1", "ticket.status", {"no": "A999"}) == "not_found"
    assert await c.error("pad-1", "ticket.status", {"no": "B001"}) == "not_found"
    assert await c.error("led-1", "ticket.status", {"no": "Z001"}) == "not_found"


async def test_a_rating_is_taken_only_at_the_window_that_served(
    hub: Running, client: ContractClient
) -> None:
    c = client
    await c.ok("pad-2", "window.open", {"staff": "S002"})
    no = await served(c, "kiosk-1", "pad-2")
    assert await c.error("eval-1", "eval.submit", {"ticket": no, "level": 5}) == "forbidden"
    assert await c.error("pad-1", "eval.submit", {"ticket": no, "level": 5}) == "forbidden"
    evaluation = (await c.ok("pad-2", "eval.submit", {"ticket": no, "level": 4}))["evaluation"]
    assert evaluation["level"] == 4 and evaluation["window"] == "2"
    assert evaluation["staff"] == "S002"
