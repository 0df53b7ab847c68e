"""The hall speaker: announcements spoken in order, once each, never ahead of the screen.

The first tests drive ``Speaker`` directly with a stand-in synthesiser (a tone per phrase);
the others run it against the real hub with espeak-ng and check the WAV files it writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import wave
from collections.abc import AsyncIterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from displays.phrasing import spoken_text
from hall.cli.main import main
from hall.contract.config import load_config
from hall.domain.config import HallConfig
from hall.domain.state import Call, HallState
from hall.hub import views
from hall.hub.runtime import Running
from hall.voice.speaker import Format, Speaker, SpeakerError, SpeakerOptions, pcm, write_wav
from tests.audio import wav_stats
from tests.support import DEMO_HALL, background, eventually

from .contract_client import ContractClient

TONE_S = 1.0  # each stand-in phrase


class ToneSynth:
    """Stands in for SpeechSynth: records each text and returns a 440 Hz tone WAV."""

    def __init__(self, folder: Path, fmt: Format = (22050, 2, 1)) -> None:
        self.folder, self.fmt = folder, fmt
        self.texts: list[str] = []

    async def start(self) -> None:
        pass

    async def synth(self, text: str) -> Path:
        self.texts.append(text)
        path = self.folder / f"phrase-{len(self.texts)}.wav"
        rate = self.fmt[0]
        samples = [0.3 * ((i * 440 * 2 // rate) % 2 * 2 - 1) for i in range(int(rate * TONE_S))]
        write_wav(path, self.fmt, pcm(samples, self.fmt))
        return path

    async def close(self) -> None:
        pass


@pytest.fixture
def config(hall_config_path: Path) -> HallConfig:
    return load_config(hall_config_path)


@pytest.fixture
async def fed(config: HallConfig, tmp_path: Path) -> AsyncIterator[tuple[Speaker, ToneSynth]]:
    """A speaker consuming what the test feeds it (no broker), writing WAVs to tmp_path/out."""
    synth = ToneSynth(tmp_path)
    options = SpeakerOptions(out_dir=tmp_path / "out", cache_dir=tmp_path / "c", gate_timeout_s=30)
    speaker = Speaker(config, "speaker-1", options, synth=synth)
    async with background(speaker.consume()):
        yield speaker, synth


def announce(seq: int, ticket: str = "A001", window: str = "1", **extra: Any) -> dict[str, Any]:
    """The announcement the hub makes for this call in the test hall, with `extra` on top."""
    state = HallState(load_config(DEMO_HALL), day="2024-05-06")
    return {**views.announcement(state, Call(ticket, window, 0), seq), **extra}


def board(*calls: tuple[str, str]) -> dict[str, Any]:
    return {"calls": [{"ticket": t, "window": w, "at": ""} for t, w in calls], "waiting": {}}


async def test_waits_for_the_board_when_the_announcement_comes_first(
    fed: tuple[Speaker, ToneSynth],
) -> None:
    speaker, synth = fed
    await speaker.on_message(speaker.topics.announce, announce(7))
    with pytest.raises(TimeoutError):  # held back: the screen does not show it yet
        await eventually(lambda: synth.texts, timeout=0.3)
    await speaker.on_message(speaker.topics.board, board(("A002", "2")))
    with pytest.raises(TimeoutError):  # another call on the board is not this one
        await eventually(lambda: synth.texts, timeout=0.3)
    await speaker.on_message(speaker.topics.board, board(("A001", "1"), ("A002", "2")))
    await eventually(lambda: speaker.spoken)
    assert speaker.spoken[0].seq == 7 and speaker.spoken[0].shown

    # The window's own retained state also counts (pad-1 is window 1's first device).
    await speaker.on_message(speaker.topics.announce, announce(8, "B001"))
    with pytest.raises(TimeoutError):
        await eventually(lambda: len(speaker.spoken) > 1, timeout=0.3)
    await speaker.on_message(
        speaker.topics.device("pad-1", "state"), {"window": "1", "ticket": "B001"}
    )
    await eventually(lambda: len(speaker.spoken) > 1)
    assert speaker.spoken[1].shown


async def first_words(speaker: Speaker) -> None:
    """Run the speaker's loop until it has said something."""
    async with background(speaker.consume()):
        await eventually(lambda: speaker.spoken)


async def test_speaks_anyway_after_the_gate_timeout(config: HallConfig, tmp_path: Path) -> None:
    options = SpeakerOptions(out_dir=tmp_path / "out", cache_dir=tmp_path, gate_timeout_s=0.2)
    speaker = Speaker(config, "speaker-1", options, synth=ToneSynth(tmp_path))
    await speaker.on_message(speaker.topics.announce, announce(1))
    await first_words(speaker)
    assert not speaker.spoken[0].shown
    assert speaker.spoken[0].ended - speaker.spoken[0].started >= 0.2


