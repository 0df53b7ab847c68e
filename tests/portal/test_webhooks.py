"""Standard Webhooks signing and verifying: the specification's published test vector, and an
independent implementation (hmac and base64 only) as a second opinion on any other input."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal_link.webhooks import SignatureError, secret_key, sign, signed_headers, verify

# The test vector published with the Standard Webhooks specification and its reference
# libraries (standard-webhooks/standard-webhooks, libraries/*/tests).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def independent_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The scheme written out again from its description, sharing no code with webhooks.py."""
    key = base64.b64decode(secret[len("whsec_") :])
    content = msg_id.encode() + b"." + str(timestamp).encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def spec_headers(**overrides: str) -> dict[str, str]:
    headers = {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(SPEC_TIMESTAMP),
        "webhook-signature": SPEC_SIGNATURE,
    }
    headers.update(overrides)
    return headers


def test_the_specification_test_vector() -> None:
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE
    assert independent_signature(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == (
        SPEC_SIGNATURE
    )
    assert verify(SPEC_SECRET, spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP) == SPEC_ID


def test_the_secret_prefix_and_padding_are_optional() -> None:
    bare = SPEC_SECRET.removeprefix("whsec_")
    assert sign(bare, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE
    unpadded = "whsec_" + base64.b64encode(b"0123456789").decode().rstrip("=")
    padded = "whsec_" + base64.b64encode(b"0123456789").decode()
    assert sign(unpadded, "m", 1, b"{}") == sign(padded, "m", 1, b"{}")


@pytest.mark.parametrize("secret", ["whsec_", "whsec_not base64!", "whsec_====", ""])
def test_a_malformed_secret_is_refused(secret: str) -> None:
    with pytest.raises(ValueError):
        secret_key(secret)


def test_signed_headers_verify() -> None:
    headers = signed_headers(SPEC_SECRET, "msg_case_x", 1_700_000_000, b'{"a":1}')
    assert headers["webhook-id"] == "msg_case_x"
    assert headers["webhook-timestamp"] == "1700000000"
    assert verify(SPEC_SECRET, headers, b'{"a":1}', now=1_700_000_000) == "msg_case_x"


def test_header_names_are_matched_without_case() -> None:
    headers = {k.upper(): v for k, v in spec_headers().items()}
    assert verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP) == SPEC_ID


def test_any_one_of_several_signatures_may_match() -> None:
    several = " ".join(
        [
            "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
            "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
            "v1,not*base64",
            "garbage",
            SPEC_SIGNATURE,
        ]
    )
    headers = spec_headers(**{"webhook-signature": several})
    assert verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP) == SPEC_ID


@pytest.mark.parametrize(
    ("now", "accepted"),
    [
        (SPEC_TIMESTAMP + 300, True),
        (SPEC_TIMESTAMP - 300, True),
        (SPEC_TIMESTAMP + 301, False),  # too old: a replay, or the sender's clock is behind
        (SPEC_TIMESTAMP - 301, False),  # from the future
    ],
)
def test_the_timestamp_must_be_within_tolerance(now: int, accepted: bool) -> None:
    if accepted:
        assert verify(SPEC_SECRET, spec_headers(), SPEC_BODY, now=now) == SPEC_ID
    else:
        with pytest.raises(SignatureError, match="timestamp"):
            verify(SPEC_SECRET, spec_headers(), SPEC_BODY, now=now)


def test_a_wider_tolerance_accepts_an_older_request() -> None:
    now = SPEC_TIMESTAMP + 3600
    with pytest.raises(SignatureError):
        verify(SPEC_SECRET, spec_headers(), SPEC_BODY, now=now)
    assert verify(SPEC_SECRET, spec_headers(), SPEC_BODY, tolerance_s=3600, now=now) == SPEC_ID


@pytest.mark.parametrize(
    ("headers", "body", "message"),
    [
        (spec_headers(), SPEC_BODY + b" ", "no valid v1 signature"),
        (spec_headers(**{"webhook-id": "msg_other"}), SPEC_BODY, "no valid v1 signature"),
        (
            spec_headers(
                **{"webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="}
            ),
            SPEC_BODY,
            "no valid v1 signature",
        ),
        (
            spec_headers(**{"webhook-signature": SPEC_SIGNATURE.replace("v1", "v2")}),
            SPEC_BODY,
            "no valid v1 signature",
        ),
        (spec_headers(**{"webhook-timestamp": "1614265330.5"}), SPEC_BODY, "whole number"),
        (spec_headers(**{"webhook-timestamp": "-1614265330"}), SPEC_BODY, "whole number"),
        (spec_headers(**{"webhook-timestamp": "soon"}), SPEC_BODY, "whole number"),
        (spec_headers(**{"webhook-id": ""}), SPEC_BODY, "empty"),
    ],
)
def test_what_is_refused(headers: dict[str, str], body: bytes, message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        verify(SPEC_SECRET, headers, body, now=SPEC_TIMESTAMP)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_every_header_is_required(missing: str) -> None:
    headers = spec_headers()
    del headers[missing]
    with pytest.raises(SignatureError, match=f"missing header {missing}"):
        verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP)


def test_another_secret_does_not_verify() -> None:
    other = "whsec_" + base64.b64encode(b"another secret of the back office").decode()
    with pytest.raises(SignatureError):
        verify(other, spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP)


@given(
    key=st.binary(min_size=1, max_size=64),
    msg_id=st.text(min_size=1, max_size=40).filter(lambda s: " " not in s),
    timestamp=st.integers(min_value=0, max_value=4_000_000_000),
    body=st.binary(max_size=512),
)
def test_agrees_with_the_independent_implementation(
    key: bytes, msg_id: str, timestamp: int, body: bytes
) -> None:
    secret = "whsec_" + base64.b64encode(key).decode()
    signature = sign(secret, msg_id, timestamp, body)
    assert signature == independent_signature(secret, msg_id, timestamp, body)
    headers = signed_headers(secret, msg_id, timestamp, body)
    assert verify(secret, headers, body, now=timestamp) == msg_id
