"""Resident ID card readers (二代身份证 SAM readers) at a kiosk: a card on the reader takes a
ticket.

The reader is polled: find card, select it, read it. A card read becomes `ticket.take` for the
bound kiosk with `id_sealed`, the ID number sealed to the hub's published key (so the hub, and
only the hub, can check in the holder's appointment; the hall file marks the kiosk
`id_reader = true`), and the configured `service`. The number never crosses the broker in
clear; it is never logged (logs show the masked number and name) and never kept: the driver
remembers a keyed hash of the last cards to debounce them. Without a key from the hub the
card still takes a ticket for `service`, without its number. The same
card is ignored until it has been off the reader for `debounce_s` seconds, so a card left on
the reader takes one ticket.

Options: `service` (the service code tickets are taken for; without it the hub needs an
appointment for the card), `priority` ("normal" or "green"), `poll_interval_s` (0.5),
`debounce_s` (10), `answer_timeout_s` (1; a read answer may take longer: 3 × this).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devices.codecs import idcard
from devices.drivers.asking import AskingDriver
from devices.drivers.base import Binding, DriverEnv, DriverInfo, PortSpec, SerialPort
from devices.drivers.options import OptionError, Options
from hall.contract.device import DeviceError, NoHubKey, RequestTimeout

OPTION_KEYS = ("service", "priority", "poll_interval_s", "debounce_s", "answer_timeout_s")
SW3_NO_CARD = 0x80


@dataclass(frozen=True)
class IdCardOptions:
    service: str | None = None
    priority: str = "normal"
    poll_interval_s: float = 0.5
    debounce_s: float = 10.0
    answer_timeout_s: float = 1.0


def parse_options(raw: Mapping[str, Any]) -> IdCardOptions:
    opts = Options(raw, OPTION_KEYS)
    service = opts.optional_string("service", max_len=1)
    if service is not None and not ("A" <= service <= "Z"):
        raise OptionError("service", f'expected a service code such as "A", got "{service}"')
    return IdCardOptions(
        service=service,
        priority=opts.choice("priority", "normal", ("normal", "green")),
        poll_interval_s=opts.number("poll_interval_s", 0.5, 0.05, 60.0),
        debounce_s=opts.number("debounce_s", 10.0, 0.0, 3600.0),
        answer_timeout_s=opts.number("answer_timeout_s", 1.0, 0.1, 30.0),
    )


class IdCardDriver(AskingDriver[tuple[int, int], idcard.Response]):
    private_frames = True  # a read answer holds the card's text: never log its bytes

    def __init__(
        self, spec: PortSpec, binding: Binding, options: IdCardOptions, env: DriverEnv
    ) -> None:
        super().__init__(spec, binding)
        self.options = options
        self.link = binding.only()
        self._key = os.urandom(32)  # hashes of recent cards, valid for this process only
        self._seen: dict[str, float] = {}  # card hash -> when it was last on the reader
        self.tickets: deque[str] = deque(maxlen=100)  # ticket numbers taken, newest last

    def new_decoder(self) -> idcard.Decoder:
        return idcard.Decoder()

    def encode(self, command: tuple[int, int]) -> bytes:
        return idcard.encode_command(command)

    async def work(self, port: SerialPort) -> None:
        """Poll: find a card, select it, read it."""
        timeout = self.options.answer_timeout_s
        silent = False
        while True:
            await asyncio.sleep(self.options.poll_interval_s)
            found = await self.ask(port, idcard.FIND_CARD, timeout)
            if found is None:
                if not silent:
                    self.log.warning("%s: the reader does not answer", self.label)
                silent = True
                continue
            silent = False
            if not isinstance(found, idcard.CardFound):
                if isinstance(found, idcard.Status) and found.code != SW3_NO_CARD:
                    self.log.debug("%s: find card: %s", self.label, found.meaning)
                continue
            selected = await self.ask(port, idcard.SELECT_CARD, timeout)
            if not isinstance(selected, idcard.CardSelected):
                continue
            read = await self.ask(port, idcard.READ_CARD, timeout * 3)
            if isinstance(read, idcard.CardRead):
                await self.card(read.data)
            elif isinstance(read, idcard.Status):
                self.log.info("%s: reading the card failed: %s", self.label, read.meaning)

    def _debounced(self, data: idcard.IdCardData) -> bool:
        """Whether this card was on the reader in the last `debounce_s` seconds."""
        now = time.monotonic()
        limit = self.options.debounce_s
        for card, seen in list(self._seen.items()):
            if now - seen > limit:
                del self._seen[card]
        card = data.id_number_hash(self._key)
        recent = card in self._seen
        self._seen[card] = now
        return recent

    async def card(self, data: idcard.IdCardData) -> None:
        """A card was read: take a ticket for it (once per visit to the reader)."""
        if self._debounced(data):
            return
        who = f"{data.masked_name()} {data.masked_id_number()}"
        args: dict[str, Any] = {}
        try:
            args["id_sealed"] = await self.link.seal_id(
                data.id_number_secret(), timeout=self.options.answer_timeout_s
            )
        except NoHubKey:
            if self.options.service is None:
                self.log.warning("%s: card %s: no key from the hub to seal to", self.label, who)
                return
            self.log.warning("%s: card %s: no key from the hub: a plain ticket", self.label, who)
        if self.options.service is not None:
            args["service"] = self.options.service
        if self.options.priority != "normal":
            args["priority"] = self.options.priority
        try:
            result = await self.link.call("ticket.take", args)
        except DeviceError as exc:
            self.log.info("%s: card %s: no ticket (%s)", self.label, who, exc.code)
            return
        except RequestTimeout:
            self.log.warning("%s: card %s: the hub did not answer", self.label, who)
            return
        ticket = result.get("ticket", {}) if isinstance(result, dict) else {}
        number = ticket.get("no") if isinstance(ticket, dict) else None
        self.tickets.append(str(number))
        self.news.set()
        self.log.info("%s: card %s took ticket %s", self.label, who, number)


INFO = DriverInfo(name="idcard", parse_options=parse_options, create=IdCardDriver)
