"""The hall speaker: a contract device that speaks the hub's announcements.

``Speaker`` listens to ``hall/<id>/announce``, the ``board`` and one window device's retained
``state`` per window. Announcements are queued and spoken one at a time, lowest ``seq`` first;
a seq already heard is dropped (a QoS 1 duplicate). A call is spoken only once the screen shows
it (the board lists the ticket at that window, or the window's state holds it); if that has not
happened within ``gate_timeout_s`` it is spoken anyway, and logged.

What is said is the announcement's ``speech`` exactly as the hub wrote it (the call spelled for
a voice: ``请，A，零零一号，到，综合窗口办理``), or its ``text`` from a hub that sends no
``speech``; the speaker builds no phrase and knows no window names. A text that is not one
short line, or that holds a run of more than 4 digits (an ID or phone number), is not said.
Each announcement is a chime (a two-tone ding-dong, written once with ``wave`` in the
synthesiser's sample format), then the phrase ``repeat`` times with short pauses, composed
into one WAV. It is played with ``aplay``;
with an out dir, or without a sound card, it is written there as ``<seq>-<ticket>-<window>.wav``.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import itertools
import logging
import math
import os
import re
import sys
import time
import wave
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

from displays import phrasing
from hall.contract.device import DeviceLink
from hall.contract.link import Endpoint
from hall.contract.wire import Topics
from hall.domain.config import WINDOW_BOUND_KINDS, HallConfig
from hall.voice.playback import has_audio_device, play
from hall.voice.synth import DEFAULT_RATE, DEFAULT_VOICE, SpeechSynth

log = logging.getLogger("hall.voice.speaker")

CHIME: Final = ((659.25, 0.3), (523.25, 0.3))  # E5 then C5 (Hz, seconds): ding-dong, 0.6 s
CHIME_LEVEL: Final = 0.5  # peak, as a share of full scale
REMEMBERED_SEQS: Final = 4096
OUT_NAME: Final = re.compile(r"[0-9]+-[A-Z][0-9]{3}-[a-z0-9-]+\.wav")
Format = tuple[int, int, int]  # frame rate, sample width in bytes, channels


class SpeakerError(RuntimeError):
    """The speaker cannot run as configured; the message says what to fix."""


class PhraseSynth(Protocol):
    """What the speaker needs of a synthesiser (``SpeechSynth``): a WAV file per phrase."""

    async def start(self) -> None: ...
    async def synth(self, text: str) -> Path: ...
    async def close(self) -> None: ...


@dataclass(frozen=True)
class SpeakerOptions:
    out_dir: Path | None = None  # write each announcement's WAV here instead of playing it
    cache_dir: Path | None = None  # phrase cache; default <config folder>/var/speech
    repeat: int = 2  # times the phrase is said per announcement
    chime: bool = True
    voice: str = DEFAULT_VOICE
    rate: int = DEFAULT_RATE  # words per minute
    gate_timeout_s: float = 2.0  # longest wait for the screen to show the call
    pause_s: float = 0.7  # silence after the chime and between repeats
    keep: int = 500  # announcement WAVs kept in the out dir; older ones are removed


@dataclass(frozen=True)
class Announcement:
    seq: int
    ticket: str
    window: str
    said: str  # the phrase as the hub gave it


@dataclass(frozen=True)
class Spoken:
    """One announcement as it went out; ``started``/``ended`` are ``time.monotonic()``."""

    seq: int
    ticket: str
    window: str
    started: float
    ended: float
    shown: bool  # the screen showed the call before it was spoken
    path: Path | None  # the WAV written to the out dir, or None when played


class Speaker:
    def __init__(
        self,
        config: HallConfig,
        device_id: str,
        options: SpeakerOptions | None = None,
        *,
        synth: PhraseSynth | None = None,
        player: Callable[[Path], Awaitable[bool]] = play,
    ) -> None:
        options = options or SpeakerOptions()
        device = config.device(device_id)
        where = config.source or "the configuration"
        if device is None:
            raise SpeakerError(
                f'no device "{device_id}" in {where}; add a [[devices]] entry with '
                f'id = "{device_id}" and kind = "speaker"'
            )
        if device.kind != "speaker":
            raise SpeakerError(f'device "{device_id}" in {where} is a {device.kind}, not a speaker')
        if not 1 <= options.repeat <= 10:
            raise SpeakerError(f"repeat must be 1-10, got {options.repeat}")
        self.config, self.device_id, self.options = config, device_id, options
        self.topics = Topics(config.hall.id)
        var = (config.source.parent if config.source else Path.cwd()) / "var"
        self.cache_dir = options.cache_dir or var / "speech"
        self.out_dir = options.out_dir
        self._fallback_out = var / "announcements"
        self.synth: PhraseSynth = synth or SpeechSynth(
            self.cache_dir, voice=options.voice, rate=options.rate
        )
        self.player = player
        watched: dict[str, str] = {}  # window → the state topic of one device bound to it
        for d in config.devices:
            if d.kind in WINDOW_BOUND_KINDS and d.window and d.window not in watched:
                watched[d.window] = self.topics.device(d.id, "state")
        self._state_topics = {topic: window for window, topic in watched.items()}
        self._board: set[tuple[object, object]] = set()
        self._windows: dict[str, object] = {}
        self._shown = asyncio.Condition()
        self._queue: asyncio.PriorityQueue[tuple[int, int, Announcement]] = asyncio.PriorityQueue()
        self._order = itertools.count()
        self._heard: OrderedDict[int, Announcement] = OrderedDict()
        self._chimes: dict[Format, bytes] = {}
        self.spoken: list[Spoken] = []
        self.ready = asyncio.Event()  # set once subscribed: announcements are heard from then on

    @property
    def extra_topics(self) -> list[str]:
        return [self.topics.announce, self.topics.board, *self._state_topics]

    # ----- what comes in -------------------------------------------------------------------
    async def on_message(self, topic: str, data: dict[str, Any]) -> None:
        if topic == self.topics.announce:
            self._enqueue(data)
        elif topic == self.topics.board:
            calls = data.get("calls")
            if isinstance(calls, list):
                self._board = {
                    (c.get("ticket"), c.get("window")) for c in calls if isinstance(c, dict)
                }
                await self._screen_changed()
        elif topic in self._state_topics:
            self._windows[self._state_topics[topic]] = data.get("ticket")
            await self._screen_changed()

    async def _screen_changed(self) -> None:
        async with self._shown:
            self._shown.notify_all()

    def _enqueue(self, data: dict[str, Any]) -> None:
        try:
            ann = self._parse(data)
        except ValueError as exc:
            log.warning("ignored an announcement: %s", exc)
            return
        if self._heard.get(ann.seq) == ann:
            log.debug("dropped a duplicate of announcement %d", ann.seq)
            return
        if ann.seq in self._heard:
            log.warning("announcement %d came again for another call; speaking it", ann.seq)
        self._heard[ann.seq] = ann
        self._heard.move_to_end(ann.seq)
        while len(self._heard) > REMEMBERED_SEQS:
            self._heard.popitem(last=False)
        self._queue.put_nowait((ann.seq, next(self._order), ann))

    def _parse(self, data: dict[str, Any]) -> Announcement:
        # Messages name no payload value: a bad field might hold personal data.
        seq, ticket, window = data.get("seq"), data.get("ticket"), data.get("window")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise ValueError("no valid seq")
        if not isinstance(ticket, str) or phrasing.TICKET_NO_PATTERN.fullmatch(ticket) is None:
            raise ValueError(f"seq {seq}: no valid ticket number")
        if not isinstance(window, str) or phrasing.WINDOW_ID_PATTERN.fullmatch(window) is None:
            raise ValueError(f"seq {seq}: no valid window id")
        said = data.get("speech", data.get("text"))
        try:
            return Announcement(seq, ticket, window, phrasing.check_said_text(said))
        except ValueError as exc:
            raise ValueError(f"seq {seq}: nothing to say ({exc})") from None

    # ----- what goes out -------------------------------------------------------------------
    def _on_screen(self, ann: Announcement) -> bool:
        on_board = (ann.ticket, ann.window) in self._board
        return on_board or self._windows.get(ann.window) == ann.ticket

    async def _wait_shown(self, ann: Announcement) -> bool:
        async with self._shown:
            try:
                async with asyncio.timeout(self.options.gate_timeout_s):
                    await self._shown.wait_for(lambda: self._on_screen(ann))
                return True
            except TimeoutError:
                log.warning(
                    "announcement %d: the screen did not show %s at window %s within %.1f s; "
                    "speaking it anyway",
                    *(ann.seq, ann.ticket, ann.window, self.options.gate_timeout_s),
                )
                return False

    async def consume(self) -> None:
        """Speak queued announcements one at a time, lowest seq first; runs until cancelled."""
        while True:
            _, _, ann = await self._queue.get()
            started = time.monotonic()
            shown = await self._wait_shown(ann)
            try:
                path = await self._say(ann)
            except Exception:  # one bad announcement never silences the hall
                log.exception("announcement %d (%s at window %s) failed", *astuple(ann))
                continue
            self.spoken.append(
                Spoken(ann.seq, ann.ticket, ann.window, started, time.monotonic(), shown, path)
            )

    async def _say(self, ann: Announcement) -> Path | None:
        phrase = await self.synth.synth(ann.said)
        name = f"{ann.seq}-{ann.ticket}-{ann.window}.wav"
        out_dir = self.out_dir
        target = out_dir / name if out_dir is not None else self.cache_dir / f".playing-{name}"
        await asyncio.to_thread(self._compose, phrase, target)
        if out_dir is not None:
            await asyncio.to_thread(self._prune, out_dir)
            log.info("announcement %d: %s at window %s → %s", *astuple(ann), target)
            return target
        try:
            if not await self.player(target):
                log.warning("announcement %d could not be played", ann.seq)
        finally:
            target.unlink(missing_ok=True)
        log.info("announcement %d: %s at window %s spoken", *astuple(ann))
        return None

    def _compose(self, phrase: Path, target: Path) -> None:
        """Chime, pause, then the phrase ``repeat`` times with pauses: one WAV at ``target``."""
        with wave.open(str(phrase), "rb") as wav:
            fmt: Format = (wav.getframerate(), wav.getsampwidth(), wav.getnchannels())
            speech = wav.readframes(wav.getnframes())
        pause = silence(fmt, self.options.pause_s)
        parts = [self._chime(fmt), pause] if self.options.chime else []
        for i in range(self.options.repeat):
            parts += [pause, speech] if i else [speech]
        write_wav(target, fmt, b"".join(parts))

    def _chime(self, fmt: Format) -> bytes:
        frames = self._chimes.get(fmt)
        if frames is None:
            path = self.cache_dir / "chime-{}-{}-{}.wav".format(*fmt)
            if not path.exists():
                write_wav(path, fmt, pcm(chime_samples(fmt[0]), fmt))
            with wave.open(str(path), "rb") as wav:
                frames = self._chimes[fmt] = wav.readframes(wav.getnframes())
        return frames

    def _prune(self, out_dir: Path) -> None:
        files = sorted(
            (p for p in out_dir.iterdir() if OUT_NAME.fullmatch(p.name)),
            key=lambda p: p.stat().st_mtime,
        )
        for old in files[: max(0, len(files) - self.options.keep)]:
            old.unlink(missing_ok=True)

    # ----- running -------------------------------------------------------------------------
    async def run(self, endpoint: Endpoint) -> None:
        """Start the synthesiser, connect as the device and speak until cancelled."""
        await self.synth.start()
        if self.out_dir is None and not await has_audio_device():
            self.out_dir = self._fallback_out
            log.warning("no sound card: announcements are written to %s", self.out_dir)
        link = DeviceLink(endpoint, self.config.hall.id, self.device_id, self.extra_topics)
        link.listeners.append(self.on_message)

        async def connected() -> None:
            await link.link.connected.wait()
            self.ready.set()

        tasks = [asyncio.create_task(c) for c in (link.run(), self.consume(), connected())]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(link.go_offline(), 3)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.synth.close()


async def run_speaker(
    endpoint: Endpoint, config: HallConfig, device_id: str, options: SpeakerOptions | None = None
) -> None:
    """Run the speaker device ``device_id`` until cancelled: alone, or beside the hub."""
    await Speaker(config, device_id, options).run(endpoint)


def astuple(ann: Announcement) -> tuple[int, str, str]:
    return ann.seq, ann.ticket, ann.window


def chime_samples(rate: int) -> list[float]:
    """The ding-dong, -1.0 … 1.0: each tone with a 5 ms attack and a decay to near silence."""
    out: list[float] = []
    for freq, length in CHIME:
        for i in range(int(rate * length)):
            t = i / rate
            envelope = min(1.0, t / 0.005, (length - t) / 0.005) * math.exp(-4.0 * t / length)
            tone = math.sin(2 * math.pi * freq * t) + 0.3 * math.sin(4 * math.pi * freq * t)
            out.append(CHIME_LEVEL * envelope * tone / 1.3)
    return out


def pcm(samples: list[float], fmt: Format) -> bytes:
    """Little-endian PCM frames of mono samples (-1.0 … 1.0) in ``fmt``, copied per channel."""
    _, width, channels = fmt
    if width == 1:  # 8-bit WAV is unsigned
        return bytes(128 + round(s * 127) for s in samples for _ in range(channels))
    if width not in (2, 4):
        raise ValueError(f"unsupported sample width: {width} bytes")
    full = (1 << (8 * width - 1)) - 1
    data = array.array("h" if width == 2 else "i", (round(s * full) for s in samples))
    if channels > 1:
        data = array.array(data.typecode, (s for s in data for _ in range(channels)))
    if sys.byteorder == "big":
        data.byteswap()
    return data.tobytes()


def silence(fmt: Format, seconds: float) -> bytes:
    rate, width, channels = fmt
    return (b"\x80" if width == 1 else b"\x00" * width) * (int(rate * seconds) * channels)


def write_wav(path: Path, fmt: Format, frames: bytes) -> None:
    """Write a WAV beside ``path`` and move it in place, so no reader sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with wave.open(str(tmp), "wb") as wav:
            wav.setparams((fmt[2], fmt[1], fmt[0], 0, "NONE", "not compressed"))
            wav.writeframes(frames)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
