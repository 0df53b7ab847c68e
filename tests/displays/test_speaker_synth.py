"""The speaker's speech worker: real espeak-ng Mandarin audio, the phrase cache, a free loop."""

from __future__ import annotations

import array
import asyncio
import math
import os
import stat
import time
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from displays.phrasing import spoken_text
from hall.voice import playback
from hall.voice.playback import play
from hall.voice.synth import SpeechSynth, SpeechSynthError, cache_key
from tests.audio import wav_stats, worker_pid

CALL = spoken_text("A001", "3号窗口")


@pytest.fixture
async def synth(espeak: None, tmp_path: Path) -> AsyncIterator[SpeechSynth]:
    s = SpeechSynth(tmp_path / "speech")
    await s.start()
    try:
        yield s
    finally:
        await s.close()


def assert_speech(path: Path) -> None:
    duration, rms = wav_stats(path)
    assert 1.0 < duration < 15.0, f"{path} lasts {duration:.2f} s"
    assert rms > -40.0, f"{path} is too quiet for speech: {rms:.1f} dBFS"


async def test_call_is_spoken(synth: SpeechSynth) -> None:
    path = await synth.synth(CALL)
    assert path.parent == synth.cache_dir
    assert path.name == f"{cache_key(synth.voice, synth.rate, CALL)}.wav"
    assert_speech(path)
    assert synth.engine is not None and "pyttsx3" in synth.engine


async def test_same_phrase_is_synthesised_once(synth: SpeechSynth) -> None:
    first = await synth.synth(CALL)
    second = await synth.synth(CALL)
    assert second == first
    assert synth.synth_count == 1
    other = await synth.synth(spoken_text("A002", "3号窗口"))
    assert other != first
    assert synth.synth_count == 2


async def test_concurrent_requests_for_one_phrase_share_one_synthesis(synth: SpeechSynth) -> None:
    paths = await asyncio.gather(*(synth.synth(CALL) for _ in range(5)))
    assert len(set(paths)) == 1
    assert synth.synth_count == 1


async def test_cache_outlives_the_synthesiser(espeak: None, tmp_path: Path) -> None:
    async with SpeechSynth(tmp_path) as first:
        path = await first.synth(CALL)
    async with SpeechSynth(tmp_path) as second:
        assert await second.synth(CALL) == path
        assert second.synth_count == 0
    async with SpeechSynth(tmp_path, rate=120) as slower:
        slow_path = await slower.synth(CALL)
        assert slow_path != path  # the rate is part of the key
        assert wav_stats(slow_path)[0] > wav_stats(path)[0]


async def test_loop_stays_responsive_during_synthesis(espeak: None, tmp_path: Path) -> None:
    """A liveness check: the loop keeps running while the worker starts and synthesises."""
    gaps: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        last = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    async with asyncio.TaskGroup() as tg:
        tg.create_task(ticker())
        try:
            async with SpeechSynth(tmp_path) as s:
                texts = [spoken_text(f"B{n:03d}", f"{n % 9 + 1}号窗口") for n in range(1, 7)]
                paths = await asyncio.gather(*(s.synth(t) for t in texts))
                assert s.synth_count == len(texts)
        finally:
            stop.set()
    for path in paths:
        assert_speech(path)
    assert len(gaps) > 5
    assert max(gaps) < 0.5, f"the loop stalled for {max(gaps):.3f} s"


async def test_pyttsx3_speaks_phrase_after_phrase(espeak: None, tmp_path: Path) -> None:
    # pyttsx3's espeak driver returns from runAndWait before libespeak-ng's thread has written
    # the file; each phrase must still come out whole, from pyttsx3, with no fallback.
    calls = [spoken_text(no, window) for no, window in [("A001", "1号窗口"), ("B012", "3号窗口"),
             ("C123", "综合窗口"), ("A002", "2号窗口"), ("B013", "5号窗口")]]  # fmt: skip
    async with SpeechSynth(tmp_path, engine="pyttsx3") as s:
        paths = [await s.synth(text) for text in calls]
        assert s.engine is not None and s.engine.startswith("pyttsx3 + libespeak-ng"), s.engine
    assert len({path.read_bytes() for path in paths}) == len(calls)
    for path in paths:
        assert_speech(path)
    # Each file holds its own phrase: a longer window name takes longer to say.
    assert wav_stats(paths[2])[0] > wav_stats(paths[0])[0]


