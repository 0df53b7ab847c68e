"""Requests, repeated requests, bad payloads and every error code of the contract (section 3),
seen from outside: real broker, real Redis, the real hub."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hall.runtime import Running
from tests.support import write_hall_config

from .contract_client import ContractClient
from .halls import hall_with_client, served

# The shared Redis loses this test's keys when the test ends (after the hub has stopped).
pytestmark = pytest.mark.usefixtures("redis_client")

MAX_PAYLOAD = 16 * 1024


def envelope(request_id: Any, op: Any, args: Any = None) -> str:
    body: dict[str, Any] = {"id": request_id, "op": op}
    if args is not None:
        body["args"] = args
    return json.dumps(body)


def is_bad_request(response: dict[str, Any], request_id: str) -> bool:
    return (
        response["id"] == request_id
        and response["ok"] is False
        and response["error"]["code"] == "bad_request"
        and bool(response["error"]["message"])
    )


# ----- repeated requests ---------------------------------------------------------------------


async def test_a_repeated_take_gets_the_same_response_and_one_ticket(
    hub: Running, client: ContractClient
) -> None:
    c = client
    first = await c.request("kiosk-1", "ticket.take", {"service": "A"}, request_id="take-1")
    again = await c.request("kiosk-1", "ticket.take", {"service": "A"}, request_id="take-1")
    assert first["ok"] and first["result"]["ticket"]["no"] == "A001"
    assert again == first

    # Only one ticket was made: A002 does not exist, and the next new take gets it.
    assert await c.error("kiosk-1", "ticket.status", {"no": "A002"}) == "not_found"
    second = (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]
    assert second["no"] == "A002" and second["ahead"] == 1

    # One print job and one event for A001: what is published for A002 comes after them.
    await c.wait_for(c.topic("cmd", "printer-1"), lambda d: d["ticket"]["no"] == "A002")
    jobs = [d["ticket"]["no"] for d in c.messages[c.topic("cmd", "printer-1")]]
    assert jobs == ["A001", "A002"]
    await c.wait_for(
        c.topic("events"),
        lambda d: d["type"] == "ticket.taken" and d["ticket"]["no"] == "A002",
    )
    taken = [
        e["ticket"]["no"] for e in c.messages[c.topic("events")] if e["type"] == "ticket.taken"
    ]
    assert taken == ["A001", "A002"]


async def test_a_request_sent_twice_back_to_back_is_carried_out_once(
    hub: Running, client: ContractClient
) -> None:
    """As a QoS 1 duplicate arrives: the second copy before the first is answered."""
    c = client
    res = c.topic("res", "kiosk-1")
    mark = c.count(res)
    payload = envelope("dup-1", "ticket.take", {"service": "B"})
    await c.send_raw("kiosk-1", payload)
    await c.send_raw("kiosk-1", payload)
    await c.wait_latest(res, lambda _: len(c.since(res, mark)) >= 2)
    first, second = c.since(res, mark)[:2]
    assert first == second and first["id"] == "dup-1" and first["ok"], (first, second)
    assert first["result"]["ticket"]["no"] == "B001"
    assert (await c.ok("kiosk-2", "ticket.take", {"service": "B"}))["ticket"]["no"] == "B002"
    assert c.since(res, mark)[2:] == []


async def test_a_repeated_call_next_is_carried_out_once(
    hub: Running, client: ContractClient
) -> None:
    c = client
    await c.ok("pad-1", "window.open", {"staff": "S001"})
    await c.ok("kiosk-1", "ticket.take", {"service": "A"})
    await c.ok("kiosk-1", "ticket.take", {"service": "A"})

    first = await c.request("pad-1", "call.next", request_id="next-1")
    assert first["ok"] and first["result"]["ticket"]["no"] == "A001"
    # Carried out twice, the second "next" would end A001 and call A002.
    again = await c.request("pad-1", "call.next", request_id="next-1")
    assert again == first
    a001 = (await c.ok("kiosk-1", "ticket.status", {"no": "A001"}))["ticket"]
    assert a001["state"] == "called" and a001["window"] == "1"
    a002 = (await c.ok("kiosk-1", "ticket.status", {"no": "A002"}))["ticket"]
    assert a002["state"] == "waiting" and a002["ahead"] == 0

    # A new call.next goes on from there; A001 was announced once.
    assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A002"
    await c.wait_for(c.topic("announce"), lambda d: d["ticket"] == "A002")
    announced = [(a["ticket"], a["repeat"]) for a in c.messages[c.topic("announce")]]
    assert announced == [("A001", 0), ("A002", 0)]


async def test_the_same_id_from_another_device_is_another_request(
    hub: Running, client: ContractClient
) -> None:
    c = client
    one = await c.ok("kiosk-1", "ticket.take", {"service": "A"}, request_id="same")
    two = await c.ok("kiosk-2", "ticket.take", {"service": "A"}, request_id="same")
    assert (one["ticket"]["no"], two["ticket"]["no"]) == ("A001", "A002")
    opened = await c.ok("pad-1", "window.open", {"staff": "S001"}, request_id="same")
    assert opened["window"]["state"] == "open"
    assert (await c.ok("pad-1", "call.next", request_id="same-2"))["ticket"]["no"] == "A001"
    assert (await c.ok("caller-1", "call.recall", request_id="same-2"))["ticket"]["recalls"] == 1


async def test_optional_arguments(hub: Running, client: ContractClient) -> None:
    """`priority` and `id_no` at the kiosk, `outcome` at the window; the ID number
    is never echoed to the hall (PIPL: only the kiosk's own request carries it)."""
    c = client
    id_no = "110101199003071234"
    args = {"service": "A", "priority": "green", "id_no": id_no}
    green = (await c.ok("kiosk-1", "ticket.take", args))["ticket"]
    assert green == {**green, "no": "A001", "priority": "green", "state": "waiting"}
    plain = await c.ok("kiosk-1", "ticket.take", {"service": "A", "priority": "normal"})
    assert plain["ticket"]["priority"] == "normal"
    await c.ok("pad-1", "window.open", {"staff": "S001"})
    assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A001"
    finished = (await c.ok("pad-1", "ticket.finish", {"outcome": "done"}))["ticket"]
    assert finished["no"] == "A001" and finished["state"] == "done"
    await c.wait_for(c.topic("cmd", "printer-1"), lambda d: d["ticket"]["no"] == "A002")
    await c.wait_latest(c.topic("events"), lambda e: e["type"] == "ticket.finished")
    leaks = [
        topic
        for topic, messages in c.messages.items()
        if not topic.endswith("/req") and any(id_no in json.dumps(m) for m in messages)
    ]
    assert leaks == []


# ----- bad payloads --------------------------------------------------------------------------


async def test_not_json_with_a_readable_id_is_a_bad_request(
    hub: Running, client: ContractClient
) -> None:
    c = client
    response = await c.request_raw("kiosk-1", '{"id":"x1", "op": ', "x1")
    assert is_bad_request(response, "x1"), response
    response = await c.request_raw(
        "kiosk-1", '{"id": "x2", "op": "ticket.take", "args": {"service": "A",}}', "x2"
    )
    assert is_bad_request(response, "x2"), response
    # Nothing was carried out.
    assert (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]["no"] == "A001"


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b'{"op": "ticket.take", ', id="not-json-no-id"),
        pytest.param(b"hello", id="text"),
        pytest.param(b"\xff\xfe\x00garbage", id="invalid-utf8"),
        pytest.param(b"", id="empty"),
        pytest.param(b"[1,2]", id="array"),
        pytest.param(b'"str"', id="string"),
        pytest.param(b"42", id="number"),
        pytest.param(b"null", id="null"),
        pytest.param(b'{"op": "ticket.take", "args": {"service": "A"}}', id="no-id"),
        pytest.param(b'{"id": 7, "op": "ticket.take", "args": {"service": "A"}}', id="id-number"),
        pytest.param(b'{"id": null, "op": "ticket.take", "args": {"service": "A"}}', id="id-null"),
        pytest.param(
            b'{"id": ["a"], "op": "ticket.take", "args": {"service": "A"}}', id="id-array"
        ),
        pytest.param(b'{"id": "", "op": "ticket.take", "args": {"service": "A"}}', id="id-empty"),
        pytest.param(envelope("x" * 65, "ticket.take", {"service": "A"}).encode(), id="id-65"),
        pytest.param(
            b'{"op": "ticket.take", "args": {"service": "A"}, "pad": "'
            + b"x" * MAX_PAYLOAD
            + b'"}',
            id="too-large-no-id",
        ),
    ],
)
async def test_a_payload_without_a_usable_id_is_dropped(
    hub: Running, client: ContractClient, payload: bytes
) -> None:
    c = client
    await c.assert_dropped("kiosk-1", payload)
    # Nothing was carried out: the first ticket is still A001.
    assert (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]["no"] == "A001"


