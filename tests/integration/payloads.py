"""Request payloads written by hand, and what a `bad_request` answer looks like."""

from __future__ import annotations

import json
from typing import Any

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
