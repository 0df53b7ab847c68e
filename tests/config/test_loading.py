"""The hall configuration loader: the demo file, every table, and how errors name the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from hall.contract.config import ConfigError, load_config
from hall.domain.config import BrokerConfig, HttpConfig, QueueRules
from tests.support import DEMO_HALL

from .hallfile import BASE, GOOD_SECRET, PORTAL, check, error_of, variant

# -- valid files ------------------------------------------------------------------------------


def test_demo_hall_loads() -> None:
    config = load_config(DEMO_HALL)
    assert config.source == DEMO_HALL
    assert config.hall.id == "demo"
    assert config.hall.timezone == "Asia/Shanghai"
    assert [s.code for s in config.services] == ["A", "B", "C"]
    service_a, window_4 = config.service("A"), config.window("4")
    assert service_a is not None and service_a.daily_cap == 300
    assert window_4 is not None and window_4.services == ("C", "A", "B")
    assert window_4.name == "综合窗口"
    kiosk = config.device("kiosk-1")
    assert kiosk is not None and kiosk.printer == "printer-1"
    assert config.broker == BrokerConfig(listen="127.0.0.1:1883", host="127.0.0.1", port=1883)
    assert config.http == HttpConfig()
    assert config.queue == QueueRules(recall_cap=3, default_service_s=240)
    assert config.portal is None
    assert config.store.url is None
    # "../var/demo" is taken from the config file's folder, not the current directory.
    assert config.store.path == (DEMO_HALL.parent / "../var/demo").resolve()


def test_minimal_file_gets_the_defaults() -> None:
    config = check(BASE)
    assert config.hall.timezone == "Asia/Shanghai"
    assert config.broker == BrokerConfig()
    assert config.http == HttpConfig()
    assert config.queue == QueueRules()
    assert config.store.url is None
    assert config.store.path == Path.cwd().absolute() / "var"
    assert config.portal is None
    assert config.source is None
    assert config.devices[1].window == "1"
    window_1 = config.window("1")
    assert window_1 is not None and window_1.name is None


def test_full_file_with_every_table() -> None:
    text = (
        BASE
        + '[broker]\nurl = "mqtts://hub%40hall:p%3Ass@mq.example.gov.cn"\n'
        + '[store]\nurl = "rediss://:pw@redis.example.gov.cn:6380/2"\npath = "data"\n'
        + '[http]\nlisten = "[::1]:9090"\n'
        + PORTAL
        + f'secret = "{GOOD_SECRET}"\n'
        + "[queue]\nrecall_cap = 20\ndefault_service_s = 86400\n"
    )
    config = check(text)
    broker = config.broker
    assert (broker.host, broker.port, broker.tls) == ("mq.example.gov.cn", 8883, True)
    assert (broker.username, broker.password) == ("hub@hall", "p:ss")
    assert "p:ss" not in repr(broker)
    assert config.store.url == "rediss://:pw@redis.example.gov.cn:6380/2"
    assert (config.http.host, config.http.port) == ("::1", 9090)
    assert config.portal is not None
    assert config.portal.url == "https://portal.example.gov.cn/hall-api"
    assert config.portal.secret == GOOD_SECRET
    assert GOOD_SECRET not in repr(config)
    assert config.queue == QueueRules(recall_cap=20, default_service_s=86400)


def test_broker_url_ports_and_listen() -> None:
    plain = check(BASE + '[broker]\nurl = "mqtt://10.0.0.5"\n').broker
    assert (plain.host, plain.port, plain.tls, plain.username) == ("10.0.0.5", 1883, False, None)
    explicit = check(BASE + '[broker]\nurl = "mqtt://u:@h:11883/"\n').broker
    assert (explicit.port, explicit.username, explicit.password) == (11883, "u", "")
    embedded = check(BASE + '[broker]\nlisten = "0.0.0.0:2883"\n').broker
    assert (embedded.url, embedded.host, embedded.port) == (None, "0.0.0.0", 2883)


def test_store_path_relative_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "halls" / "east.toml"
    path.parent.mkdir()
    path.write_text(BASE + '[store]\npath = "redis-data"\n', encoding="utf-8")
    assert load_config(path).store.path == path.parent.resolve() / "redis-data"
    path.write_text(BASE, encoding="utf-8")
    assert load_config(path).store.path == path.parent.resolve() / "var"
    assert load_config(str(path)).source == path


def test_inline_tables_and_arrays_of_inline_tables() -> None:
    text = """\
