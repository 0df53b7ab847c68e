"""A small hall driven through decide() and apply() alone, as a clerk's pad drives it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from hall.domain.actor import Actor
from hall.domain.config import QueueRules
from hall.domain.errors import DomainError
from hall.domain.hall import HallState, Outcome, decide

from .hallfile import small_hall

T0 = 1_795_000_000.0


class ClerkHall:
    def __init__(self, requeue_position: int | str = 3) -> None:
        config = small_hall()
        queue = replace(config.queue, requeue_position=requeue_position)
        assert isinstance(queue, QueueRules)
        self.config = replace(config, queue=queue)
        self.state = HallState(config=self.config, day="2026-11-18")
        self.now = T0

    def actor(self, device: str) -> Actor:
        if device.startswith("dashboard-"):
            return Actor.manager(device.removeprefix("dashboard-"))
        config = self.config.device(device)
        assert config is not None, device
        return Actor.of_device(config)

    def do(self, device: str, op: str, **args: Any) -> Outcome:
        self.now += 10
        outcome = decide(self.state, self.actor(device), op, args, self.now)
        self.state.apply(outcome)
        return outcome

    def ticket(self, device: str, op: str, **args: Any) -> dict[str, Any]:
        ticket: dict[str, Any] = self.do(device, op, **args).result["ticket"]
        return ticket

    def refused(self, device: str, op: str, **args: Any) -> str:
        with pytest.raises(DomainError) as refused:
            self.do(device, op, **args)
        return refused.value.code

    def take(self, service: str, n: int = 1) -> list[str]:
        return [self.ticket("kiosk-1", "ticket.take", service=service)["no"] for _ in range(n)]

    def queue(self, pad: str = "pad-1") -> list[str]:
        return [t["no"] for t in self.do(pad, "window.queue").result["tickets"]]


def open_hall(requeue_position: int | str = 3) -> ClerkHall:
    """Windows 1 (A, B), 2 (B) and 3 (A) signed in by S1, S2 and S3."""
    hall = ClerkHall(requeue_position)
    for window in ("1", "2", "3"):
        hall.do(f"pad-{window}", "window.open", staff=f"S{window}")
    return hall