async def test_auto_engine_keeps_pyttsx3(synth: SpeechSynth) -> None:
    for no in ("A010", "A011", "A012"):
        assert_speech(await synth.synth(spoken_text(no, "1号窗口")))
    assert synth.engine is not None and synth.engine.startswith("pyttsx3"), synth.engine


async def test_espeak_command_fallback(espeak: None, tmp_path: Path) -> None:
    async with SpeechSynth(tmp_path, engine="espeak-ng") as s:
        assert s.engine is not None and s.engine.startswith("espeak-ng command")
        assert_speech(await s.synth(CALL))


async def test_worker_is_restarted_after_it_dies(synth: SpeechSynth) -> None:
    await synth.synth(CALL)
    pid = worker_pid(synth)
    assert pid is not None
    os.kill(pid, 9)  # the worker this test started
    path = await synth.synth(spoken_text("C123", "综合窗口"))
    assert_speech(path)
    assert worker_pid(synth) not in (None, pid)


async def test_unknown_voice_fails_to_start(espeak: None, tmp_path: Path) -> None:
    s = SpeechSynth(tmp_path, voice="no-such-voice")
    with pytest.raises(SpeechSynthError, match="no-such-voice"):
        await s.start()
    await s.close()


async def test_synth_needs_start_and_text(espeak: None, tmp_path: Path) -> None:
    s = SpeechSynth(tmp_path)
    with pytest.raises(SpeechSynthError, match="start"):
        await s.synth(CALL)
    async with s:
        with pytest.raises(ValueError, match="empty"):
            await s.synth("  ")
    with pytest.raises(SpeechSynthError):
        await s.synth(CALL)


# -- wav_stats ----------------------------------------------------------------------------


def write_wav(path: Path, samples: list[int], rate: int = 8000) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(array.array("h", samples).tobytes())
    return path


def test_wav_stats_of_a_sine(tmp_path: Path) -> None:
    amplitude = 16384  # half of full scale: RMS = 0.5 / sqrt(2) → about -9.03 dBFS
    samples = [round(amplitude * math.sin(2 * math.pi * 440 * n / 8000)) for n in range(16000)]
    duration, rms = wav_stats(write_wav(tmp_path / "sine.wav", samples))
    assert duration == pytest.approx(2.0)
    assert rms == pytest.approx(20 * math.log10(0.5 / math.sqrt(2)), abs=0.05)


def test_wav_stats_of_silence(tmp_path: Path) -> None:
    duration, rms = wav_stats(write_wav(tmp_path / "silence.wav", [0] * 4000))
    assert duration == pytest.approx(0.5)
    assert rms == -math.inf


# -- play ---------------------------------------------------------------------------------


@pytest.fixture
def fake_aplay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An ``aplay`` on PATH that lists one card and records what it was asked to play."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    played = tmp_path / "played.txt"
    script = bin_dir / "aplay"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "-l" ]; then echo "card 0: Fake [Fake], device 0: PCM"; exit 0; fi\n'
        f'echo "$@" >> {played}\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(playback, "_audio_device", None)
    yield played


async def test_play_uses_aplay_when_there_is_a_card(fake_aplay: Path, tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "x.wav", [0] * 10)
    assert await play(wav) is True
    played = await asyncio.to_thread(fake_aplay.read_text)
    assert played.split() == ["-q", str(wav)]


async def test_play_does_nothing_without_a_card(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(playback, "_audio_device", False)
    assert await play(write_wav(tmp_path / "x.wav", [0] * 10)) is False


async def test_one_restart_serves_concurrent_callers(synth: SpeechSynth) -> None:
    await synth.synth(CALL)
    pid = worker_pid(synth)
    assert pid is not None
    os.kill(pid, 9)  # the worker this test started
    texts = [spoken_text(f"D{n:03d}", "2号窗口") for n in range(1, 5)]
    paths = await asyncio.gather(*(synth.synth(t) for t in texts))
    for path in paths:
        assert_speech(path)
    assert synth.synth_count == 1 + len(texts)


async def test_a_hung_synthesis_times_out(espeak: None, tmp_path: Path) -> None:
    # pyttsx3 polls every 10 ms, so no phrase is ready within 1 ms.
    async with SpeechSynth(tmp_path, synth_timeout_s=0.001) as s:
        pid = worker_pid(s)
        with pytest.raises(SpeechSynthError, match="took over"):
            await s.synth(CALL)
        assert worker_pid(s) != pid  # the stuck worker was stopped
