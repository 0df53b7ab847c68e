"""The ticket pages' live data: what each open ``/ws/ticket/<no>`` is sent (the socket itself
is live_ticket.py). A phone is sent its ticket's public view when it connects and again only
when that view changed; `Live` (live.py) calls `refresh` at most 4 times a second.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hall.contract.wire import dumps_text
from hall.domain.model import Ticket
from hall.hub import views
from hall.hub.hub import Hub
from hall.web.mailbox import Mailbox


def public_ticket(
    hub: Hub,
    ticket: Ticket,
    now: float | None = None,
    ahead_by_no: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """A ticket as its citizen may see it: the contract's Ticket with the names of its hall,
    service and window; no personal data. `ahead_by_no`: `waiting_places(now)`, for many."""
    state = hub.state
    view = state.ticket_view(ticket, hub.now() if now is None else now, ahead_by_no)
    service = state.service(ticket.service)
    view["service_name"] = service.name if service else ticket.service
    configured = state.config.service(ticket.service)
    if configured is not None and configured.name_en:
        view["service_name_en"] = configured.name_en
    view["hall_name"] = hub.config.hall.name
    if ticket.window:
        view["window_name"] = views.window_name(state, ticket.window)
    return view


class TicketPages:
    """The open ticket sockets, by ticket number, and what each ticket's were last sent."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.by_ticket: dict[str, set[Mailbox]] = {}
        self._last_sent: dict[str, str] = {}
        self._dirty = False

    def __len__(self) -> int:
        return sum(len(mailboxes) for mailboxes in self.by_ticket.values())

    def mailboxes(self) -> list[Mailbox]:
        return [mailbox for mailboxes in self.by_ticket.values() for mailbox in mailboxes]

    def changed(self) -> None:
        """The hall changed: any ticket's position may have (sent by `refresh`)."""
        self._dirty = True

    def text(
        self, no: str, now: float | None = None, ahead_by_no: Mapping[str, int] | None = None
    ) -> str | None:
        """The message for ticket `no`'s pages, or None when the hall has no such ticket."""
        ticket = self.hub.state.tickets.get(no)
        if ticket is None:
            return None
        view = public_ticket(self.hub, ticket, now, ahead_by_no)
        return dumps_text({"type": "ticket", "ticket": view})

    def add(self, no: str, mailbox: Mailbox) -> bool:
        """Follow ticket `no` on `mailbox`: False (and the page told so) when there is none."""
        text = self.text(no)
        if text is None:
            mailbox.push(dumps_text({"type": "not_found", "no": no}))
            mailbox.finish(1000, "no such ticket today")
            return False
        self.by_ticket.setdefault(no, set()).add(mailbox)
        self._last_sent[no] = text
        mailbox.set_limited(text)
        return True

    def remove(self, no: str, mailbox: Mailbox) -> None:
        mailboxes = self.by_ticket.get(no)
        if mailboxes is None:
            return
        mailboxes.discard(mailbox)
        if not mailboxes:
            del self.by_ticket[no]
            self._last_sent.pop(no, None)

    def refresh(self) -> None:
        """Send each followed ticket whose view changed since it was last sent."""
        if not self._dirty:
            return
        self._dirty = False
        if not self.by_ticket:
            return
        now = self.hub.now()
        ahead_by_no = self.hub.state.waiting_places(now)  # one sort, not a count per phone
        for no, mailboxes in self.by_ticket.items():
            text = self.text(no, now, ahead_by_no)
            if text is None:  # a new day began: the number is no longer this ticket's
                gone = dumps_text({"type": "not_found", "no": no})
                for mailbox in mailboxes:
                    mailbox.push(gone)
                    mailbox.finish(1000, "no such ticket today")
                continue
            if self._last_sent.get(no) == text:
                continue
            self._last_sent[no] = text
            for mailbox in mailboxes:
                mailbox.set_limited(text)
