"""Scenario 2: `call.next` → the window's LED strip, at a paced 500 requests/s.

Eight windows are opened and a deep queue of tickets is taken beforehand (services A-H, enough
for every call), then each window calls once, so every timed `call.next` also ends the ticket
in hand (the hub does that on "next") before calling the next one. The pads then send
`call.next` round-robin over the windows on a fixed schedule (open loop, 2,000 requests), and
each is timed from publishing it to receiving the live (not the retained-on-subscribe) copy of
`hall/<id>/dev/led-<n>/state` showing the called ticket (the number in the `call.next`
response), or a ticket its window called after it: calls committed together are shown as the
window is after all of them, so the strip may skip straight to the later one. An update showing
a ticket the window called before this one is an earlier state and does not count.

    python -m bench.call [--in-process] [--scale 0.1]
"""

from __future__ import annotations

import asyncio
import json
from contextlib import AsyncExitStack
from dataclasses import replace
from typing import Any

from .load import REPLY_TIMEOUT_S, Device, Sample, Timed, run_closed, run_paced, summarise
from .report import Table
from .session import scaled, standalone
from .targets import CALL_SERVICES, Env, hub, least_disturbed, new_hall_id

RATE = 500.0
COUNT = 2_000
WINDOWS = 8
PREP_CONCURRENCY = 32

Shown = tuple[float, dict[str, Any]]  # (received at, the strip's state)


async def call_to_display(env: Env, count: int) -> tuple[Sample, Sample, int]:
    """(call.next → LED state, call.next → response, tickets waiting before the first call)."""
    servers = env.servers
    hall_id = new_hall_id("call")
    windows = [str(n) for n in range(1, WINDOWS + 1)]
    led_window = {f"hall/{hall_id}/dev/led-{w}/state": w for w in windows}
    # Each strip's live updates in order: (received at, its state); and the tickets its
    # window's answered calls called, in order.
    shown: dict[str, list[Shown]] = {w: [] for w in windows}
    changed: dict[str, asyncio.Event] = {w: asyncio.Event() for w in windows}
    called_before: dict[str, set[str]] = {w: set() for w in windows}

    def on_led(topic: str, payload: bytes, retained: bool, received: float) -> None:
        window = led_window.get(topic)
        if retained or window is None:
            return
        shown[window].append((received, json.loads(payload)))
        changed[window].set()

    async def displayed(window: str, ticket: str, stale: set[str], sent: float) -> Shown:
        """The first update after `sent` showing `ticket` or a later call's."""
        seen = 0
        while True:
            updates = shown[window]
            for received, state in updates[seen:]:
                if received >= sent and state.get("ticket") not in stale:
                    return received, state
            seen = len(updates)
            changed[window].clear()
            await changed[window].wait()

    async with hub(env, hall_id, kiosks=1, windows=WINDOWS) as target, AsyncExitStack() as stack:

        def device(device_id: str) -> Device:
            return Device(servers.host, servers.mqtt_port, target.hall_id, device_id)

        pads = {w: await stack.enter_async_context(device(f"pad-{w}")) for w in windows}
        kiosk = await stack.enter_async_context(device("kiosk-1"))
        for w, pad in pads.items():
            opened = await pad.request("window.open", {"staff": f"staff-{w}"})
            if not opened.ok:
                raise RuntimeError(f"window.open from pad-{w}: {opened.data}")
        # The queue: one ticket per call, plus one pre-call per window, plus a margin.
        per_service = -(-count // len(CALL_SERVICES)) + 10
        prep = len(CALL_SERVICES) * per_service

        async def take(i: int) -> Timed:
            reply = await kiosk.request(
                "ticket.take", {"service": CALL_SERVICES[i % len(CALL_SERVICES)]}
            )
            return reply.timed()

        taken = await run_closed("prep", prep, PREP_CONCURRENCY, take)
        if taken.errors or taken.lost:
            raise RuntimeError(f"preparing the queue: {taken.errors} refused, {taken.lost} lost")
        for pad in pads.values():
            called = await pad.request("call.next")
            if not (called.ok and called.result.get("ticket")):
                raise RuntimeError(f"the first call.next from {pad.device_id}: {called.data}")
        waiting = prep - len(pads)

        await stack.enter_async_context(
            Device(
                servers.host,
                servers.mqtt_port,
                target.hall_id,
                "led-watch",
                watch=list(led_window),
                on_message=on_led,
            )
        )
        responses: list[Timed | BaseException] = []

        async def call(i: int) -> Timed:
            window = windows[i % len(windows)]
            try:
                reply = await pads[window].request("call.next")
            except TimeoutError as exc:
                responses.append(exc)
                raise
            responses.append(reply.timed())
            ticket = (reply.result.get("ticket") or {}).get("no")
            stale = set(called_before[window])  # calls answered before this one, in order
            if ticket is not None:
                called_before[window].add(ticket)
            received, state = await asyncio.wait_for(
                displayed(window, str(ticket), stale, reply.sent), REPLY_TIMEOUT_S
            )
            right = (
                reply.ok
                and ticket is not None
                and state.get("ticket_state") == "called"
                and str(state.get("ticket")) in state.get("text", "")
            )
            return Timed(reply.sent, received, right)

        led = await env.measure(
            target, run_paced("hub: call.next → LED `state`", count, RATE, call)
        )
    res = summarise("hub: call.next → response", responses)
    return led, res, waiting


async def measure(env: Env, count: int) -> tuple[Sample, Sample, int]:
    """`call_to_display` on a fresh hub, re-run if disturbed."""
    return await least_disturbed(
        env,
        f"hub: call.next → LED state at {RATE:.0f}/s",
        lambda: call_to_display(env, count),
        lambda result: result[0],
    )


async def scenario(env: Env, scale: float = 1.0, base: Sample | None = None) -> list[Table]:
    count = scaled(COUNT, scale)
    led, res, waiting = await measure(env, count)
    return [call_table(led, res, waiting, count, base)]


def call_table(led: Sample, res: Sample, waiting: int, count: int, base: Sample | None) -> Table:
    # The baseline of scenario 1 for scale; its notes are with scenario 1.
    shown = (
        None
        if base is None
        else replace(
            base, label="baseline (scenario 1)", cpu={}, offered=None, send_lag_p99=None, note=""
        )
    )
    samples = [s for s in (shown, led, res) if s is not None]
    notes = [
        f"{WINDOWS} windows open, each serving three of A-H; {waiting:,} tickets waiting "
        "at the first timed call, and every timed call.next also ends the ticket in hand. "
        "Latency to the live `led-<n>/state` showing the called ticket (the response's) or "
        "one its window called after it; the response row is the same calls timed to "
        "`dev/pad-<n>/res`."
    ]
    if base is not None:
        notes.append(
            "baseline (scenario 1): the baseline's paced `ticket.take` run, for scale: one "
            "hop in, one script, one hop out."
        )
    return Table(
        f"2. `call.next` → window LED `state`, paced {RATE:.0f} req/s "
        f"(open loop, {count:,} requests)",
        samples,
        notes,
    )


def main() -> None:
    standalone("python -m bench.call", __doc__ or "", scenario)


if __name__ == "__main__":
    main()
