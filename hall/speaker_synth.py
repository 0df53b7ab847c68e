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

``play`` sends a WAV file to the sound card with ``aplay`` when there is one, and
``wav_stats`` measures a WAV file (duration and RMS level).
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import functools
import hashlib
import io
import logging
import math
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import wave
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal

log = logging.getLogger(__name__)

DEFAULT_VOICE: Final = "cmn-latn-pinyin"
DEFAULT_RATE: Final = 150  # words per minute; espeak-ng's own default is 175
START_TIMEOUT_S: Final = 30.0
SYNTH_TIMEOUT_S: Final = 30.0
STOP_TIMEOUT_S: Final = 5.0

Engine = Literal["auto", "pyttsx3", "espeak-ng"]


class SpeechSynthError(RuntimeError):
    """Speech could not be synthesised (no engine, no voice, worker stopped or timed out)."""


class WorkerCrashed(SpeechSynthError):
    """The worker process ended unexpectedly; a request caught by it is tried once more."""


def cache_key(voice: str, rate: int, text: str) -> str:
    """File stem of a phrase in the cache: a hash of voice, rate and text."""
    digest = hashlib.sha256(f"{voice}\x00{rate}\x00{text}".encode()).hexdigest()
    return digest[:40]


# --------------------------------------------------------------------------------------
# Worker process side. Everything below up to SpeechSynth runs in the spawned process.
# Messages, parent → worker: ("synth", req_id, text, path) | ("stop",)
# worker → parent: ("ready", engine) | ("fatal", message) | ("engine", engine)
#                  | ("done", req_id) | ("error", req_id, message)
# --------------------------------------------------------------------------------------


class _Pyttsx3Engine:
    """pyttsx3 driving libespeak-ng inside this process."""

    def __init__(self, voice: str, rate: int) -> None:
        import pyttsx3  # imported here: only the worker process loads libespeak-ng

        self._engine: Any = pyttsx3.init("espeak")
        voice_id = self._resolve_voice(voice)
        self._engine.setProperty("voice", voice_id)
        self._engine.setProperty("rate", rate)
        self._engine.setProperty("volume", 1.0)
        self.description = f"pyttsx3 + libespeak-ng, voice {voice_id}, rate {rate}"

    def _resolve_voice(self, voice: str) -> str:
        wanted = voice.lower()
        for v in self._engine.getProperty("voices"):
            vid = str(v.id).lower()
            if vid == wanted or vid.rsplit("/", 1)[-1] == wanted:
                return str(v.id)
        for v in self._engine.getProperty("voices"):
            if wanted in [str(lang).lower() for lang in (v.languages or [])]:
                return str(v.id)
        raise SpeechSynthError(f"espeak-ng has no voice {voice!r}")

    def synth(self, text: str, path: Path) -> None:
        # pyttsx3 prints a line for every saved file; keep the worker's stdout quiet.
        with contextlib.redirect_stdout(io.StringIO()):
            self._engine.save_to_file(text, str(path))
            self._engine.runAndWait()


