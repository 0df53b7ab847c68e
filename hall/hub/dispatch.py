"""The one path of a request, whoever carries it: MQTT, a page's WebSocket, the HTTP API.

A device's request is parsed, checked (is the device in the hall file?), decided by the pure
core, committed, its effects published (screens first), answered through the `Reply` its
transport gives, and then its events published. A payload refused before any operation is
counted in `hall_bad_payloads_total` and answered `bad_request` when it has an id, the same
on every transport. A device over its request limit (`rate_limit.py`) is answered
`rate_limited`, with `retry_after_s`, before anything is decided or stored; a request counts
once against the limit, however often its device repeats it (`RecentRequests.knows`). A
device a manager disabled is answered `device_disabled`; one a manager bound to another window
acts for that window (the live catalogue's binding, never a payload's). Requests that arrived
together go through `requests()`, which commits them in one round trip to the store.

Callers that answer by themselves (the HTTP API, the dashboard, the hub's housekeeping) use
`submit()`: their events are published before it returns.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hall.contract.errors import Fenced, StoreUnavailable
from hall.contract.wire import BadRequest, Request, dumps, error_response, parse_request
from hall.domain.actor import Actor
from hall.domain.config import HallConfig
from hall.domain.hall import HANDLERS
from hall.hub.engine import HallEngine, Handled
from hall.hub.metrics import Counter, Histogram, Registry
from hall.hub.publish import Publisher
from hall.hub.rate_limit import RateLimiter
from hall.hub.staff import StaffSignIn

__all__ = ["Dispatch", "Reply", "RequestMetrics"]

log = logging.getLogger("hall.hub.dispatch")

# How a transport answers the device that sent a request: called with the response's JSON.
Reply = Callable[[bytes], None]
REPLACED = "this hub was replaced by a newer one"
STORE_DOWN = "the staff accounts cannot be read now: retry with the same id"


@dataclass(frozen=True)
class RequestMetrics:
    requests: Counter
    bad_payloads: Counter
    latency: Histogram

    @classmethod
    def register(cls, registry: Registry) -> RequestMetrics:
        return cls(
            registry.counter(
                "hall_requests_total",
                "Device requests handled, by operation and result code",
                labelled=True,
            ),
            registry.counter(
                "hall_bad_payloads_total",
                "Payloads refused before any operation (answered or dropped)",
                labelled=True,
            ),
            registry.histogram(
                "hall_request_seconds",
                "Time from a request's arrival to its response being queued",
            ),
        )


@dataclass(frozen=True)
class _Pending:
    actor: Actor
    request: Request
    reply: Reply


class Dispatch:
    def __init__(
        self,
        config: HallConfig,
        engine: HallEngine,
        publisher: Publisher,
        metrics: RequestMetrics,
    ) -> None:
        self._config = config
        self._engine = engine
        self._publisher = publisher
        self._metrics = metrics
        self._limiter = RateLimiter(config)
        self.staff: StaffSignIn | None = None  # checks a window.open's credentials (the hub's)

    async def request(
        self, device_id: str, payload: bytes, reply: Reply, *, answer_when_fenced: bool = False
    ) -> None:
        """Carry out one device's request and answer it through `reply`.

        Raises Fenced when a newer hub took the hall; with `answer_when_fenced` the device is
        first answered `internal` (a page, whose socket is then closed; over MQTT the hub
        stops without answering and the device retries with the next hub).
        """
        started = time.perf_counter()
        pending = await self._signing_in(self._check(device_id, payload, reply))
        if pending is not None:
            try:
                handled = await self._carry_out(pending.actor, pending.request)
            except Fenced:
                if answer_when_fenced:
                    reply(dumps(error_response(pending.request.id, "internal", REPLACED)))
                raise
            self._answer(pending, handled)
            await self._settle(pending.actor, handled)
        self._metrics.latency.observe(time.perf_counter() - started)

    async def requests(self, arrived: list[tuple[str, bytes, Reply]]) -> None:
        """Requests that arrived together: decided in order, committed in one round trip,
        answered in order."""
        started = time.perf_counter()
        pending = [p for p in (self._check(*one) for one in arrived) if p is not None]
        pending = [p for p in [await self._signing_in(p) for p in pending] if p is not None]
        if pending:
            handled = await self._engine.handle_many([(p.actor, p.request) for p in pending])
            for one, result in zip(pending, handled, strict=True):
                self._after(one.actor, one.request, result)
                self._answer(one, result)
                await self._settle(one.actor, result)
        elapsed = time.perf_counter() - started
        for _ in arrived:
            self._metrics.latency.observe(elapsed)

    async def submit(self, actor: Actor, request: Request) -> Handled:
        """Carry out a request of a caller that answers by itself (not a device); its events
        are published before this returns. Raises Fenced when a newer hub took the hall."""
        handled = await self._carry_out(actor, request)
        if handled.outcome is not None and not actor.is_device:
            self._publisher.events(handled.outcome, handled.first_seq)
        return handled

    def _check(self, device_id: str, payload: bytes, reply: Reply) -> _Pending | None:
        """The device and its request, or None when it was refused (and answered if it can be)."""
        try:
            request = parse_request(payload)
        except BadRequest as exc:
            self._metrics.bad_payloads.inc(answered="yes" if exc.request_id else "no")
            if exc.request_id is None:
                log.warning("dropped a payload from %s: %s", device_id, exc.message)
                return None
            reply(dumps(error_response(exc.request_id, "bad_request", exc.message)))
            return None
        device = self._config.device(device_id)
        if device is None:
            self._metrics.requests.inc(op=_op_label(request), code="unknown_device")
            message = f"no device {device_id!r} in hall {self._config.hall.id}"
            reply(dumps(error_response(request.id, "unknown_device", message)))
            return None
        catalogue = self._engine.state.catalogue
        if catalogue is not None:
            if not catalogue.device_setting(device_id).enabled:
                self._metrics.requests.inc(op=_op_label(request), code="device_disabled")
                message = f"device {device_id} is disabled by the hall's manager"
                reply(dumps(error_response(request.id, "device_disabled", message)))
                return None
            device = catalogue.bound(device)
        # A request counts once against its device's limit, however often it is sent again:
        # a repeat gets the same answer (contract, section 3), or is decided once more when a
        # refusal or `unavailable` is all it got. What is carried out stays within the limit
        # (each request at most once); how often a device sends, the flood gate bounds.
        repeat = self._engine.known_repeat(device.id, request.id)
        wait_s = 0.0 if repeat else self._limiter.take(device.id, device.kind)
        if wait_s > 0:
            self._metrics.requests.inc(op=_op_label(request), code="rate_limited")
            reply(dumps(rate_limited(request.id, wait_s)))
            return None
        return _Pending(Actor.of_device(device), request, reply)

    async def _signing_in(self, pending: _Pending | None) -> _Pending | None:
        """A window.open with its credentials checked (`staff.py`); None when answered."""
        if pending is None or self.staff is None or pending.request.op != "window.open":
            return pending
        try:
            actor = await self.staff.prepare(pending.actor, pending.request)
        except StoreUnavailable:
            pending.reply(dumps(error_response(pending.request.id, "unavailable", STORE_DOWN)))
            return None
        return _Pending(actor, pending.request, pending.reply)

    async def _settle(self, actor: Actor, handled: Handled) -> None:
        if self.staff is not None and actor.staff_check is not None:
            await self.staff.settle(actor, handled.code, handled.duplicate)

    async def _carry_out(self, actor: Actor, request: Request) -> Handled:
        handled = await self._engine.handle(actor, request)
        self._after(actor, request, handled)
        return handled

    def _after(self, actor: Actor, request: Request, handled: Handled) -> None:
        """Count it and publish what it changed (screens first), before the answer goes."""
        self._metrics.requests.inc(op=_op_label(request), code=handled.code)
        if handled.day_changed or handled.reloaded:
            self._publisher.republish_all()
        if handled.outcome is not None:
            self._publisher.effects(handled.outcome, handled.first_seq)

    def _answer(self, pending: _Pending, handled: Handled) -> None:
        """Answer the device, then tell the integrations."""
        pending.reply(handled.response)
        if handled.outcome is not None:
            self._publisher.events(handled.outcome, handled.first_seq)


def rate_limited(request_id: str, wait_s: float) -> dict[str, Any]:
    """The answer to a request over its device's limit, with when to try again."""
    retry_after_s = max(0.01, round(wait_s, 2))
    message = f"too many requests from this device: retry in {retry_after_s:g} s"
    response = error_response(request_id, "rate_limited", message)
    response["error"]["retry_after_s"] = retry_after_s
    return response


def _op_label(request: Request) -> str:
    return request.op if request.op in HANDLERS else "other"
