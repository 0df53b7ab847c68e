"""Speech synthesis for the hall speaker: phrase audio made in a worker process, cached on disk.

libespeak-ng initialises once per process and blocks while it synthesises, so it never runs
on the event loop: ``SpeechSynth`` starts one worker process (``multiprocessing``, spawn
context) that drives espeak-ng through pyttsx3, and talks to it over a pipe watched with
``loop.add_reader``. If pyttsx3 cannot start, the worker runs the ``espeak-ng`` command
instead; the engine in use is logged and available as ``SpeechSynth.engine``.

Each phrase is written once to ``<cache_dir>/<hash of voice, rate, text>.wav`` and reused.

The default voice is espeak-ng's ``cmn-latn-pinyin`` Mandarin voice: in espeak-ng 1.51
(Debian 12) the plain ``cmn`` voice reads Chinese characters as pinyin spelled out in English
with tone digits (号 becomes "hao four"), while ``cmn-latn-pinyin`` reads them in Mandarin.
Both read a capital letter standing alone by its letter name. Pass ``voice="cmn"`` where the
installed espeak-ng reads Chinese correctly with it.

The engines that run in the worker are in ``hall.voice.engines``; ``hall.voice.playback``
plays the result.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import multiprocessing
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from hall.voice.engines import (
    SYNTH_TIMEOUT_S,
    Engine,
    SpeechSynthError,
    WorkerCrashed,
    worker_main,
)

log = logging.getLogger(__name__)

DEFAULT_VOICE: Final = "cmn-latn-pinyin"
DEFAULT_RATE: Final = 150  # words per minute; espeak-ng's own default is 175
START_TIMEOUT_S: Final = 30.0
STOP_TIMEOUT_S: Final = 5.0

__all__ = [
    "DEFAULT_RATE",
    "DEFAULT_VOICE",
    "Engine",
    "SpeechSynth",
    "SpeechSynthError",
    "WorkerCrashed",
    "cache_key",
]


def cache_key(voice: str, rate: int, text: str) -> str:
    """File stem of a phrase in the cache: a hash of voice, rate and text."""
    digest = hashlib.sha256(f"{voice}\x00{rate}\x00{text}".encode()).hexdigest()
    return digest[:40]


class SpeechSynth:
    """Phrase audio for the speaker, synthesised off the event loop and cached on disk.

    ::

        synth = SpeechSynth(Path("var/speech"))
        await synth.start()
        wav = await synth.synth("请，A，零零一号，到，三号窗口办理")
        await play(wav)
        await synth.close()

    A worker that dies or hangs is stopped and started again on the next ``synth``.
    """

    def __init__(
        self,
        cache_dir: Path,
        *,
        voice: str = DEFAULT_VOICE,
        rate: int = DEFAULT_RATE,
        engine: Engine = "auto",
        synth_timeout_s: float = SYNTH_TIMEOUT_S,
    ) -> None:
        if engine not in ("auto", "pyttsx3", "espeak-ng"):
            raise ValueError(f"unknown engine: {engine!r}")
        if not 80 <= rate <= 450:
            raise ValueError(f"rate must be 80-450 words per minute, got {rate}")
        self.cache_dir = Path(cache_dir)
        self.voice = voice
        self.rate = rate
        self._engine_choice: Engine = engine
        self._synth_timeout_s = synth_timeout_s
        self._proc: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._ready: asyncio.Future[str] | None = None
        self._pending: dict[int, tuple[asyncio.Future[Path], Path, asyncio.TimerHandle]] = {}
        self._inflight: dict[Path, asyncio.Future[Path]] = {}
        self._next_id = 0
        self._restart_lock = asyncio.Lock()
        self._started = False
        self._closed = False
        self.engine: str | None = None
        self.synth_count = 0  # phrases actually synthesised (cache misses)

    async def __aenter__(self) -> SpeechSynth:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Start the worker and wait until its engine is ready; raises SpeechSynthError."""
        if self._closed:
            raise SpeechSynthError("this SpeechSynth is closed")
        if self._started:
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        await self._start_worker()
        self._started = True

    async def _start_worker(self) -> None:
        loop = asyncio.get_running_loop()
        ctx = multiprocessing.get_context("spawn")
        parent_conn, child_conn = ctx.Pipe(duplex=True)
        proc = ctx.Process(
            target=worker_main,
            args=(child_conn, self._engine_choice, self.voice, self.rate),
            name="hall-speech-synth",
            daemon=True,
        )
        proc.start()
        child_conn.close()  # keep only the worker's copy, so its exit reads as EOF here
        self._proc, self._conn = proc, parent_conn
        self._ready = loop.create_future()
        loop.add_reader(parent_conn.fileno(), self._on_readable)
        ready = self._ready
        try:
            async with asyncio.timeout(START_TIMEOUT_S):
                engine = await ready
        except TimeoutError:
            await self._stop_worker()
            raise SpeechSynthError(
                f"the speech worker did not start within {START_TIMEOUT_S:.0f} s"
            ) from None
        except BaseException:
            await self._stop_worker()
            raise
        finally:
            self._ready = None
        if self.engine != engine:
            log.info("speech synthesis: %s", engine)
        self.engine = engine

    def _on_readable(self) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            while conn.poll():
                self._on_message(conn.recv())
        except (EOFError, OSError):
            self._worker_gone("the speech worker stopped", WorkerCrashed)

    def _on_message(self, msg: tuple[Any, ...]) -> None:
        kind = msg[0]
        if kind == "ready":
            if self._ready is not None and not self._ready.done():
                self._ready.set_result(str(msg[1]))
        elif kind == "fatal":
            if self._ready is not None and not self._ready.done():
                self._ready.set_exception(SpeechSynthError(str(msg[1])))
        elif kind == "engine":
            self.engine = str(msg[1])
            log.warning("speech synthesis switched to: %s", self.engine)
        elif kind in ("done", "error"):
            entry = self._pending.pop(int(msg[1]), None)
            if entry is None:
                return
            future, path, timer = entry
            timer.cancel()
            if future.done():
                return
            if kind == "done":
                self.synth_count += 1
                future.set_result(path)
            else:
                future.set_exception(SpeechSynthError(str(msg[2])))

    def _worker_gone(self, reason: str, error: type[SpeechSynthError] = SpeechSynthError) -> None:
        """Fail everything waiting on the worker and forget it (it is restarted on demand)."""
        conn = self._conn
        if conn is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(conn.fileno())
            conn.close()
        self._conn = None
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(error(reason))
        pending, self._pending = self._pending, {}
        for future, _, timer in pending.values():
            timer.cancel()
            if not future.done():
                future.set_exception(error(reason))

    def _on_timeout(self, req_id: int) -> None:
        if req_id not in self._pending:
            return
        log.error("speech synthesis took over %.0f s; restarting the worker", self._synth_timeout_s)
        proc = self._proc
        if proc is not None and proc.is_alive():
            proc.kill()
        self._worker_gone(f"speech synthesis took over {self._synth_timeout_s:.0f} s")

    async def synth(self, text: str) -> Path:
        """The WAV file of ``text``, synthesised once and then served from the cache."""
        if not self._started or self._closed:
            raise SpeechSynthError("SpeechSynth is not started (await start() first)")
        if not text.strip():
            raise ValueError("nothing to say: the text is empty")
        path = self.cache_dir / f"{cache_key(self.voice, self.rate, text)}.wav"
        if path.exists():
            return path
        try:
            return await self._phrase(text, path)
        except WorkerCrashed:
            if self._closed:
                raise
            log.warning("the speech worker stopped; starting it again")
            return await self._phrase(text, path)

    async def _phrase(self, text: str, path: Path) -> Path:
        """Wait for ``path`` to be synthesised, sharing a request already on its way."""
        future = self._inflight.get(path)
        if future is None or future.done():
            future = await self._submit(text, path)
            self._inflight[path] = future
            future.add_done_callback(functools.partial(self._forget, path))
        return await asyncio.shield(future)

    def _forget(self, path: Path, future: asyncio.Future[Path]) -> None:
        if self._inflight.get(path) is future:
            del self._inflight[path]
        if not future.cancelled():
            future.exception()  # retrieved here, in case every caller has given up waiting

    async def _submit(self, text: str, path: Path) -> asyncio.Future[Path]:
        async with self._restart_lock:  # one restart, however many callers found it dead
            if self._conn is None or self._proc is None or not self._proc.is_alive():
                await self._stop_worker()
                await self._start_worker()
        conn = self._conn
        if conn is None:  # it died again while this caller waited for the lock
            raise WorkerCrashed("the speech worker stopped")
        loop = asyncio.get_running_loop()
        self._next_id += 1
        req_id = self._next_id
        future: asyncio.Future[Path] = loop.create_future()
        timer = loop.call_later(self._synth_timeout_s, self._on_timeout, req_id)
        self._pending[req_id] = (future, path, timer)
        try:
            conn.send(("synth", req_id, text, str(path)))
        except OSError:
            self._worker_gone("the speech worker stopped", WorkerCrashed)
        return future

    async def close(self) -> None:
        """Stop the worker (politely, then by force) and fail anything still waiting."""
        self._closed = True
        await self._stop_worker()

    async def _stop_worker(self) -> None:
        proc, conn = self._proc, self._conn
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.send(("stop",))
        self._worker_gone("the speech synthesiser is closing")
        self._proc = None
        if proc is None:
            return
        for force in (None, proc.terminate, proc.kill):
            if force is not None:
                force()
            try:
                async with asyncio.timeout(STOP_TIMEOUT_S):
                    await _wait_exit(proc)
            except TimeoutError:
                continue
            proc.close()
            return
        log.error("the speech worker (pid %s) did not exit", proc.pid)


async def _wait_exit(proc: multiprocessing.process.BaseProcess) -> None:
    """Wait for a process to end without blocking the loop (its sentinel fd turns readable)."""
    loop = asyncio.get_running_loop()
    ended: asyncio.Future[None] = loop.create_future()

    def on_exit() -> None:
        if not ended.done():
            ended.set_result(None)

    if proc.exitcode is None:
        loop.add_reader(proc.sentinel, on_exit)
        try:
            await ended
        finally:
            loop.remove_reader(proc.sentinel)
    proc.join()  # reaps it; the sentinel said it has ended, so this returns at once
