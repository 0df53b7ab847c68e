"""Bad payloads (contract section 3), seen from outside: real broker, real Redis, the real
hub. A payload refused before any operation is answered `bad_request` when it has a usable
id, and dropped when it has none."""

from __future__ import annotations

from typing import Any

import pytest

from hall.hub.runtime import Running

from .contract_client import ContractClient
from .halls import served
from .payloads import MAX_PAYLOAD, envelope, is_bad_request

# The shared Redis loses this test's keys when the test ends (after the hub has stopped).
pytestmark = pytest.mark.usefixtures("redis_client")


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
        # The contract's payloads are UTF-8: JSON in UTF-16 is not read, whatever it says.
        pytest.param(
            envelope("u16", "ticket.take", {"service": "A"}).encode("utf-16"), id="utf-16"
        ),
        pytest.param(
            envelope("u32", "ticket.take", {"service": "A"}).encode("utf-32-le"), id="utf-32"
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
    # The id last, in a payload just over the limit and in one far over it.
    head = '{"op":"ticket.take","args":{"service":"A"},"note":"'
    id_last = head + "x" * MAX_PAYLOAD + '","id":"big-3"}'
    assert MAX_PAYLOAD < len(id_last.encode()) < MAX_PAYLOAD + 100
    response = await c.request_raw("kiosk-1", id_last, "big-3")
    assert is_bad_request(response, "big-3"), response
    far_over = id_last.replace("x" * MAX_PAYLOAD, "x" * 200_000).replace("big-3", "big-4")
    response = await c.request_raw("kiosk-1", far_over, "big-4")
    assert is_bad_request(response, "big-4"), response
    # Exactly 16 KiB is not over the limit.
    head = '{"id":"edge-1","op":"ticket.take","args":{"service":"A"}'
    at_limit = head + " " * (MAX_PAYLOAD - len(head) - 1) + "}"
    assert len(at_limit.encode()) == MAX_PAYLOAD
    response = await c.request_raw("kiosk-1", at_limit, "edge-1")
    assert response["ok"] and response["result"]["ticket"]["no"] == "A001", response


async def test_a_utf8_byte_order_mark_is_a_bad_request(
    hub: Running, client: ContractClient
) -> None:
    payload = b"\xef\xbb\xbf" + envelope("bom-1", "ticket.take", {"service": "A"}).encode()
    response = await client.request_raw("kiosk-1", payload, "bom-1")
    assert is_bad_request(response, "bom-1"), response
    assert "BOM" in response["error"]["message"], response
    # Nothing was carried out.
    assert (await client.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]["no"] == "A001"


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
        # Not JSON, though Python's reader takes them; valid requests otherwise.
        pytest.param(
            '{"id": "n9", "op": "ticket.take", "args": {"service": "A", "x": NaN}}', "n9", id="nan"
        ),
        pytest.param(
            '{"id": "n10", "op": "ticket.take", "args": {"service": "A", "x": -Infinity}}',
            "n10",
            id="infinity",
        ),
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
        pytest.param("ticket.status", {"no": "A\u0661\u0662\u0663"}, id="no-arabic-digits"),
        pytest.param("ticket.status", {"no": "A\uff11\uff12\uff13"}, id="no-full-width"),
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
    # A staff number is ASCII: no look-alike digits, nothing a spreadsheet would run.
    for staff in ("", "   ", 7, None, "\uff11\uff10\uff10\uff11", '=HYPERLINK("x")', "S 1"):
        args = {} if staff is None else {"staff": staff}
        assert await c.error("pad-1", "window.open", args) == "bad_request", staff
    await c.wait_latest(c.topic("state", "led-1"), lambda d: d["state"] == "closed")
    await c.ok("pad-1", "window.open", {"staff": "S001"})
    # A reason is shown on the dashboard and relayed: no line break, escape or bidi control.
    reasons = ("", "   ", 3, None, "午休\n中", "\x1b[2J清屏", "午\u202e休", "午\u2028休", "x" * 201)
    for reason in reasons:
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
