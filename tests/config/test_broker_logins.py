"""Broker logins in the hall file (`password_hash`, `[[broker.accounts]]`), request limits
(`[rate_limits]`), and the files `hall acl` writes from them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from hall.cli.main import main
from hall.contract.access import mosquitto_hash, valid_mosquitto_hash, verify_mosquitto_hash
from hall.contract.config import load_config
from hall.domain.config import OTHER_KINDS_RATE_LIMIT, RateLimit

from .hallfile import BASE, check, error_of, variant

HASH = mosquitto_hash("kiosk-secret")
HUB = '[broker]\nurl = "mqtt://hub:hub-secret@127.0.0.1:1883"\n'
MONITOR = f'[[broker.accounts]]\nname = "monitor"\nrole = "integration"\npassword_hash = "{HASH}"\n'


def test_mosquitto_passwd_and_this_hub_make_the_same_kind_of_hash(tmp_path: Path) -> None:
    tool = shutil.which("mosquitto_passwd")
    if tool is None:
        pytest.skip("mosquitto_passwd is not installed (apt-get install mosquitto)")
    passwd = tmp_path / "passwd"
    subprocess.run([tool, "-c", "-b", str(passwd), "kiosk-1", "pw-1"], check=True)
    user, written = passwd.read_text().strip().split(":", 1)
    assert user == "kiosk-1" and valid_mosquitto_hash(written)
    assert verify_mosquitto_hash("pw-1", written) and not verify_mosquitto_hash("pw-2", written)
    ours = mosquitto_hash("pw-1")
    assert ours.split("$")[1:3] == written.split("$")[1:3]  # "7", the same rounds
    assert len(ours) == len(written)  # salt and digest of the same sizes, base64 alike


def test_a_device_and_an_account_with_their_hashes() -> None:
    text = variant(
        'id = "kiosk-1"\nkind = "kiosk"',
        f'id = "kiosk-1"\nkind = "kiosk"\npassword_hash = "{HASH}"',
    )
    config = check(HUB + MONITOR + text)
    assert config.device("kiosk-1") is not None
    assert config.device("kiosk-1").password_hash == HASH  # type: ignore[union-attr]
    assert [(a.name, a.role) for a in config.broker.accounts] == [("monitor", "integration")]
    assert config.broker_credentials and not check(BASE).broker_credentials
    assert HASH not in repr(config)  # never in a log line


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            variant('kind = "kiosk"', 'kind = "kiosk"\npassword_hash = "secret"'),
            "hall.toml:24: devices[1].password_hash: expected Mosquitto's $7$ hash",
        ),
        (
            BASE + MONITOR.replace('"integration"', '"admin"'),
            "hall.toml:31: broker.accounts[1].role: expected one of hub, integration",
        ),
        (
            BASE + MONITOR.replace('"monitor"', '"pad-1"'),
            'hall.toml:30: broker.accounts[1].name: "pad-1" is already a device',
        ),
        (
            BASE + MONITOR.replace(f'password_hash = "{HASH}"\n', ""),
            "hall.toml:29: broker.accounts[1].password_hash: missing required key",
        ),
        (
            BASE + "[rate_limits]\nkiosk = { per_s = 0, burst = 5 }\n",
            "hall.toml:30: rate_limits.kiosk.per_s: expected a number from 0.001 to 10000.0",
        ),
        (
            BASE + "[rate_limits]\ntoaster = { per_s = 1 }\n",
            "hall.toml:30: rate_limits.toaster: unknown key (accepted here: kiosk,",
        ),
    ],
)
def test_mistakes_name_the_line_and_key_and_never_the_hash(text: str, message: str) -> None:
    error = error_of(text)
    assert error.startswith(message), error
    assert HASH not in error


def test_rate_limits_per_kind() -> None:
    config = check(BASE + "[rate_limits]\nkiosk = { per_s = 0.5 }\nscreen = { burst = 4 }\n")
    assert config.rate_limit("kiosk") == RateLimit(per_s=0.5, burst=10)
    assert config.rate_limit("screen") == RateLimit(per_s=OTHER_KINDS_RATE_LIMIT.per_s, burst=4)
    assert check(BASE).rate_limit("window_pad") == RateLimit(per_s=5.0, burst=20)


def test_hall_acl_writes_one_login_per_account_each_to_its_topics(tmp_path: Path) -> None:
    text = variant(
        'id = "kiosk-1"\nkind = "kiosk"',
        f'id = "kiosk-1"\nkind = "kiosk"\npassword_hash = "{HASH}"',
    )
    path = tmp_path / "hall.toml"
    path.write_text(HUB + MONITOR + text, encoding="utf-8")
    assert main(["acl", "--config", str(path), "--out", str(tmp_path / "out")]) == 0
    passwd = dict(
        line.split(":", 1) for line in (tmp_path / "out" / "hall.passwd").read_text().splitlines()
    )
    assert set(passwd) == {"hub", "monitor", "kiosk-1"}  # pad-1 has no password_hash yet
    assert verify_mosquitto_hash("hub-secret", passwd["hub"])
    assert passwd["kiosk-1"] == HASH
    acl = (tmp_path / "out" / "hall.acl").read_text()
    blocks: dict[str, str] = {}
    for block in ("\n" + acl).split("\nuser ")[1:]:
        name, *lines = block.split("\n")
        blocks[name] = "\n".join(line for line in lines if line.startswith("topic "))
    assert "topic readwrite hall/test/#" in blocks["hub"]
    kiosk = blocks["kiosk-1"]
    assert "topic write hall/test/dev/kiosk-1/req" in kiosk
    assert "topic write hall/test/dev/kiosk-1/status" in kiosk
    for leaf in ("res", "state", "cmd"):
        assert f"topic read hall/test/dev/kiosk-1/{leaf}" in kiosk
    for public in ("hub/status", "hub/key", "board", "services", "announce"):
        assert f"topic read hall/test/{public}" in kiosk
    assert "events" not in kiosk and "pad-1" not in kiosk and "#" not in kiosk
    assert "topic read hall/test/events" in blocks["monitor"]
    assert "write" not in blocks["monitor"]
    assert (tmp_path / "out" / "hall.passwd").stat().st_mode & 0o777 == 0o640


def test_hall_acl_needs_the_hubs_own_login(tmp_path: Path) -> None:
    path = tmp_path / "hall.toml"
    path.write_text(BASE, encoding="utf-8")
    assert load_config(path).broker.url is None
    assert main(["acl", "--config", str(path), "--out", str(tmp_path)]) == 1
    assert not (tmp_path / "hall.passwd").exists()
