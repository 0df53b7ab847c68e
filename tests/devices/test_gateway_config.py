"""The gateway's TOML file: the example loads; mistakes name the file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.drivers.bx6 import Bx6Options
from devices.drivers.keypad485 import KeypadOptions
from devices.gateway_config import check_gateway_text, load_gateway_config
from hall.cli.main import main
from hall.contract.config import ConfigError
from tests.support import REPO_ROOT

EXAMPLE = REPO_ROOT / "config" / "gateway.example.toml"

GOOD = """\
[gateway]
hall = "demo"
broker = "mqtt://127.0.0.1:1883"

[[serial]]
port = "/dev/ttyUSB0"
protocol = "bx6"
device = "led-1"

[[serial]]
port = "/dev/ttyUSB1"
protocol = "keypad485"
devices = { "1" = "caller-1", "2" = "eval-1" }
"""


def test_the_example_loads() -> None:
    config = load_gateway_config(EXAMPLE)
    assert config.hall == "demo"
    assert config.font == Path("/usr/share/unifont/unifont.hex")
    assert [e.spec.protocol for e in config.serial] == [
        "bx6",
        "keypad485",
        "idcard",
        "escpos",
        "bx6",
    ]
    keypads = config.serial[1]
    assert keypads.addresses == {1: "caller-1", 2: "eval-1"}
    assert keypads.options == KeypadOptions(pause_reason="暂时离开", transfer_service="B")
    assert config.serial[2].spec.baud == 115200
    board = config.serial[4].options
    assert isinstance(board, Bx6Options) and board.show.show == "board"
    login = config.endpoint_for("led-1")
    assert (login.host, login.port, login.username, login.password) == (
        "192.168.10.2",
        1883,
        "led-1",
        "change-me",
    )


def test_defaults() -> None:
    config = check_gateway_text(GOOD, "gw.toml")
    led = config.serial[0]
    assert led.spec.baud == 9600
    assert led.device_ids == ("led-1",)
    assert led.options == Bx6Options()
    assert config.serial[1].device_ids == ("caller-1", "eval-1")
    assert config.needs_font
    # A user in the URL is used for every device (a gateway account).
    shared = check_gateway_text(
        GOOD.replace("mqtt://127.0.0.1:1883", "mqtts://gw:pw@broker.local"), "gw.toml"
    )
    assert shared.endpoint_for("led-1").username == "gw"
    assert shared.broker.tls and shared.broker.port == 8883


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (("[gateway]", "[gateway]\ncolour = 1"), "gw.toml:2: gateway.colour", "unknown key"),
        (('hall = "demo"', 'hall = "Demo Hall"'), "gw.toml:2: gateway.hall", "a-z, 0-9"),
        (('protocol = "bx6"', 'protocol = "bx5"'), "gw.toml:7: serial[1].protocol", "bx5"),
        (('port = "/dev/ttyUSB0"\n', ""), "gw.toml:5: serial[1].port", "missing required key"),
        (
            ('device = "led-1"', 'device = "led-1"\nspeed = 1'),
            "gw.toml:9: serial[1].speed",
            "unknown key",
        ),
        (
            ('device = "led-1"', 'device = "led-1"\noptions = { width = 3 }'),
            "gw.toml:9: serial[1].options.width",
            "from 8 to 4096",
        ),
        (
            ('device = "led-1"', 'device = "led-1"\noptions = { colour = "red" }'),
            "gw.toml:9: serial[1].options.colour",
            "unknown option",
        ),
        (('"2" = "eval-1"', '"2" = "led-1"'), "gw.toml:13: serial[2].devices", "already speaks"),
        (('"/dev/ttyUSB1"', '"/dev/ttyUSB0"'), "gw.toml:11: serial[2].port", "already uses"),
        (
            ('devices = { "1"', 'devices = { "x1"'),
            "gw.toml:13: serial[2].devices.x1",
            "bus address",
        ),
        (  # a superscript two is a digit to str.isdigit, not to int()
            ('devices = { "1"', 'devices = { "\u00b2"'),
            'gw.toml:13: serial[2].devices."\u00b2"',
            "bus address",
        ),
        (
            ('devices = { "1"', 'devices = { "\u0661"'),  # an Arabic-Indic one
            'gw.toml:13: serial[2].devices."\u0661"',
            "bus address",
        ),
        (('device = "led-1"', 'devices = { "1" = "led-1" }'), "serial[1].devices", "one device"),
        (('port = "/dev/ttyUSB0"', 'port = "/dev/ttyUSB0"\nbaud = 7'), "serial[1].baud", "9600"),
        (('broker = "mqtt://127.0.0.1:1883"', 'broker = "http://x"'), "gateway.broker", "mqtt"),
    ],
)
def test_mistakes_name_file_line_and_key(change: tuple[str, str], where: str, message: str) -> None:
    text = GOOD.replace(*change, 1)
    assert text != GOOD
    with pytest.raises(ConfigError) as info:
        check_gateway_text(text, "gw.toml")
    assert where in str(info.value)
    assert message in str(info.value)


PRINTER = """
[[serial]]
port = "/dev/ttyUSB2"
protocol = "escpos"
device = "printer-1"
options = { model = "MODEL" }
"""


def test_printer_model_sets_the_largest_character_size() -> None:
    config = check_gateway_text(GOOD + PRINTER.replace("MODEL", "matrix-t5"), "gw.toml")
    model = config.serial[2].options.model  # type: ignore[attr-defined]
    assert (model.max_width, model.max_height) == (2, 2)
    with pytest.raises(ConfigError) as caught:
        check_gateway_text(GOOD + PRINTER.replace("MODEL", "tm-9000"), "gw.toml")
    message = str(caught.value)
    assert message.startswith("gw.toml:19: serial[3].options.model: "), message
    assert 'unknown printer model "tm-9000"' in message and "generic" in message


def test_printer_dots_come_from_the_model_or_the_option() -> None:
    def dots(options: str) -> int:
        text = GOOD + PRINTER.replace('{ model = "MODEL" }', options)
        return int(check_gateway_text(text, "gw.toml").serial[2].options.dots)  # type: ignore[attr-defined]

    assert dots("{}") == 576  # 80 mm paper
    assert dots('{ model = "epson-tm-t88" }') == 512
    assert dots('{ model = "epson-tm-t88", dots = 384 }') == 384
    with pytest.raises(ConfigError) as caught:
        dots("{ dots = 4 }")
    message = str(caught.value)
    assert message.startswith("gw.toml:19: serial[3].options.dots: "), message
    assert "4" in message


def test_window_names_in_the_gateway_file_are_refused_with_where_and_why() -> None:
    text = GOOD.replace(
        'device = "led-1"',
        'device = "led-1"\noptions = { show = "board", window_names = { "4" = "综合窗口" } }',
    )
    with pytest.raises(ConfigError) as caught:
        check_gateway_text(text, "gateway.toml")
    message = str(caught.value)
    assert message.startswith("gateway.toml:9: serial[1].options.window_names: "), message
    assert "hall file ([[windows]] name)" in message


def test_a_file_without_entries_or_gateway_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"serial.*one per wired port"):
        check_gateway_text('[gateway]\nhall = "demo"\n', "gw.toml")
    with pytest.raises(ConfigError, match=r"missing \[gateway\]"):
        check_gateway_text(GOOD[GOOD.index("[[serial]]") :], "gw.toml")
    with pytest.raises(ConfigError, match=r"gw\.toml:1: TOML syntax error"):
        check_gateway_text("[gateway\n", "gw.toml")


def test_the_command_checks_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "gw.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert main(["gateway", "--config", str(path), "--check"]) == 0
    assert "/dev/ttyUSB0 (bx6)" in capsys.readouterr().out
    path.write_text(GOOD.replace("bx6", "bx5"), encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(["gateway", "--config", str(path), "--check"])
    assert "gw.toml:7: serial[1].protocol" in str(info.value)


@pytest.mark.parametrize("dots", [577, 8, 4096])
def test_a_printer_width_is_a_whole_number_of_bytes_within_bounds(dots: int) -> None:
    text = GOOD + PRINTER.replace('model = "MODEL"', f"dots = {dots}")
    line = text.splitlines().index(f"options = {{ dots = {dots} }}") + 1
    with pytest.raises(ConfigError) as info:
        check_gateway_text(text, "gw.toml")
    assert f"gw.toml:{line}: serial[3].options.dots" in str(info.value)
    assert "multiple of 8" in str(info.value) or "from 64 to 2040" in str(info.value)
    assert check_gateway_text(text.replace(f"dots = {dots}", "dots = 384"), "gw.toml")
