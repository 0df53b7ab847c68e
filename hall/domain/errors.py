"""Domain errors: each carries one of the contract's error codes and a human message."""

from __future__ import annotations

# The contract's error codes (device-contract.md section 3); more may be added, none renamed.
ERROR_CODES = (
    "bad_request",
    "unknown_op",
    "forbidden",
    "unknown_device",
    "unknown_service",
    "daily_cap_reached",
    "window_closed",
    "window_paused",
    "no_ticket",
    "invalid_state",
    "not_found",
    "internal",
    # Added by this hub (the contract allows new codes):
    "service_closed",
)


class DomainError(Exception):
    """A refused operation: `code` is a contract error code, `message` is for people."""

    def __init__(self, code: str, message: str) -> None:
        assert code in ERROR_CODES, code
        super().__init__(message)
        self.code = code
        self.message = message