hall = { id = "inline", name = "Inline hall" }
services = [
  { code = "A", name = "Service A" },
  { code = "B", name = "Service B", daily_cap = "ten" },
]
windows = [{ id = "1", services = ["A"] }]
"""
    assert error_of(text) == (
        'hall.toml:4: services[2].daily_cap: expected an integer from 1 to 999, got "ten"'
    )
    config = check(text.replace(', daily_cap = "ten"', ""))
    assert config.hall.id == "inline"
    assert [s.code for s in config.services] == ["A", "B"]


def test_printer_of_a_kiosk() -> None:
    text = variant('kind = "kiosk"', 'kind = "kiosk"\nprinter = "printer-1"')
    text += '\n[[devices]]\nid = "printer-1"\nkind = "printer"\n'
    kiosk = check(text).device("kiosk-1")
    assert kiosk is not None and kiosk.printer == "printer-1"


def test_a_kiosk_with_an_id_card_reader_and_plain_id_numbers_refused() -> None:
    config = check(
        variant('kind = "kiosk"', 'kind = "kiosk"\nid_reader = true')
        + "[appointments]\naccept_plain_id = false\n"
    )
    kiosk, pad = config.devices
    assert kiosk.id_reader and not pad.id_reader
    assert config.appointments.accept_plain_id is False
    assert not config.appointments.plain_id_accepted
    # Unsaid, plain numbers are still accepted (the default will become false).
    assert check(BASE).appointments.accept_plain_id is None
    assert check(BASE).appointments.plain_id_accepted


def test_byte_order_mark_is_ignored() -> None:
    assert check("\ufeff" + BASE).hall.id == "test"


def test_error_fields() -> None:
    with pytest.raises(ConfigError) as info:
        check(variant('services = ["A", "B"]', 'services = ["A", "Q"]'))
    error = info.value
    assert (error.path, error.line, error.key) == ("hall.toml", 19, "windows[2].services")
    assert error.problem == 'unknown service "Q"'
    assert isinstance(error, ValueError)


def test_url_passwords_are_never_shown() -> None:
    message = error_of(BASE + '[store]\nurl = "redis://:pa/ss@db:0"\n')
    assert message.endswith('got "redis://:***@db:0"')
    message = error_of(BASE + '[broker]\nurl = "mqtts:hub:hunter2@mq"\n')
    assert "hunter2" not in message


def test_secret_is_never_shown() -> None:
    secret = "whsec_c2VjcmV0IGJ1dCBiYWQ"  # bad padding
    message = error_of(BASE + PORTAL + f'secret = "{secret}"\n')
    assert "c2VjcmV0" not in message


def test_load_config_names_the_file_as_given(tmp_path: Path) -> None:
    path = tmp_path / "east.toml"
    path.write_text(variant('id = "test"', 'id = "East"'), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert (
        str(info.value)
        == f'{path}:2: hall.id: expected 1 to 32 characters a-z, 0-9 or -, got "East"'
    )


def test_load_config_missing_or_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nothing\.toml: cannot read the file"):
        load_config(tmp_path / "nothing.toml")
    path = tmp_path / "gbk.toml"
    path.write_bytes(BASE.replace("Test hall", "示例大厅").encode("gbk"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}:3: the file is not UTF-8 text"


def test_check_config_says_the_plain_id_default_will_flip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hall.cli.main import main

    unsaid, refused = tmp_path / "unsaid.toml", tmp_path / "refused.toml"
    unsaid.write_text(BASE, encoding="utf-8")
    refused.write_text(BASE + "[appointments]\naccept_plain_id = false\n", encoding="utf-8")
    assert main(["check-config", str(unsaid)]) == 0
    out = capsys.readouterr().out
    assert "accept_plain_id is not set" in out and "default will become false" in out
    assert main(["check-config", str(refused)]) == 0
    assert "accept_plain_id" not in capsys.readouterr().out
