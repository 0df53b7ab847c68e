"""Devices run inside the hub's process (the demo's, a one-box hall's speaker) log in to the
broker as themselves, never with the hub's login: on the embedded broker with a password made
for the run, on another broker with the one they are given."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

import aiomqtt
import pytest

from hall.cli.main import main
from hall.contract.access import mosquitto_hash
from hall.contract.config import load_config
from hall.contract.device import DeviceLink
from hall.contract.link import Endpoint
from hall.hub.embedded_access import BAD_LOGIN, IDENTIFIER_REJECTED, BrokerAccess, Connect
from hall.hub.runtime import StartupError, hall_services
from hall.voice.speaker import Speaker, SpeakerOptions
from hall.web.app import make_app
from tests.support import background, eventually, free_port, write_hall_config

KIOSK_PASSWORD = "k1-secret"


def secured_hall(tmp_path: Path, hall_id: str, redis_url: str, broker: dict[str, object]) -> Path:
    """The demo hall whose kiosk-1 has a broker password: the broker takes logins only."""
    path = write_hall_config(tmp_path, hall_id, "mqtt://127.0.0.1:1", redis_url, broker=broker)
    text = path.read_text(encoding="utf-8").replace(
        'id = "kiosk-1"\n', f'id = "kiosk-1"\npassword_hash = "{mosquitto_hash(KIOSK_PASSWORD)}"\n'
    )
    path.write_text(text, encoding="utf-8")
    return path


def connect(user: str, password: str, client_id: str | None = None) -> Connect:
    return Connect(client_id or user, user, password.encode(), None)


def test_embedded_access_gives_local_devices_a_run_password(
    tmp_path: Path, hall_id: str, redis_url: str
) -> None:
    config = load_config(secured_hall(tmp_path, hall_id, redis_url, {"url": None}))
    access = BrokerAccess.of(config, ["speaker-1", "kiosk-1", "no-such-device"])
    assert access is not None
    assert set(access.device_passwords) == {"speaker-1", "kiosk-1"}
    speaker = access.device_passwords["speaker-1"]
    assert access.check(connect("speaker-1", speaker)) == 0
    assert access.check(connect("speaker-1", speaker + "x")) == BAD_LOGIN
    assert access.check(connect("speaker-1", speaker, client_id="kiosk-2")) == IDENTIFIER_REJECTED
    # kiosk-1 keeps its own password beside the run's; another device gets no login at all.
    assert access.check(connect("kiosk-1", KIOSK_PASSWORD)) == 0
    assert access.check(connect("kiosk-1", access.device_passwords["kiosk-1"])) == 0
    assert access.check(connect("kiosk-2", speaker)) == BAD_LOGIN
    # The hub's login does not let a client in under a device's id.
    assert access.check(connect(access.hub_user, access.hub_password, "speaker-1")) != 0
    # A process running no device makes no device password.
    assert BrokerAccess.of(config) is not None
    assert BrokerAccess.of(config).device_passwords == {}  # type: ignore[union-attr]


async def test_local_speaker_logs_in_as_itself_and_speaks(
    espeak: None, tmp_path: Path, hall_id: str, redis_url: str
) -> None:
    port = free_port()
    path = secured_hall(tmp_path, hall_id, redis_url, {"url": None, "listen": f"127.0.0.1:{port}"})
    config = load_config(path)
    async with (
        hall_services(config, make_app, {"speaker-1": None, "pad-1": None}) as running,
        background(running.hub.run(), running.hub.ready, quiet=(Exception,)),
    ):
        login = running.device_endpoint("speaker-1")
        assert login.username == "speaker-1"
        assert login.password and login.password != running.endpoint.password
        # The hub's login under the speaker's client id is refused.
        with pytest.raises(aiomqtt.MqttError):
            async with aiomqtt.Client(
                "127.0.0.1", port, identifier="speaker-1", username=running.endpoint.username,
                password=running.endpoint.password,
            ):  # fmt: skip
                pass
        options = SpeakerOptions(out_dir=tmp_path / "out", cache_dir=tmp_path / "speech")
        speaker = Speaker(config, "speaker-1", options)
        task = asyncio.create_task(speaker.run(login))
        try:
            await asyncio.wait_for(speaker.ready.wait(), 60)
            # kiosk-1 is not run by the hub's process: it logs in with its own password.
            kiosk_login = Endpoint("127.0.0.1", port, username="kiosk-1", password=KIOSK_PASSWORD)
            kiosk = DeviceLink(kiosk_login, hall_id, "kiosk-1")
            pad = DeviceLink(running.device_endpoint("pad-1"), hall_id, "pad-1")
            async with background(kiosk.run(), kiosk.link.connected), background(
                pad.run(), pad.link.connected
            ):  # fmt: skip
                assert (await pad.request("window.open", {"staff": "S001"}))["ok"]
                assert (await kiosk.request("ticket.take", {"service": "A"}))["ok"]
                assert (await pad.request("call.next"))["ok"]
                await eventually(lambda: speaker.spoken, "the call spoken", 60)
            assert list((tmp_path / "out").glob("*-A001-1.wav"))
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def test_on_another_broker_a_local_device_needs_its_password(
    tmp_path: Path, hall_id: str, redis_url: str
) -> None:
    path = secured_hall(tmp_path, hall_id, redis_url, {"url": "mqtt://hub:hub-secret@127.0.0.1:1"})
    config = load_config(path)
    async with hall_services(config, None, {"speaker-1": "sp-secret", "pad-1": None}) as running:
        login = running.device_endpoint("speaker-1")
        assert (login.username, login.password) == ("speaker-1", "sp-secret")
        assert (login.host, login.port) == ("127.0.0.1", 1)
        with pytest.raises(StartupError, match=r"pad-1.*HALL_DEVICE_PASSWORD"):
            running.device_endpoint("pad-1")


def test_speaker_command_never_uses_the_hub_login(
    tmp_path: Path,
    hall_id: str,
    redis_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = secured_hall(tmp_path, hall_id, redis_url, {"url": "mqtt://hub:hub-secret@127.0.0.1:1"})
    monkeypatch.delenv("HALL_DEVICE_PASSWORD", raising=False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:  # main() sets up logging for a process: put pytest's back afterwards
        assert main(["speaker", "--config", str(path), "--device", "speaker-1"]) == 2
    finally:
        root.handlers[:], root.level = handlers, level
    err = capsys.readouterr().err
    assert "HALL_DEVICE_PASSWORD" in err and "speaker-1" in err
    assert "hub-secret" not in err


async def test_hall_run_speaker_logs_in_as_itself(
    espeak: None, tmp_path: Path, hall_id: str, redis_url: str
) -> None:
    port = free_port()
    path = secured_hall(tmp_path, hall_id, redis_url, {"url": None, "listen": f"127.0.0.1:{port}"})
    log = tmp_path / "run.log"
    env = {k: v for k, v in os.environ.items() if k != "HALL_DEVICE_PASSWORD"}
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hall.cli.main", "run", "--config", str(path),
            "--speaker", "speaker-1", stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out,
            env=env,
        )  # fmt: skip
    try:
        online = "device speaker-1 is online"
        await eventually(lambda: online in log.read_text(errors="replace"), online, 60)
        text = log.read_text(errors="replace")
        assert "refused a login" not in text, text
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
