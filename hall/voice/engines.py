"""Speech engines, run inside the speech worker process (never on the event loop).

libespeak-ng initialises once per process and blocks while it synthesises, so `SpeechSynth`
(`hall.voice.synth`) starts one worker process whose entry point is `worker_main`: it opens
pyttsx3 driving libespeak-ng, or, if pyttsx3 cannot start, the ``espeak-ng`` command, and
answers each request over its pipe.

Messages, parent → worker: ``("synth", req_id, text, path)`` | ``("stop",)``;
worker → parent: ``("ready", engine)`` | ``("fatal", message)`` | ``("engine", engine)``
| ``("done", req_id)`` | ``("error", req_id, message)``.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import io
import os
import shutil
import signal
import subprocess
import threading
import wave
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Final, Literal, cast

SYNTH_TIMEOUT_S: Final = 30.0

Engine = Literal["auto", "pyttsx3", "espeak-ng"]


class SpeechSynthError(RuntimeError):
    """Speech could not be synthesised (no engine, no voice, worker stopped or timed out)."""


class WorkerCrashed(SpeechSynthError):
    """The worker process ended unexpectedly; a request caught by it is tried once more."""


class _Pyttsx3Engine:
    """pyttsx3 driving libespeak-ng inside this process.

    pyttsx3's espeak driver opens libespeak-ng in its asynchronous mode
    (AUDIO_OUTPUT_RETRIEVAL): `runAndWait` starts the synthesis and returns once its queue is
    empty, which is before libespeak-ng's thread has delivered the audio and the driver has
    written the WAV file. A phrase read right after `runAndWait` was missing (the first) or
    empty (the next), and every later phrase raced the one before it for the file name. So
    `synth` waits for the driver's "finished-utterance" notification, sent after the file is
    written and closed, before it returns.

    Each `runAndWait` also stops whatever libespeak-ng is still busy with (`espeak_Cancel`
    when `espeak_IsPlaying`), and libespeak-ng queues parameter changes as it queues text. So
    the voice, rate and volume, queued by pyttsx3 until the first `runAndWait`, were cancelled
    in it as often as not (a phrase at the driver's default rate), and a phrase that followed
    another too closely was cancelled as it started ("finished-utterance" with completed
    false). Here the first `runAndWait` runs with nothing to say; from then on pyttsx3 sends
    each command at once, the properties are set and waited for, and each phrase starts only
    once libespeak-ng is idle (its own `espeak_Synchronize`).
    """

    def __init__(self, voice: str, rate: int) -> None:
        import pyttsx3  # imported here: only the worker process loads libespeak-ng

        self._engine: Any = pyttsx3.init("espeak")
        self._finished = threading.Event()
        self._completed = False
        self._failure: BaseException | None = None
        self._engine.connect("finished-utterance", self._on_finished)
        self._engine.connect("error", self._on_error)
        self._synchronize = _espeak_synchronize()
        with contextlib.redirect_stdout(io.StringIO()):
            self._engine.runAndWait()  # the driver's own start-up commands; nothing is said
        self._synchronize()
        voice_id = self._resolve_voice(voice)
        self._engine.setProperty("voice", voice_id)
        self._engine.setProperty("rate", rate)
        self._engine.setProperty("volume", 1.0)
        self._synchronize()
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

    def _on_finished(self, **event: Any) -> None:
        self._completed = bool(event.get("completed", False))
        self._finished.set()

    def _on_error(self, **event: Any) -> None:
        failure = event.get("exception")
        self._failure = failure if isinstance(failure, BaseException) else None
        self._finished.set()

    def synth(self, text: str, path: Path) -> None:
        self._synchronize()  # libespeak-ng idle: nothing left for runAndWait to stop
        self._finished.clear()
        self._completed, self._failure = False, None
        # pyttsx3 prints a line for every saved file, from libespeak-ng's thread: keep the
        # worker's stdout quiet until that thread is done with the phrase.
        with contextlib.redirect_stdout(io.StringIO()):
            self._engine.save_to_file(text, str(path))
            self._engine.runAndWait()
            finished = self._finished.wait(SYNTH_TIMEOUT_S)
        if self._failure is not None:
            raise SpeechSynthError(
                f"pyttsx3: {type(self._failure).__name__}: {self._failure}"
            ) from self._failure
        if not finished:
            raise SpeechSynthError(f"pyttsx3 did not finish the phrase in {SYNTH_TIMEOUT_S:.0f} s")
        if not self._completed:
            raise SpeechSynthError("pyttsx3 stopped before the end of the phrase")


def _espeak_synchronize() -> Callable[[], object]:
    """libespeak-ng's `espeak_Synchronize` (returns once it has finished every message), from
    the library pyttsx3 has loaded in this process; a no-op if it cannot be found."""
    names = [ctypes.util.find_library("espeak-ng"), "libespeak-ng.so.1", "libespeak.so.1"]
    for name in names:
        if not name:
            continue
        try:
            library = ctypes.CDLL(name)
        except OSError:
            continue
        synchronize = library.espeak_Synchronize
        synchronize.restype = ctypes.c_int
        synchronize.argtypes = []
        return cast(Callable[[], object], synchronize)
    return lambda: None


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


def worker_main(conn: Connection, engine: Engine, voice: str, rate: int) -> None:
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
            except Exception as exc:
                if not isinstance(current, _Pyttsx3Engine) or engine != "auto":
                    raise
                current = _CommandEngine(voice, rate)
                failure = f"{type(exc).__name__}: {exc}"
                conn.send(("engine", f"{current.description} (after a pyttsx3 error: {failure})"))
                _synth_to(current, text, Path(path))
        except Exception as exc:
            conn.send(("error", req_id, f"{type(exc).__name__}: {exc}"))
        else:
            conn.send(("done", req_id))
