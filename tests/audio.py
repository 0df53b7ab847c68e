"""Helpers for the speech tests: measuring WAV files and looking at the speech worker."""

from __future__ import annotations

import array
import math
import sys
import wave
from pathlib import Path

from hall.voice.synth import SpeechSynth


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


def worker_pid(synth: SpeechSynth) -> int | None:
    """Process id of the synthesiser's running worker, if any (to see it restarted)."""
    proc = synth._proc
    if proc is None or synth._conn is None or not proc.is_alive():
        return None
    return proc.pid
