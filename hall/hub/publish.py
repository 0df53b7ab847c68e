"""What the hub publishes after a commit, and to whom inside the process it tells it.

The order is deliberate: the window devices' retained `state` and the `board` first, then the
announcement (never spoken before the screen shows the call), the print job; the response
goes next (sent by whoever answers the request), then the events. `services` (guidance) is
coalesced to at most 10 updates a second, and published again when a service's opening hours
begin or end. A change of the hall's settings republishes every window device's state (a
window's services, or which devices a window has, may have changed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from hall.contract.link import MqttLink
from hall.contract.wire import Topics, dumps
from hall.domain.catalogue import Catalogue
from hall.domain.config import WINDOW_BOUND_KINDS, HallConfig
from hall.domain.events import TicketCalled, TicketRecalled, event_view, numbered_json
from hall.domain.hall import HallState, Outcome
from hall.hub import views
from hall.hub.sent_events import EventMarks

__all__ = ["Listener", "Publisher"]

log = logging.getLogger("hall.hub.publish")
SERVICES_MIN_INTERVAL_S = 0.1  # guidance updates are coalesced to at most 10 a second
# A call is on the board at once; calls following each other closer than this are shown
# together, once it is up: at most 20 boards a second however fast the windows call.
BOARD_MIN_INTERVAL_S = 0.05
HOURS_CHECK_S = 15.0  # how often a service's opening hours are checked for a change

Listener = Callable[[dict[str, Any]], None]


def _event_index(outcome: Outcome, ticket_no: str) -> int:
    """Where the call of `ticket_no` is among the outcome's events: its sequence offset."""
    for index, event in enumerate(outcome.events):
        if isinstance(event, TicketCalled | TicketRecalled) and event.ticket["no"] == ticket_no:
            return index
    return len(outcome.events) - 1