async def test_a_payload_over_16_kib_is_a_bad_request(hub: Running, client: ContractClient) -> None:
    c = client
    head = '{"id":"big-1","op":"ticket.take","args":{"service":"A"}'
    too_large = head + " " * (MAX_PAYLOAD + 1 - len(head) - 1) + "}"
    assert len(too_large.encode()) == MAX_PAYLOAD + 1
    response = await c.request_raw("kiosk-1", too_large, "big-1")
    assert is_bad_request(response, "big-1"), response
    huge = '{"id":"big-2","op":"ticket.take","args":{"service":"A","note":"' + "x" * 200_000 + '"}}'
    response = await c.request_raw("kiosk-1", huge, "big-2")
    assert is_bad_request(response, "big-2"), response
    # Exactly 16 KiB is not over the limit.
    head = '{"id":"edge-1","op":"ticket.take","args":{"service":"A"}'
    at_limit = head + " " * (MAX_PAYLOAD - len(head) - 1) + "}"
    assert len(at_limit.encode()) == MAX_PAYLOAD
    response = await c.request_raw("kiosk-1", at_limit, "edge-1")
    assert response["ok"] and response["result"]["ticket"]["no"] == "A001", response


@pytest.mark.parametrize(
    ("payload", "request_id"),
    [
        pytest.param(envelope("n1", None, {}), "n1", id="op-null"),
        pytest.param('{"id": "n2", "args": {}}', "n2", id="no-op"),
        pytest.param(envelope("n3", 5), "n3", id="op-number"),
        pytest.param(envelope("n4", ["ticket.take"]), "n4", id="op-array"),
        pytest.param(envelope("n5", ""), "n5", id="op-empty"),
        pytest.param(envelope("n6", "ticket.take", [1]), "n6", id="args-array"),
        pytest.param(envelope("n7", "ticket.take", "service=A"), "n7", id="args-string"),
        pytest.param(envelope("n8", "ticket.take", 3), "n8", id="args-number"),
        pytest.param(envelope("x" * 64, "ticket.status", 3), "x" * 64, id="id-64-args-bad"),
    ],
)
async def test_a_bad_envelope_with_a_usable_id_is_a_bad_request(
    hub: Running, client: ContractClient, payload: str, request_id: str
) -> None:
    response = await client.request_raw("kiosk-1", payload, request_id)
    assert is_bad_request(response, request_id), response


