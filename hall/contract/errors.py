"""The hall's exception tree: one base, and each failure defined once.

`Fenced` is raised by the store when a newer hub has claimed the hall; everything between
lets it through, and at the edge it stops the MQTT link (and so the hub) and the outbox
relay. `StoreUnavailable` and `Conflict` are the store's own errors: callers catch these
names, never the Redis client's.
"""

from __future__ import annotations

__all__ = ["Conflict", "Fenced", "HallError", "StoreUnavailable"]


class HallError(Exception):
    """Every error the hall raises on purpose."""


class Fenced(HallError):
    """A newer hub claimed this hall (a newer epoch): this one must stop writing."""


class StoreUnavailable(HallError):
    """The store (Redis) cannot be reached or did not answer: retry later."""


class Conflict(HallError):
    """A record changed under the hub since it decided: reload and decide again."""
