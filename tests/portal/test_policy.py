"""The relay's decisions, without Redis or HTTP: entries, message ids, answers, delays."""

from __future__ import annotations

import json
from email.utils import formatdate
from typing import Any

import pytest

from portal_link.policy import (
    REFUSED,
    DeadLetter,
    MalformedEntry,
    cases_to_retry,
    classify,
    parse_entry,
    parse_retry_after,
    retry_delay,
    stream_id_ms,
    webhook_id,
)

KEY = "demo-2024-05-01-A001"
BODY: dict[str, Any] = {"case_id": KEY, "ticket": "A001", "outcome": "done"}
CASE: dict[str, Any] = {"kind": "case", "key": KEY, "body": BODY}


def test_an_entry_as_the_hub_writes_it() -> None:
    entry = parse_entry(json.dumps(CASE, ensure_ascii=False).encode())
    assert (entry.kind, entry.key, entry.path) == ("case", "demo-2024-05-01-A001", "/cases")
    assert json.loads(entry.body_bytes()) == BODY
    evaluation = parse_entry(json.dumps({**CASE, "kind": "evaluation"}))
    assert evaluation.path == "/evaluations"


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({**CASE, "kind": "invoice"}),
        json.dumps({**CASE, "key": ""}),
        json.dumps({**CASE, "key": 7}),
        json.dumps({**CASE, "body": "text"}),
        json.dumps({"kind": "case"}),
    ],
)
def test_an_entry_that_cannot_be_sent(raw: bytes | str) -> None:
    with pytest.raises(MalformedEntry):
        parse_entry(raw)


def test_the_webhook_id_is_stable_and_tells_entries_apart() -> None:
    first = webhook_id("case", KEY, BODY)
    # The same entry, its keys in another order (a re-read, a retry): the same id.
    assert webhook_id("case", KEY, dict(reversed(BODY.items()))) == first
    assert first.startswith("msg_case_demo-2024-05-01-A001_")
    # The same ticket ending a second time (a no-show put back in the queue): another id.
    assert webhook_id("case", KEY, {**BODY, "outcome": "no_show"}) != first
    assert webhook_id("evaluation", KEY, BODY) != first
    assert " " not in first and "," not in first


def test_stream_ids_carry_their_time() -> None:
    assert stream_id_ms("1700000000123-4") == 1_700_000_000_123
    assert stream_id_ms(b"1700000000123-0") == 1_700_000_000_123


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, "delivered"),
        (201, "delivered"),
        (204, "delivered"),
        (400, "retry"),
        (401, "retry"),
        (403, "retry"),
        (404, "retry"),
        (409, "retry"),
        (422, "retry"),
        (410, "refused"),
        (408, "retry"),
        (429, "retry"),
        (500, "retry"),
        (502, "retry"),
        (503, "retry"),
        (504, "retry"),
        (301, "retry"),
        (100, "retry"),
    ],
)
def test_what_an_answer_means(status: int, verdict: str) -> None:
    assert classify(status) == verdict


@pytest.mark.parametrize(
    ("status", "body", "verdict"),
    [
        (400, b'{"ok": false, "error": "missing ticket"}', "refused"),
        (422, b'{"error": {"code": "invalid", "message": "no such service"}}', "refused"),
        (400, b"<html><body>400 Bad Request</body></html>", "retry"),  # a proxy's page
        (400, b'{"error": ""}', "retry"),
        (422, b"[]", "retry"),
        (404, b'{"error": "not found"}', "retry"),  # a URL being redeployed
        (401, b'{"error": "signature refused"}', "retry"),  # a secret being rotated
        (410, b"", "refused"),
        (503, b'{"error": "down"}', "retry"),
    ],
)
def test_only_documented_refusals_are_for_good(status: int, body: bytes, verdict: str) -> None:
    assert classify(status, body) == verdict


def test_dead_cases_retried_unless_refused_for_good() -> None:
    dead = [
        DeadLetter("c1", "expired: not accepted within 72 h (90 attempts, last: HTTP 503)"),
        DeadLetter("c2", REFUSED + ": HTTP 422 no such service"),
        DeadLetter("c1", "held: an earlier entry of the same case is in the dead-letter stream"),
        DeadLetter("c2", "held: an earlier entry of the same case is in the dead-letter stream"),
        DeadLetter("", "malformed entry: the entry is not JSON"),
        DeadLetter("c3", "expired: not accepted within 72 h (1 attempts, last: HTTP 500)"),
    ]
    assert cases_to_retry(dead) == ["c1", "c3"]
    assert cases_to_retry([]) == []


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(" 0 ", now) == 0.0
    assert parse_retry_after(formatdate(now + 90, usegmt=True), now) == pytest.approx(90.0)
    assert parse_retry_after(formatdate(now - 90, usegmt=True), now) == 0.0
    for unreadable in (None, "", "soon", "-5", "1.5"):
        assert parse_retry_after(unreadable, now) is None


@pytest.mark.parametrize(
    ("status", "header", "expected"),
    [
        (503, "7", 7.0),
        (429, "7", 7.0),
        (503, "100000", 900.0),  # honoured up to the cap
        (503, None, 2.0),  # no header: backoff (attempt 3, rand 0.5: 0.5 * 4)
        (503, "later", 2.0),
        (500, "7", 2.0),  # only 429 and 503 are read for Retry-After
        (None, None, 2.0),  # no answer at all
    ],
)
def test_the_delay_after_a_failed_attempt(
    status: int | None, header: str | None, expected: float
) -> None:
    delay = retry_delay(
        3,
        status,
        header,
        1_700_000_000.0,
        base_s=1.0,
        cap_s=60.0,
        retry_after_cap_s=900.0,
        rand=lambda: 0.5,
    )
    assert delay == pytest.approx(expected)
