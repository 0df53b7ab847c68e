"""The contract's wire format: topics, request envelopes and responses. Pure, no I/O."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hall.domain.compact import compact_json

MAX_PAYLOAD_BYTES = 16 * 1024
MAX_ID_LEN = 64
# A payload over the limit but no more than this is still parsed, only to answer its refusal
# by its id wherever the id sits; a larger one is searched for the id at its two ends.
MAX_PARSED_FOR_ID = 4 * MAX_PAYLOAD_BYTES
SNIFFED_BYTES = 4096
# What a topic level cannot hold (a separator, the wildcards), for `Topics.hub_probe`.
_NOT_IN_A_LEVEL = str.maketrans({"/": "_", "+": "_", "#": "_"})


def dumps_text(payload: Any) -> str:
    """Compact JSON with Chinese kept as is (web pages and HTTP answers)."""
    return compact_json(payload)


def dumps(payload: Any) -> bytes:
    """The UTF-8 JSON bytes of an MQTT payload."""
    return dumps_text(payload).encode()


@dataclass(frozen=True)
class Topics:
    """Every topic of one hall, rooted at hall/<hall>."""

    hall_id: str

    @property
    def root(self) -> str:
        return f"hall/{self.hall_id}"

    @property
    def hub_status(self) -> str:
        return f"{self.root}/hub/status"

    @property
    def hub_key(self) -> str:
        """The hub's public key for sealing ID numbers (retained; see sealing.py)."""
        return f"{self.root}/hub/key"

    def hub_probe(self, client_id: str) -> str:
        """Where a hub checks that the broker still delivers to it: its own topic, which
        nothing else reads (`/`, `+` and `#` of the client id made `_`)."""
        level = client_id.translate(_NOT_IN_A_LEVEL) or "_"
        return f"{self.root}/hub/probe/{level}"

    @property
    def board(self) -> str:
        return f"{self.root}/board"

    @property
    def services(self) -> str:
        return f"{self.root}/services"

    @property
    def announce(self) -> str:
        return f"{self.root}/announce"

    @property
    def events(self) -> str:
        return f"{self.root}/events"

    def device(self, device_id: str, leaf: str) -> str:
        return f"{self.root}/dev/{device_id}/{leaf}"

    @property
    def all_requests(self) -> str:
        return f"{self.root}/dev/+/req"

    @property
    def all_device_status(self) -> str:
        return f"{self.root}/dev/+/status"

    def split_device_topic(self, topic: str) -> tuple[str, str] | None:
        """`hall/<hall>/dev/<dev>/<leaf>` → (dev, leaf); anything else → None."""
        prefix = f"{self.root}/dev/"
        if not topic.startswith(prefix):
            return None
        parts = topic[len(prefix) :].split("/")
        if len(parts) != 2 or not parts[0]:
            return None
        return parts[0], parts[1]


@dataclass(frozen=True)
class Request:
    id: str
    op: str
    args: dict[str, Any]


class BadRequest(Exception):
    """A payload the hub cannot act on; `request_id` is set when an id could be read."""

    def __init__(self, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id


def _usable_id(value: Any) -> str | None:
    """The request id, when it can be echoed back: 1-64 characters of valid text (an unpaired
    surrogate such as "\\ud800" is valid JSON but cannot be sent in an answer)."""
    if isinstance(value, str) and 1 <= len(value) <= MAX_ID_LEN:
        try:
            value.encode()
        except UnicodeEncodeError:
            return None
        return value
    return None


def parse_request(payload: bytes) -> Request:
    """Decode a device's request; raises BadRequest (with the id when one is readable)."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise BadRequest(f"payload over {MAX_PAYLOAD_BYTES} bytes", _oversize_id(payload))
    try:
        # Decoded as UTF-8 first: `json.loads` of bytes would also take UTF-16 and UTF-32,
        # and UTF-8-encoded surrogates, none of which the contract allows.
        data = json.loads(payload.decode(), parse_constant=_not_json)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"payload is not UTF-8 JSON: {exc}", _sniff_id(payload)) from None
    except RecursionError:
        raise BadRequest("payload is nested too deeply", _sniff_id(payload)) from None
    if not isinstance(data, dict):
        raise BadRequest(f"payload must be a JSON object, got {type(data).__name__}")
    request_id = _usable_id(data.get("id"))
    if request_id is None:
        raise BadRequest(f"id must be a string of 1-{MAX_ID_LEN} characters")
    op = data.get("op")
    if not isinstance(op, str) or not op:
        raise BadRequest("op must be a non-empty string", request_id)
    args = data.get("args", {})
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise BadRequest(f"args must be a JSON object, got {type(args).__name__}", request_id)
    try:
        # "\ud800" is valid JSON but no valid text: refuse it before it reaches a response.
        # Only a payload with such an escape can hold one, so the rest skip the check.
        if b"\\ud" in payload or b"\\uD" in payload:
            json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise BadRequest("payload holds an unpaired UTF-16 surrogate escape", request_id) from None
    except RecursionError:
        raise BadRequest("payload is nested too deeply", request_id) from None
    return Request(request_id, op, args)


def _not_json(constant: str) -> Any:
    """Python's reader takes NaN and Infinity, which JSON has not: refused."""
    raise ValueError(f"{constant} is not JSON")


def _oversize_id(payload: bytes) -> str | None:
    """The id of a payload over the limit, so that its refusal reaches the device: parsed
    when it is at most `MAX_PARSED_FOR_ID` bytes, else looked for at its start and its end."""
    if len(payload) <= MAX_PARSED_FOR_ID:
        try:
            data = json.loads(payload.decode())
        except (UnicodeDecodeError, ValueError, RecursionError):
            pass
        else:
            return _usable_id(data.get("id")) if isinstance(data, dict) else None
    return _sniff_id(payload) or _sniff_id(payload[-SNIFFED_BYTES:], last=True)


def _sniff_id(payload: bytes, last: bool = False) -> str | None:
    """Best effort: find `"id": "<...>"` (the first, or the `last`) in the first
    `SNIFFED_BYTES` of a payload that is too large or not valid JSON."""
    head = payload[:SNIFFED_BYTES].decode("utf-8", "replace")
    marker = head.rfind('"id"') if last else head.find('"id"')
    if marker < 0:
        return None
    rest = head[marker + 4 :].lstrip()
    if not rest.startswith(":"):
        return None
    rest = rest[1:].lstrip()
    if not rest.startswith('"'):
        return None
    end = rest.find('"', 1)
    if end < 0:
        return None
    candidate = rest[1:end]
    if "\\" in candidate:
        return None
    return _usable_id(candidate)


def ok_response(request_id: str, result: dict[str, Any]) -> dict[str, Any]:
    return {"id": request_id, "ok": True, "result": result}


def error_response(request_id: str, code: str, message: str) -> dict[str, Any]:
    return {"id": request_id, "ok": False, "error": {"code": code, "message": message}}