class _CommandEngine:
    """The ``espeak-ng`` command, one run per phrase."""

    def __init__(self, voice: str, rate: int) -> None:
        exe = shutil.which("espeak-ng")
        if exe is None:
            raise SpeechSynthError("espeak-ng is not installed (apt-get install espeak-ng)")
        # espeak-ng quietly falls back to its default voice for an unknown name: check first.
        listing = subprocess.run(
            [exe, "--voices"], capture_output=True, timeout=SYNTH_TIMEOUT_S, check=False
        ).stdout.decode(errors="replace")
        names: set[str] = set()
        for line in listing.splitlines()[1:]:
            cols = line.split()
            if len(cols) >= 5:  # Pty Language Age/Gender VoiceName File [Other languages]
                names.update({cols[1].lower(), cols[4].lower(), cols[4].rsplit("/", 1)[-1].lower()})
        if voice.lower() not in names:
            raise SpeechSynthError(f"espeak-ng has no voice {voice!r}")
        self._argv = [exe, "-v", voice, "-s", str(rate)]
        self.description = f"espeak-ng command, voice {voice}, rate {rate}"

    def synth(self, text: str, path: Path) -> None:
        done = subprocess.run(
            [*self._argv, "-w", str(path), "--stdin"],
            input=text.encode(),
            capture_output=True,
            timeout=SYNTH_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            detail = done.stderr.decode(errors="replace").strip()
            raise SpeechSynthError(f"espeak-ng exited with {done.returncode}: {detail}")


def _open_engine(engine: Engine, voice: str, rate: int) -> _Pyttsx3Engine | _CommandEngine:
    if engine in ("auto", "pyttsx3"):
        try:
            return _Pyttsx3Engine(voice, rate)
        except Exception as exc:
            if engine == "pyttsx3":
                raise
            fallback = _CommandEngine(voice, rate)
            fallback.description += f" (pyttsx3 could not start: {exc})"
            return fallback
    return _CommandEngine(voice, rate)


def _synth_to(engine: _Pyttsx3Engine | _CommandEngine, text: str, path: Path) -> None:
    """Synthesise into a temporary file beside ``path``, check it, then move it in place."""
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp")
    try:
        engine.synth(text, tmp)
        with wave.open(str(tmp), "rb") as wav:
            if wav.getnframes() == 0:
                raise SpeechSynthError("the engine produced no audio")
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _worker_main(conn: Connection, engine: Engine, voice: str, rate: int) -> None:
    """Entry point of the worker process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    try:
        current = _open_engine(engine, voice, rate)
    except Exception as exc:
        conn.send(("fatal", str(exc)))
        return
    conn.send(("ready", current.description))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if msg[0] == "stop":
            return
        _, req_id, text, path = msg
        try:
            try:
                _synth_to(current, text, Path(path))
            except Exception:
                if not isinstance(current, _Pyttsx3Engine) or engine != "auto":
                    raise
                current = _CommandEngine(voice, rate)
                conn.send(("engine", f"{current.description} (after a pyttsx3 error)"))
                _synth_to(current, text, Path(path))
        except Exception as exc:
            conn.send(("error", req_id, f"{type(exc).__name__}: {exc}"))
        else:
            conn.send(("done", req_id))


# --------------------------------------------------------------------------------------
# Event loop side.
# --------------------------------------------------------------------------------------


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

    @property
    def worker_pid(self) -> int | None:
        """Process id of the running worker, if any."""
        proc = self._proc
        if proc is None or self._conn is None or not proc.is_alive():
            return None
        return proc.pid

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
            target=_worker_main,
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


# --------------------------------------------------------------------------------------
# Playback and measurement.
# --------------------------------------------------------------------------------------

_audio_device: bool | None = None


async def has_audio_device() -> bool:
    """Whether ``aplay -l`` lists a sound card (checked once per process)."""
    global _audio_device
    if _audio_device is None:
        exe = shutil.which("aplay")
        if exe is None:
            _audio_device = False
        else:
            proc = await asyncio.create_subprocess_exec(
                exe, "-l", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
            )
            out, _ = await proc.communicate()
            _audio_device = proc.returncode == 0 and b"card " in out
        log.info("audio output: %s", "aplay" if _audio_device else "none (WAV files only)")
    return _audio_device


async def play(path: Path) -> bool:
    """Play a WAV file with ``aplay -q``; returns False (and plays nothing) without a sound card."""
    if not await has_audio_device():
        return False
    exe = shutil.which("aplay")
    if exe is None:
        return False
    proc = await asyncio.create_subprocess_exec(
        exe, "-q", str(path), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        _, err = await proc.communicate()
    except asyncio.CancelledError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        log.warning("aplay failed on %s: %s", path, err.decode(errors="replace").strip())
        return False
    return True


def wav_stats(path: Path | str) -> tuple[float, float]:
    """Duration in seconds and RMS level in dBFS (``-inf`` for silence) of a PCM WAV file."""
    with wave.open(str(path), "rb") as wav:
        width = wav.getsampwidth()
        rate = wav.getframerate()
        frames = wav.getnframes()
        data = wav.readframes(frames)
    duration = frames / rate if rate else 0.0
    samples: array.array[int]
    if width == 1:
        samples = array.array("h", (b - 128 for b in data))  # 8-bit WAV is unsigned
    elif width in (2, 4):
        samples = array.array("h" if width == 2 else "i", data)
        if sys.byteorder == "big":
            samples.byteswap()  # WAV samples are little-endian
    else:
        raise ValueError(f"unsupported sample width: {width} bytes (8, 16 or 32-bit PCM only)")
    full_scale = float(1 << (8 * width - 1))
    if not samples:
        return duration, -math.inf
    mean_square = math.fsum(s * s for s in samples) / len(samples)
    if mean_square == 0:
        return duration, -math.inf
    return duration, 10 * math.log10(mean_square) - 20 * math.log10(full_scale)
