"""Drivers of devices that speak only when asked (a printer's status, an ID card reader).

The codec's decoder pairs each answer with the command written before it, so the driver tells
it what it sent; `ask()` writes one command and waits for its answer. A device that stays
silent gets a fresh decoder, so that the next answer is paired with the next command and not
with the one that went unanswered.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Sequence
from typing import Generic, Protocol, TypeVar

from devices.codecs import BadFrame
from devices.drivers.base import Binding, PortSpec, SerialDriver, SerialPort, wait_event

CommandT = TypeVar("CommandT")
CommandT_contra = TypeVar("CommandT_contra", contravariant=True)
AnswerT = TypeVar("AnswerT")
AnswerT_co = TypeVar("AnswerT_co", covariant=True)


class AnswerDecoder(Protocol[CommandT_contra, AnswerT_co]):
    def sent(self, command: CommandT_contra) -> None: ...

    def feed(self, data: bytes) -> Sequence[AnswerT_co | BadFrame]: ...


class AskingDriver(SerialDriver, Generic[CommandT, AnswerT]):
    """A session reads the answers while `work()` asks its questions with `ask()`."""

    def __init__(self, spec: PortSpec, binding: Binding) -> None:
        super().__init__(spec, binding)
        self._answers: asyncio.Queue[AnswerT] = asyncio.Queue()
        self._decoder = self.new_decoder()

    @abc.abstractmethod
    def new_decoder(self) -> AnswerDecoder[CommandT, AnswerT]:
        """A decoder that expects no answer yet."""

    @abc.abstractmethod
    def encode(self, command: CommandT) -> bytes:
        """The bytes of `command` on the line."""

    @abc.abstractmethod
    async def work(self, port: SerialPort) -> None:
        """Ask what the device is for, until the port fails or the session is cancelled."""

    async def session(self, port: SerialPort) -> None:
        self._decoder = self.new_decoder()
        async with asyncio.TaskGroup() as group:
            group.create_task(self._read(port))
            group.create_task(self.work(port))

    async def _read(self, port: SerialPort) -> None:
        while True:
            for event in self._decoder.feed(await port.read()):
                if isinstance(event, BadFrame):
                    self.bad_frame(event)
                else:
                    self._answers.put_nowait(event)

    async def ask(self, port: SerialPort, command: CommandT, timeout: float) -> AnswerT | None:
        """Send `command` and wait for its answer; None when the device says nothing."""
        while not self._answers.empty():
            self._answers.get_nowait()
        self._decoder.sent(command)
        await port.write(self.encode(command))
        answer: AnswerT | None = await wait_event(self._answers, timeout)
        if answer is None:
            self._decoder = self.new_decoder()  # pair the next answer with the next command
        return answer