class Publisher:
    def __init__(
        self,
        config: HallConfig,
        link: MqttLink,
        topics: Topics,
        state: Callable[[], HallState],
        status_url: str | None,
        clock: Callable[[], float] = time.time,
        sent_events: EventMarks | None = None,
    ) -> None:
        self._config = config
        self._link = link
        # Which events the broker has (`sent_events.py`); without it, none are followed.
        self._sent_events = sent_events
        self._topics = topics
        self._state = state
        self._status_url = status_url
        self._clock = clock
        self._accepting: tuple[bool, ...] = ()  # which services took tickets when last published
        # Told every published event (with its seq) and every device status change: the live
        # dashboard, the screen pages and `hall watch` listen here.
        self._listeners: list[Listener] = []
        # Told every announcement (as on hall/<id>/announce): the screen pages.
        self._announce_listeners: list[Listener] = []
        self._services_dirty = asyncio.Event()
        self._board_at = -BOARD_MIN_INTERVAL_S  # monotonic time a call's board last went out
        self._board_pending = False  # a board is due when the interval is up
        self._window_sent: dict[str, bytes] = {}  # each window's `state` as last published
        # The `state` topics of each window's devices, for the catalogue they were found in
        # (a catalogue is never changed in place: a manager's change makes a new one).
        self._state_topics: dict[str, tuple[str, ...]] = {}
        self._state_topics_of: Catalogue | None = None

    # ----- inside the process --------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def subscribe_announcements(self, listener: Listener) -> None:
        self._announce_listeners.append(listener)

    def notify(self, event: dict[str, Any]) -> None:
        _tell(self._listeners, event, "a listener failed on %s", event.get("type"))

    # ----- on the broker -------------------------------------------------------------------
    def reply_to(self, device_id: str) -> Callable[[bytes], None]:
        """How a device that sent a request over MQTT is answered: on its `res` topic."""
        topic = self._topics.device(device_id, "res")

        def reply(body: bytes) -> None:
            self._link.publish(topic, body)

        return reply

    def hub_key(self, message: dict[str, str]) -> None:
        """The hub's public key for sealed ID numbers, retained on `hall/<hall>/hub/key`."""
        self._link.publish(self._topics.hub_key, dumps(message), retain=True)

    def republish_all(self) -> None:
        for window_id in self._state().windows:
            self.window(window_id, again=True)
        self.board()
        self.services()

    def effects(self, outcome: Outcome, first_seq: int) -> None:
        """The screens, announcements and print jobs of a commit (before its response)."""
        state = self._state()
        for _before, window in outcome.windows:
            self.window(window.id)
        for _before_t, ticket in outcome.tickets:
            if (
                ticket.window
                and ticket.state in ("called", "serving")
                and not any(w.id == ticket.window for _b, w in outcome.windows)
            ):
                self.window(ticket.window)
        if outcome.calls:
            self._board_soon()
            for call in outcome.calls:
                seq = first_seq + _event_index(outcome, call.ticket)
                announcement = views.announcement(state, call, seq)
                self._link.publish(self._topics.announce, dumps(announcement))
                _tell(self._announce_listeners, announcement, "an announcement listener failed")
        for printer, ticket_no in outcome.prints:
            printed = state.tickets[ticket_no]
            view = outcome.result.get("ticket") or state.ticket_view(printed, self._clock())
            self._link.publish(
                self._topics.device(printer, "cmd"),
                dumps(views.print_job(state, printed, view, self._status_url)),
            )
        if outcome.catalogue is not None:  # devices may be bound to other windows now
            for window_id in state.windows:
                self.window(window_id, again=True)
        if outcome.tickets or outcome.windows or outcome.catalogue:
            self._services_dirty.set()

    def events(self, outcome: Outcome, first_seq: int) -> None:
        """The events of a commit, numbered, after its response went out."""
        for offset, event in enumerate(outcome.events):
            seq = first_seq + offset
            self._event(seq, numbered_json(event, seq))
            if self._listeners:
                self.notify(event_view(event, seq))

    def events_again(self, events: list[tuple[int, bytes]]) -> None:
        """Stored events (numbered JSON) the broker may not have got, sent at takeover."""
        for seq, body in events:
            self._event(seq, body)

    def _event(self, seq: int, body: bytes) -> None:
        settled = None if self._sent_events is None else self._sent_events.follow(seq)
        self._link.publish(self._topics.events, body, settled=settled)

    def window(self, window_id: str, *, again: bool = False) -> None:
        """The window's retained `state`, to every device bound to it now; not again when it
        is what they were last sent (requests committed together publish each outcome, but
        the window as it is after all of them), unless `again` (a reconnect, a reload)."""
        state = self._state()
        body = dumps(views.window_device_state(state, state.windows[window_id]))
        if not again and self._window_sent.get(window_id) == body:
            return
        self._window_sent[window_id] = body
        assert state.catalogue is not None
        for topic in self._window_state_topics(state.catalogue).get(window_id, ()):
            self._link.publish(topic, body, retain=True)

    def _window_state_topics(self, catalogue: Catalogue) -> dict[str, tuple[str, ...]]:
        """Each window's devices' `state` topics as `catalogue` binds them: found once per
        catalogue, not by going through every device of the hall at every call."""
        if catalogue is not self._state_topics_of:
            topics: dict[str, list[str]] = {}
            for device in self._config.devices:
                if device.kind not in WINDOW_BOUND_KINDS:
                    continue
                window_id = catalogue.bound(device).window
                if window_id is not None:
                    topics.setdefault(window_id, []).append(self._topics.device(device.id, "state"))
            self._state_topics = {w: tuple(t) for w, t in topics.items()}
            self._state_topics_of = catalogue
        return self._state_topics

    def board(self) -> None:
        self._link.publish(self._topics.board, dumps(views.board(self._state())), retain=True)

    def _board_soon(self) -> None:
        """The board after a call: at once, or, within `BOARD_MIN_INTERVAL_S` of the last
        call's, when that is up (showing every call made meanwhile)."""
        if self._board_pending:
            return
        wait = self._board_at + BOARD_MIN_INTERVAL_S - time.monotonic()
        if wait <= 0:
            self._board_due()
            return
        self._board_pending = True
        asyncio.get_running_loop().call_later(wait, self._board_due)

    def _board_due(self) -> None:
        self._board_pending = False
        self._board_at = time.monotonic()
        self.board()

    def services(self) -> None:
        state, now = self._state(), self._clock()
        self._accepting = state.accepting(now)
        body = dumps(views.services(state, now))
        self._link.publish(self._topics.services, body, retain=True)

    async def run_services(self) -> None:
        """Publish guidance and the board when they changed, at most 10 times a second, and
        guidance when a service's opening hours began or ended."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(HOURS_CHECK_S):
                    await self._services_dirty.wait()
            if not self._services_dirty.is_set():
                if self._state().accepting(self._clock()) != self._accepting:
                    self.services()
                continue
            self._services_dirty.clear()
            self.services()
            self.board()
            await asyncio.sleep(SERVICES_MIN_INTERVAL_S)


def _tell(listeners: list[Listener], message: dict[str, Any], failure: str, *args: Any) -> None:
    for listener in list(listeners):
        try:
            listener(message)
        except Exception:  # a listener's bug must not stop the hall
            log.exception(failure, *args)