async def test_seq_order_and_duplicates(fed: tuple[Speaker, ToneSynth]) -> None:
    speaker, synth = fed
    calls = [("A001", "1"), ("A002", "2"), ("A003", "3"), ("A004", "4")]
    await speaker.on_message(speaker.topics.board, board(*calls))
    # All queued before the speaker's loop runs again (nothing is awaited for an announcement).
    for seq in (3, 1, 2, 2, 1):
        await speaker.on_message(speaker.topics.announce, announce(seq, *calls[seq - 1]))
    await eventually(lambda: len(speaker.spoken) == 3)
    for seq in (2, 4, 3):
        await speaker.on_message(speaker.topics.announce, announce(seq, *calls[seq - 1]))
    await eventually(lambda: len(speaker.spoken) == 4)
    assert [s.seq for s in speaker.spoken] == [1, 2, 3, 4]
    assert len(synth.texts) == 4
    for a, b in pairwise(speaker.spoken):
        assert b.started >= a.ended
    out = sorted(p.name for p in (speaker.out_dir or Path()).iterdir())
    assert out == ["1-A001-1.wav", "2-A002-2.wav", "3-A003-3.wav", "4-A004-4.wav"]


async def test_only_ticket_and_window_are_spoken(fed: tuple[Speaker, ToneSynth]) -> None:
    speaker, synth = fed
    await speaker.on_message(speaker.topics.board, board(("A001", "1"), ("C001", "4")))
    leaky = "请张三（110101199003071234）到1号窗口办理"
    await speaker.on_message(speaker.topics.announce, announce(1, text=leaky))
    await speaker.on_message(
        speaker.topics.announce, announce(2, "C001", "4", window_name="110101199003071234")
    )
    await speaker.on_message(speaker.topics.announce, {"seq": 3, "ticket": "张三", "window": "1"})
    await eventually(lambda: len(speaker.spoken) == 2)
    # What is said is the hub's `speech`: neither the shown text nor the name is read out.
    assert synth.texts == [spoken_text("A001", "1号窗口"), spoken_text("C001", "综合窗口")]


async def test_the_speech_is_said_as_given(fed: tuple[Speaker, ToneSynth]) -> None:
    speaker, synth = fed
    await speaker.on_message(speaker.topics.board, board(("A001", "1"), ("A002", "2")))
    changed = "请，A，零零一号，到，东厅，综合窗口办理"
    await speaker.on_message(speaker.topics.announce, announce(1, speech=changed))
    # A hub that sends no `speech`: its `text` is said as given.
    plain = {k: v for k, v in announce(2, "A002", "2").items() if k != "speech"}
    await speaker.on_message(speaker.topics.announce, {**plain, "text": "请A002号到东厅办理"})
    await eventually(lambda: len(speaker.spoken) == 2)
    assert synth.texts == [changed, "请A002号到东厅办理"]


@pytest.mark.parametrize(
    "speech",
    [
        "请张三（110101199003071234）到1号窗口办理",
        "请拨１３８００１３８０００",
        "",
        "请\n到",
        "请" * 201,
        None,
    ],
)
async def test_a_speech_that_may_hold_personal_data_is_not_said(
    fed: tuple[Speaker, ToneSynth], speech: object, caplog: pytest.LogCaptureFixture
) -> None:
    speaker, synth = fed
    await speaker.on_message(speaker.topics.board, board(("A001", "1"), ("A002", "2")))
    await speaker.on_message(speaker.topics.announce, announce(1, speech=speech))
    await speaker.on_message(speaker.topics.announce, announce(2, "A002", "2"))
    await eventually(lambda: speaker.spoken)
    assert synth.texts == [spoken_text("A002", "2号窗口")]
    assert "seq 1: nothing to say" in caplog.text
    if isinstance(speech, str) and speech:
        assert speech not in caplog.text


@pytest.mark.parametrize(
    ("fmt", "chime", "repeat"), [((22050, 2, 1), True, 2), ((16000, 2, 2), False, 3)]
)
async def test_wav_is_chime_and_repeats(
    config: HallConfig, tmp_path: Path, fmt: Format, chime: bool, repeat: int
) -> None:
    options = SpeakerOptions(
        out_dir=tmp_path / "out", cache_dir=tmp_path / "c", chime=chime, repeat=repeat, pause_s=0.5
    )
    speaker = Speaker(config, "speaker-1", options, synth=ToneSynth(tmp_path, fmt))
    await speaker.on_message(speaker.topics.board, board(("A001", "1")))
    await speaker.on_message(speaker.topics.announce, announce(1))
    await first_words(speaker)
    path = tmp_path / "out" / "1-A001-1.wav"
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == fmt
    expected = repeat * TONE_S + (repeat - 1) * 0.5 + (0.6 + 0.5 if chime else 0)
    duration, rms = wav_stats(path)
    assert duration == pytest.approx(expected, abs=0.01)
    assert rms > -40
    assert (tmp_path / "c" / "chime-{}-{}-{}.wav".format(*fmt)).exists() == chime


