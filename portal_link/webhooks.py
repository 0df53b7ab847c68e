"""Standard Webhooks signatures (https://www.standardwebhooks.com/): sign and verify.

A request carries three headers:

- ``webhook-id``: the message id, the same on every retry of one message;
- ``webhook-timestamp``: Unix seconds of this attempt;
- ``webhook-signature``: one or more space-separated ``v1,<base64>`` signatures, each the
  HMAC-SHA256 of ``f"{id}.{timestamp}.{body}"`` keyed with the base64-decoded secret (the part
  after ``whsec_``).

Pure: values in, values out. The clock is a parameter of `verify`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

__all__ = [
    "DEFAULT_TOLERANCE_S",
    "SECRET_PREFIX",
    "SignatureError",
    "secret_key",
    "sign",
    "signed_headers",
    "verify",
]

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_S = 300
_VERSION = "v1"


class SignatureError(ValueError):
    """A request whose signature headers do not prove it came from the secret's holder."""


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret (the prefix may be left out).

    Raises ValueError for a secret that is not base64 or decodes to nothing.
    """
    encoded = secret.removeprefix(SECRET_PREFIX)
    encoded += "=" * (-len(encoded) % 4)  # some issuers leave the padding out
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError('a webhook secret is "whsec_" followed by base64') from exc
    if not key:
        raise ValueError("the webhook secret is empty")
    return key


def _signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> bytes:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return hmac.new(key, signed, hashlib.sha256).digest()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for one attempt: ``v1,<base64 HMAC-SHA256>``."""
    digest = _signature(secret_key(secret), msg_id, timestamp, body)
    return f"{_VERSION},{base64.b64encode(digest).decode('ascii')}"


def signed_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise SignatureError(f"missing header {name}")


def _timestamp(value: str) -> int:
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise SignatureError("webhook-timestamp is not a whole number of Unix seconds")
    return int(text)


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> str:
    """Check a request's signature; return its ``webhook-id``.

    Header names are matched without regard to case. The timestamp must be within
    ``tolerance_s`` of ``now`` (default: the system clock) either way, which refuses a replay
    of an old request. Any one of the space-separated ``v1`` signatures may match; signatures
    of other versions are skipped. Raises SignatureError, with a message for the sender.
    """
    msg_id = _header(headers, "webhook-id")
    timestamp = _timestamp(_header(headers, "webhook-timestamp"))
    signatures = _header(headers, "webhook-signature")
    if not msg_id:
        raise SignatureError("webhook-id is empty")
    current = time.time() if now is None else now
    if timestamp < current - tolerance_s:
        raise SignatureError("webhook-timestamp is too old (a replay, or a clock far behind)")
    if timestamp > current + tolerance_s:
        raise SignatureError("webhook-timestamp is in the future (a clock far ahead)")
    try:
        key = secret_key(secret)
    except ValueError as exc:
        raise SignatureError(str(exc)) from exc
    expected = _signature(key, msg_id, timestamp, body)
    for candidate in signatures.split(" "):
        version, comma, encoded = candidate.partition(",")
        if not comma or version != _VERSION:
            continue
        try:
            given = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(expected, given):
            return msg_id
    raise SignatureError("no valid v1 signature for this body")