@pytest.mark.parametrize(
    ("op", "args"),
    [
        pytest.param("ticket.take", {"service": 5}, id="service-number"),
        pytest.param("ticket.take", {}, id="service-missing"),
        pytest.param("ticket.take", {"service": ""}, id="service-empty"),
        pytest.param("ticket.take", {"service": ["A"]}, id="service-array"),
        pytest.param("ticket.take", {"service": "A", "priority": "vip"}, id="priority-unknown"),
        pytest.param("ticket.take", {"service": "A", "priority": 1}, id="priority-number"),
        pytest.param("ticket.status", {"no": "A1"}, id="no-short"),
        pytest.param("ticket.status", {"no": "a001"}, id="no-lower-case"),
        pytest.param("ticket.status", {"no": "A0001"}, id="no-long"),
        pytest.param("ticket.status", {"no": 1}, id="no-number"),
        pytest.param("ticket.status", {}, id="no-missing"),
    ],
)
async def test_wrong_kiosk_arguments_are_a_bad_request(
    hub: Running, client: ContractClient, op: str, args: dict[str, Any]
) -> None:
    c = client
    assert await c.error("kiosk-1", op, args) == "bad_request"
    # Nothing was carried out.
    assert (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]["no"] == "A001"


async def test_wrong_window_arguments_are_a_bad_request(
    hub: Running, client: ContractClient
) -> None:
    c = client
    for staff in ("", "   ", 7, None):
        args = {} if staff is None else {"staff": staff}
        assert await c.error("pad-1", "window.open", args) == "bad_request", staff
    await c.wait_latest(c.topic("state", "led-1"), lambda d: d["state"] == "closed")
    await c.ok("pad-1", "window.open", {"staff": "S001"})
    for reason in ("", "   ", 3, None):
        args = {} if reason is None else {"reason": reason}
        assert await c.error("pad-1", "window.pause", args) == "bad_request", reason
    # The window was never paused: it still calls.
    await c.ok("kiosk-1", "ticket.take", {"service": "A"})
    assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A001"
    assert await c.error("pad-1", "ticket.transfer", {"service": 2}) == "bad_request"
    assert await c.error("pad-1", "ticket.transfer", {}) == "bad_request"


async def test_wrong_rating_arguments_are_a_bad_request(
    hub: Running, client: ContractClient
) -> None:
    c = client
    await c.ok("pad-1", "window.open", {"staff": "S001"})
    no = await served(c, "kiosk-1", "pad-1")
    for level in ("5", True, False, 0, 6, -1, 4.5, None):
        args: dict[str, Any] = {"ticket": no}
        if level is not None:
            args["level"] = level
        assert await c.error("eval-1", "eval.submit", args) == "bad_request", level
    for ticket in ("A1", "a001", 1, None):
        args = {"level": 5}
        if ticket is not None:
            args["ticket"] = ticket
        assert await c.error("eval-1", "eval.submit", args) == "bad_request", ticket
    # None of them counted as the visit's one rating.
    evaluation = (await c.ok("eval-1", "eval.submit", {"ticket": no, "level": 1}))["evaluation"]
    assert evaluation["level"] == 1 and evaluation["ticket"] == no


# ----- error codes ---------------------------------------------------------------------------


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