def test_device_must_be_a_configured_speaker(
    config: HallConfig, hall_config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SpeakerError, match='no device "nope"'):
        Speaker(config, "nope")
    with pytest.raises(SpeakerError, match="is a window_pad, not a speaker"):
        Speaker(config, "pad-1")
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:  # main() sets up logging for a process: put pytest's back afterwards
        assert main(["speaker", "--config", str(hall_config_path), "--device", "kiosk-1"]) == 1
    finally:
        root.handlers[:], root.level = handlers, level
    assert 'device "kiosk-1"' in capsys.readouterr().err


# ----- with the real hub and espeak-ng ------------------------------------------------------


@pytest.fixture
async def live(espeak: None, hub: Running, tmp_path: Path) -> AsyncIterator[Speaker]:
    """speaker-1 running in this process beside the hub, writing WAVs to tmp_path/out."""
    options = SpeakerOptions(out_dir=tmp_path / "out", cache_dir=tmp_path / "speech")
    speaker = Speaker(hub.hub.config, "speaker-1", options)
    task = asyncio.create_task(speaker.run(hub.device_endpoint("speaker-1")))
    ready = asyncio.create_task(speaker.ready.wait())
    await asyncio.wait([task, ready], timeout=60, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # it failed to start: show why
    assert speaker.ready.is_set(), "the speaker did not connect within 60 s"
    yield speaker
    ready.cancel()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def wav_for(out: Path, announcement: dict[str, Any], timeout: float = 60) -> Path:
    path = out / f"{announcement['seq']}-{announcement['ticket']}-{announcement['window']}.wav"
    await eventually(path.exists, f"{path} written", timeout)
    return path


def assert_speech(path: Path) -> None:
    duration, rms = wav_stats(path)
    assert 4.0 < duration < 30.0, f"{path.name} lasts {duration:.2f} s"
    assert rms > -40.0, f"{path.name} is too quiet: {rms:.1f} dBFS"


async def test_a_call_and_a_recall_are_spoken(
    live: Speaker, client: ContractClient, tmp_path: Path
) -> None:
    c, out = client, tmp_path / "out"
    await c.ok("pad-1", "window.open", {"staff": "S001"})
    await c.ok("kiosk-1", "ticket.take", {"service": "A"})
    assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A001"
    first = await c.wait_for(c.topic("announce"), lambda d: d["ticket"] == "A001")
    assert_speech(await wav_for(out, first))
    await eventually(lambda: live.spoken)  # recorded once the file is in place
    assert live.spoken[0].shown  # the hub published the board first: no waiting

    await c.ok("pad-1", "call.recall")
    again = await c.wait_for(c.topic("announce"), lambda d: d["repeat"] == 1)
    assert again["seq"] > first["seq"]
    assert_speech(await wav_for(out, again))
    await eventually(lambda: len(live.spoken) == 2)
    assert [s.seq for s in live.spoken] == [first["seq"], again["seq"]]
    phrases = [p for p in (tmp_path / "speech").glob("*.wav") if not p.name.startswith("chime")]
    assert len(phrases) == 1  # the recall came from the phrase cache


async def test_two_windows_are_spoken_in_seq_order(
    live: Speaker, client: ContractClient, tmp_path: Path
) -> None:
    c = client
    for pad in ("pad-1", "pad-2"):
        await c.ok(pad, "window.open", {"staff": f"S-{pad}"})
    for _ in range(2):
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})
    await asyncio.gather(c.ok("pad-1", "call.next"), c.ok("pad-2", "call.next"))
    await eventually(lambda: len(c.messages[c.topic("announce")]) == 2)
    announcements = sorted(c.messages[c.topic("announce")], key=lambda d: d["seq"])
    paths = [await wav_for(tmp_path / "out", a) for a in announcements]
    for path in paths:
        assert_speech(path)
    await eventually(lambda: len(live.spoken) == 2)
    assert [s.seq for s in live.spoken] == [a["seq"] for a in announcements]
    assert [s.path for s in live.spoken] == paths
    for a, b in pairwise(live.spoken):
        assert b.started >= a.ended, "two announcements overlapped"


async def test_hall_speaker_command(
    espeak: None, hub: Running, client: ContractClient, hall_config_path: Path, tmp_path: Path
) -> None:
    c, out = client, tmp_path / "cli-out"
    argv = ["-m", "hall.cli.main", "speaker", "--config", str(hall_config_path)]
    argv += ["--device", "speaker-1", "--out", str(out), "--repeat", "1", "--no-chime"]
    proc = await asyncio.create_subprocess_exec(sys.executable, *argv)
    try:
        status = c.topic("status", "speaker-1")
        await c.wait_latest(status, lambda d: d["state"] == "online", timeout=60)
        await c.ok("pad-1", "window.open", {"staff": "S001"})
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})
        await c.ok("pad-1", "call.next")
        first = await c.wait_for(c.topic("announce"), lambda d: d["ticket"] == "A001")
        duration, _ = wav_stats(await wav_for(out, first))
        assert 1.0 < duration < 15.0  # one phrase, no chime
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 15) == 0
        await c.wait_latest(status, lambda d: d["state"] == "offline")
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
