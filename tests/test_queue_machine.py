"""The queue as a state machine (Hypothesis), through the real engine and the real Redis.

Random sequences of take, call, recall, no-show, start, finish, transfer, pause, resume and
hub restart are run against the hall engine (pure core + atomic store script) and against a
deliberately simple model. After every step: numbers unique per service per day, no ticket
called twice, FIFO within a class, and after a restart every acknowledged ticket is there.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aredis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from hall.contract.wire import Request
from hall.domain.actor import Actor
from hall.hub.engine import HallEngine
from hall.store.hall_store import HallStore
from tests.domain.hallfile import small_hall

REDIS_URL = os.environ.get("HALL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RANK = {"green": 0, "normal": 1}
WINDOWS = {"1": ("A", "B"), "2": ("B",), "3": ("A",)}
PADS = {"1": "pad-1", "2": "pad-2", "3": "pad-3"}


@dataclass
class ModelTicket:
    no: str
    service: str
    priority: str
    arrival: int
    state: str = "waiting"
    window: str | None = None
    recalls: int = 0


@dataclass
class Model:
    """What a person with pencil and paper would expect of the hall."""

    tickets: dict[str, ModelTicket] = field(default_factory=dict)
    issued: dict[str, int] = field(default_factory=lambda: {"A": 0, "B": 0})
    arrivals: int = 0
    windows: dict[str, str] = field(default_factory=lambda: dict.fromkeys(WINDOWS, "closed"))
    hand: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(WINDOWS))
    ever_called: list[str] = field(default_factory=list)

    def expected_next(self, window: str) -> ModelTicket | None:
        services = WINDOWS[window]
        waiting = [
            t for t in self.tickets.values() if t.state == "waiting" and t.service in services
        ]
        if not waiting:
            return None
        return min(waiting, key=lambda t: (RANK[t.priority], services.index(t.service), t.arrival))


class Clock:
    def __init__(self) -> None:
        # Noon in Shanghai, so the machine's steps never cross the hall's midnight.
        self.now = 1_795_000_000.0 - (1_795_000_000 % 86400) + 4 * 3600

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


class QueueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.hall_id = "q-" + uuid.uuid4().hex[:12]
        self.config = small_hall(self.hall_id)
        self.clock = Clock()
        self.model = Model()
        self.client = aredis.from_url(REDIS_URL)
        self.engine = self._new_engine()
        self.requests = 0

    def _new_engine(self) -> HallEngine:
        engine = HallEngine(self.config, HallStore(self.client, self.hall_id), self.clock)
        self.loop.run_until_complete(engine.start())
        return engine

    def send(self, device: str, op: str, **args: Any) -> dict[str, Any]:
        self.requests += 1
        config = self.config.device(device)
        assert config is not None
        handled = self.loop.run_until_complete(
            self.engine.handle(Actor.of_device(config), Request(f"r{self.requests}", op, args))
        )
        response: dict[str, Any] = json.loads(handled.response)
        return response

    def teardown(self) -> None:
        async def clean() -> None:
            keys = [k async for k in self.client.scan_iter(match=f"{{hall:{self.hall_id}}}*")]
            if keys:
                await self.client.delete(*keys)
            await self.client.aclose()

        self.loop.run_until_complete(clean())
        self.loop.close()

    # ----- rules -------------------------------------------------------------------------
    @rule(service=st.sampled_from(["A", "B"]), priority=st.sampled_from(["normal", "green"]))
    def take(self, service: str, priority: str) -> None:
        response = self.send("kiosk-1", "ticket.take", service=service, priority=priority)
        assert response["ok"], response
        m = self.model
        m.issued[service] += 1
        m.arrivals += 1
        no = f"{service}{m.issued[service]:03d}"
        assert response["result"]["ticket"]["no"] == no
        m.tickets[no] = ModelTicket(no, service, priority, m.arrivals)

    @rule(window=st.sampled_from(list(WINDOWS)))
    def open_window(self, window: str) -> None:
        response = self.send(PADS[window], "window.open", staff=f"S{window}")
        assert response["ok"], response
        self.model.windows[window] = "open"

    @rule(window=st.sampled_from(list(WINDOWS)))
    def call_next(self, window: str) -> None:
        m = self.model
        response = self.send(PADS[window], "call.next")
        if m.windows[window] != "open":
            expected = "window_closed" if m.windows[window] == "closed" else "window_paused"
            assert response["error"]["code"] == expected
            return
        assert response["ok"], response
        held = m.hand[window]
        if held is not None:  # "next" ends the visit in hand
            m.tickets[held].state = "done"
        expected_ticket = m.expected_next(window)
        got = response["result"]["ticket"]
        if expected_ticket is None:
            assert got is None
            m.hand[window] = None
            return
        assert got["no"] == expected_ticket.no, (got, expected_ticket)
        assert got["no"] not in m.ever_called or m.tickets[got["no"]].state == "waiting"
        expected_ticket.state, expected_ticket.window = "called", window
        expected_ticket.recalls = 0
        m.hand[window] = got["no"]
        m.ever_called.append(got["no"])

    def _with_hand(self, window: str, op: str, **args: Any) -> dict[str, Any] | None:
        response = self.send(PADS[window], op, **args)
        m = self.model
        if m.windows[window] == "closed":
            assert response["error"]["code"] == "window_closed"
            return None
        if m.hand[window] is None:
            assert response["error"]["code"] == "no_ticket", response
            return None
        return response

    def _on_called(
        self, window: str, op: str, may: Callable[[ModelTicket], bool] = lambda _t: True
    ) -> ModelTicket | None:
        """Send `op` for the ticket in `window`'s hand: it must succeed exactly when that ticket
        is called (and the model says it `may`), else fail with invalid_state. The ticket, when
        it succeeded."""
        response = self._with_hand(window, op)
        if response is None:
            return None
        held = self.model.tickets[self.model.hand[window] or ""]
        if held.state != "called" or not may(held):
            assert response["error"]["code"] == "invalid_state"
            return None
        assert response["ok"], response
        return held

    @rule(window=st.sampled_from(list(WINDOWS)))
    def recall(self, window: str) -> None:
        held = self._on_called(window, "call.recall", lambda t: t.recalls < 3)
        if held is not None:
            held.recalls += 1

    @rule(window=st.sampled_from(list(WINDOWS)))
    def no_show(self, window: str) -> None:
        held = self._on_called(window, "call.no_show")
        if held is not None:
            held.state = "no_show"
            self.model.hand[window] = None

    @rule(window=st.sampled_from(list(WINDOWS)))
    def start(self, window: str) -> None:
        held = self._on_called(window, "ticket.start")
        if held is not None:
            held.state = "serving"

    @rule(window=st.sampled_from(list(WINDOWS)))
    def finish(self, window: str) -> None:
        response = self._with_hand(window, "ticket.finish")
        if response is None:
            return
        assert response["ok"], response
        self.model.tickets[self.model.hand[window] or ""].state = "done"
        self.model.hand[window] = None

    @rule(window=st.sampled_from(list(WINDOWS)), service=st.sampled_from(["A", "B"]))
    def transfer(self, window: str, service: str) -> None:
        response = self._with_hand(window, "ticket.transfer", service=service)
        if response is None:
            return
        held = self.model.tickets[self.model.hand[window] or ""]
        if held.service == service:
            assert response["error"]["code"] == "bad_request"
            return
        assert response["ok"], response
        held.state, held.service, held.window = "waiting", service, None
        self.model.hand[window] = None

    @rule(window=st.sampled_from(list(WINDOWS)))
    def pause(self, window: str) -> None:
        response = self.send(PADS[window], "window.pause", reason="午休")
        if self.model.windows[window] == "closed":
            assert response["error"]["code"] == "window_closed"
            return
        assert response["ok"], response
        self.model.windows[window] = "paused"

    @rule(window=st.sampled_from(list(WINDOWS)))
    def resume(self, window: str) -> None:
        response = self.send(PADS[window], "window.resume")
        state = self.model.windows[window]
        if state == "closed":
            assert response["error"]["code"] == "window_closed"
            return
        if state == "open":
            assert response["error"]["code"] == "invalid_state"
            return
        assert response["ok"], response
        self.model.windows[window] = "open"

    @rule()
    def repeat_a_request(self) -> None:
        """The same id again: the same response, nothing carried out twice."""
        config = self.config.device("kiosk-1")
        assert config is not None
        request = Request("repeat-me", "ticket.take", {"service": "A"})
        kiosk = Actor.of_device(config)
        first = self.loop.run_until_complete(self.engine.handle(kiosk, request))
        again = self.loop.run_until_complete(self.engine.handle(kiosk, request))
        assert again.duplicate and again.response == first.response
        if not first.duplicate and json.loads(first.response)["ok"]:
            m = self.model
            m.issued["A"] += 1
            m.arrivals += 1
            no = f"A{m.issued['A']:03d}"
            m.tickets[no] = ModelTicket(no, "A", "normal", m.arrivals)

    @precondition(lambda self: self.model.tickets)
    @rule()
    def restart_hub(self) -> None:
        old_epoch = self.engine.store.epoch
        self.engine = self._new_engine()
        assert self.engine.store.epoch == old_epoch + 1
        stored = self.engine.state.tickets
        for no, expected in self.model.tickets.items():
            assert no in stored, f"{no} lost in a restart"
            assert stored[no].state == expected.state

    # ----- invariants ----------------------------------------------------------------------
    @invariant()
    def states_match_the_model(self) -> None:
        state = self.engine.state
        assert set(state.tickets) == set(self.model.tickets)
        for no, expected in self.model.tickets.items():
            assert state.tickets[no].state == expected.state, no
            assert state.tickets[no].service == expected.service, no
        holders = [w.ticket for w in state.windows.values() if w.ticket]
        in_hand = [t for t in holders if state.tickets[t].state in ("called", "serving")]
        assert len(in_hand) == len(set(in_hand)), "two windows hold the same ticket"

    @invariant()
    def numbers_unique_and_gap_free(self) -> None:
        for service in ("A", "B"):
            numbers = sorted(int(no[1:]) for no in self.engine.state.tickets if no[0] == service)
            assert numbers == list(range(1, len(numbers) + 1))

    @invariant()
    def board_list_matches_a_full_sort(self) -> None:
        state = self.engine.state
        kept = [call.ticket for call in state.recent_calls()]
        called = [t for t in state.tickets.values() if t.called_at is not None and t.window]
        called.sort(key=lambda t: max(t.called_at or 0.0, t.recalled_at or 0.0), reverse=True)
        assert kept == [t.no for t in called[:10]]

    @invariant()
    def waiting_index_matches(self) -> None:
        counts = self.engine.state.waiting_counts()
        for service in ("A", "B"):
            expected = sum(
                1
                for t in self.model.tickets.values()
                if t.state == "waiting" and t.service == service
            )
            assert counts[service] == expected
        serving = {no for no, t in self.model.tickets.items() if t.state == "serving"}
        assert set(self.engine.state.serving) == serving


QueueMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("HALL_MACHINE_EXAMPLES", "40")),
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestQueueMachine = QueueMachine.TestCase
