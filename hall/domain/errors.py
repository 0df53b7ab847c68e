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
    "rate_limited",  # the device sent more than its kind may: `error.retry_after_s` says when
    "unavailable",  # the store is out for longer than a request is held: retry, same id
    "not_waiting",  # call.ticket: the ticket is not waiting
    "not_window_service",  # call.ticket, ticket.transfer: the window does not serve it
    "no_window",  # ticket.transfer to a clerk who is signed in at no window
    "bad_credentials",  # window.open: unknown staff number, or a wrong or missing PIN or card
    "account_locked",  # window.open: too many failures; `error.retry_after_s` says when
    "device_disabled",  # a manager disabled the sending device: nothing it asks is done
)


class DomainError(Exception):
    """A refused operation: `code` is a contract error code, `message` is for people."""

    def __init__(self, code: str, message: str, retry_after_s: int | None = None) -> None:
        assert code in ERROR_CODES, code
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s  # answered as `error.retry_after_s` when set
