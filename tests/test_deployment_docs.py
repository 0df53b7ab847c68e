"""docs/deployment.md followed as written, where a test can: the files it installs go where
Debian's services read them, and the servers start with them in a private root.

The copy commands are read from the document's shell blocks; the private root stands for `/`
(every absolute path of the configuration files is moved under it) and the ports are free
loopback ones. Mosquitto starts from Debian's own main file with the hall's conf.d files and
accepts the hub's account, in clear and over TLS with certificates made by the document's
openssl commands; Redis starts from a Debian main file with the documented `include` and
reports the documented durability; the snapshot command of the backups makes a snapshot; the
systemd unit passes `systemd-analyze verify`.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PrivateMosquitto, PrivateRedis, require_binary
from tests.support import REPO_ROOT, free_port

DOC = REPO_ROOT / "docs" / "deployment.md"
# Debian's /etc/mosquitto/mosquitto.conf as the package ships it (comments left out).
DEBIAN_MOSQUITTO = """pid_file /run/mosquitto/mosquitto.pid
persistence true
persistence_location /var/lib/mosquitto/
log_dest file /var/log/mosquitto/mosquitto.log
include_dir /etc/mosquitto/conf.d
"""
# The lines of Debian's /etc/redis/redis.conf that the hall's file must win over.
DEBIAN_REDIS = """bind 127.0.0.1 -::1
port 6379
daemonize yes
pidfile /run/redis/redis-server.pid
logfile /var/log/redis/redis-server.log
dir /var/lib/redis
appendonly no
appendfsync everysec
"""
ABSOLUTE = re.compile(r"(?<![\w.])/(etc|var|run)/")


def shell_lines() -> list[str]:
    """Every command of the document's ```sh blocks, in order (`a && b` is two)."""
    lines: list[str] = []
    inside = False
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            inside = line.strip() == "```sh"
            continue
        if inside:
            command = line.split("  #")[0]
            lines.extend(part.strip() for part in command.split(" && ") if part.strip())
    return lines


def installed(source: str) -> str:
    """Where the document copies `source` (a repository path) to."""
    for line in shell_lines():
        words = shlex.split(line)
        if words and words[0] in ("cp", "install") and source in words:
            dest = words[-1]
            return dest + Path(source).name if dest.endswith("/") else dest
    raise AssertionError(f"docs/deployment.md never installs {source}")


def rooted(text: str, root: Path) -> str:
    """A configuration text with its absolute paths moved under `root`."""
    return ABSOLUTE.sub(lambda m: f"{root}/{m.group(1)}/", text)


def place(root: Path, path: str, text: str) -> Path:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


# ----- Mosquitto ---------------------------------------------------------------------------------
def test_the_broker_files_go_where_debian_reads_them() -> None:
    for source in ("config/mosquitto.conf", "config/mosquitto-tls.conf"):
        assert fnmatch.fnmatch(installed(source), "/etc/mosquitto/conf.d/*.conf"), source


def make_certificates(root: Path) -> Path:
    """The document's openssl commands, run in the private root's certs folder."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: the TLS listener cannot be checked")
    certs = root / "etc" / "mosquitto" / "certs"
    certs.mkdir(parents=True, exist_ok=True)
    commands = [line for line in shell_lines() if line.startswith("openssl ")]
    assert len(commands) == 3, commands
    for command in commands:
        subprocess.run(shlex.split(command), cwd=certs, check=True, capture_output=True)
    return certs


def test_mosquitto_starts_with_the_documented_files(tmp_path: Path) -> None:
    binary = require_binary("mosquitto", "HALL_TEST_MOSQUITTO_BIN")
    passwd_tool = shutil.which("mosquitto_passwd")
    if passwd_tool is None:
        pytest.skip("mosquitto_passwd is not installed")
    root = tmp_path / "root"
    plain, hubs, tls = free_port(), free_port(), free_port()
    main = rooted(DEBIAN_MOSQUITTO, root)
    if os.geteuid() == 0:
        main += "user root\n"  # else it would switch to a user who cannot read tmp_path
    main_conf = place(root, "/etc/mosquitto/mosquitto.conf", main)
    for name in ("var/lib/mosquitto", "var/log/mosquitto", "run/mosquitto"):
        (root / name).mkdir(parents=True, exist_ok=True)
    hall_conf = (REPO_ROOT / "config" / "mosquitto.conf").read_text(encoding="utf-8")
    hall_conf = hall_conf.replace("listener 1883 ", f"listener {plain} ")
    hall_conf = rooted(hall_conf.replace("listener 1884 ", f"listener {hubs} "), root)
    place(root, installed("config/mosquitto.conf"), hall_conf)
    tls_conf = (REPO_ROOT / "config" / "mosquitto-tls.conf").read_text(encoding="utf-8")
    tls_conf = tls_conf.replace("listener 8883", f"listener {tls} 127.0.0.1")
    place(root, installed("config/mosquitto-tls.conf"), rooted(tls_conf, root))
    certs = make_certificates(root)
    # The accounts and access list the conf.d file names, made as section 2 says.
    every_conf = hall_conf + rooted(tls_conf, root)
    for setting, make in (("password_file", "passwd"), ("acl_file", "acl")):
        for found in re.finditer(rf"^{setting} (\S+)", every_conf, re.M):
            make_account_file(Path(found.group(1)), make, passwd_tool)
    server = PrivateMosquitto("mosquitto", [binary, "-c", str(main_conf)], plain, tmp_path)
    try:
        server.start()
        assert mqtt_connect(plain, "hub", "s3cret") == 0
        assert mqtt_connect(hubs, "hub", "s3cret") == 0, "the hubs' listener refused the hub"
        for port in (plain, hubs):
            assert mqtt_connect(port, None, None) != 0, "an anonymous client was let in"
        context = ssl.create_default_context(cafile=str(certs / "ca.crt"))
        context.check_hostname = False  # the certificate names the hall's host, not 127.0.0.1
        assert mqtt_connect(tls, "hub", "s3cret", context) == 0
    finally:
        server.kill()


def make_account_file(path: Path, make: str, passwd_tool: str) -> None:
    """A password file with the hub's account (as `hall acl` would write), or the access
    list of the example."""
    if make == "passwd":
        subprocess.run([passwd_tool, "-c", "-b", str(path), "hub", "s3cret"], check=True)
    else:
        example = (REPO_ROOT / "config" / "mosquitto.acl.example").read_text()
        path.write_text(example, encoding="utf-8")


def mqtt_connect(
    port: int, user: str | None, password: str | None, context: ssl.SSLContext | None = None
) -> int:
    """An MQTT 3.1.1 CONNECT: the CONNACK's return code (0: accepted)."""
    flags = 0x02 | (0xC0 if user else 0)
    payload = _mqtt_string("deploy-check")
    if user and password:
        payload += _mqtt_string(user) + _mqtt_string(password)
    variable = _mqtt_string("MQTT") + bytes([4, flags, 0, 30])
    body = variable + payload
    packet = bytes([0x10, len(body)]) + body
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        conn = context.wrap_socket(raw) if context else raw
        conn.sendall(packet)
        connack = conn.recv(4)
    assert connack[:2] == b"\x20\x02", connack
    return connack[3]


def _mqtt_string(text: str) -> bytes:
    data = text.encode()
    return len(data).to_bytes(2, "big") + data


# ----- Redis -------------------------------------------------------------------------------------
def test_redis_includes_the_hall_file_and_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    binary = require_binary("redis-server", "HALL_TEST_REDIS_BIN")
    dest = installed("config/redis.conf")
    assert fnmatch.fnmatch(dest, "/etc/redis/*.conf") and dest != "/etc/redis/redis.conf"
    include = f"echo 'include {dest}' >> /etc/redis/redis.conf"
    assert include in shell_lines(), f"docs/deployment.md does not say: {include}"
    root = tmp_path / "root"
    for name in ("var/lib/redis", "var/log/redis", "run/redis"):
        (root / name).mkdir(parents=True, exist_ok=True)
    hall = (REPO_ROOT / "config" / "redis.conf").read_text(encoding="utf-8")
    place(root, dest, rooted(hall, root))
    main = place(
        root, "/etc/redis/redis.conf", rooted(DEBIAN_REDIS, root) + f"include {root}{dest}\n"
    )
    data = tmp_path / "data"
    data.mkdir()
    port = free_port()
    # As Debian's unit starts it, with the test's port and folders given last (they win).
    argv = [binary, str(main), "--supervised", "no", "--daemonize", "no", "--port", str(port)]
    argv += ["--dir", str(data), "--logfile", "", "--pidfile", str(data / "redis.pid")]
    server = PrivateRedis("redis", argv, port, data)
    try:
        server.start()
        assert redis_config(port, "appendonly") == "yes"
        assert redis_config(port, "appendfsync") == "always"
        assert redis_config(port, "maxmemory-policy") == "noeviction"
        backup_snapshot(port, tmp_path)
    finally:
        server.kill()


def redis_config(port: int, name: str) -> str:
    redis_cli = shutil.which("redis-cli")
    if redis_cli is None:
        pytest.skip("redis-cli is not installed")
    out = subprocess.run(
        [redis_cli, "-p", str(port), "config", "get", name], check=True, capture_output=True
    ).stdout.decode()
    return out.split()[1]


def backup_snapshot(port: int, tmp_path: Path) -> None:
    """Section 8's snapshot command, against this server: a snapshot file comes out."""
    (command,) = [line for line in shell_lines() if line.startswith("redis-cli --rdb ")]
    target = tmp_path / "dump-backup.rdb"
    words = shlex.split(command)
    assert words[:2] == ["redis-cli", "--rdb"], words
    redis_cli = shutil.which("redis-cli")
    assert redis_cli is not None
    subprocess.run(
        [redis_cli, "-p", str(port), "--rdb", str(target)], check=True, capture_output=True
    )
    assert target.read_bytes().startswith(b"REDIS")


# ----- systemd -----------------------------------------------------------------------------------
def test_the_unit_verifies_and_lets_the_hub_write_its_state(tmp_path: Path) -> None:
    source = "config/systemd/hall-hub@.service"
    dest = installed(source)
    assert fnmatch.fnmatch(dest, "/etc/systemd/system/hall-hub@.service"), dest
    unit = (REPO_ROOT / source).read_text(encoding="utf-8")
    settings = re.findall(r"^(\w+)=(.*)$", unit, re.M)
    values: dict[str, list[str]] = {}
    for key, value in settings:
        values.setdefault(key, []).append(value)
    assert values["StateDirectory"] == ["hall"]
    assert values["ProtectSystem"] == ["strict"]
    assert "/var/lib/hall" in " ".join(values["ReadWritePaths"])
    assert int(values["LimitNOFILE"][0]) >= 4096
    # The embedded store's folder the document recommends is one the hub may write.
    assert '[store] path = "/var/lib/hall/' in DOC.read_text(encoding="utf-8")
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the unit was only read, not verified")
    hall = REPO_ROOT / ".venv" / "bin" / "hall"
    if not hall.exists():
        pytest.skip(f"{hall} is missing: the unit's command cannot be checked")
    # The unit as installed, its command pointing at this checkout's `hall`.
    local = tmp_path / "hall-hub@check.service"
    local.write_text(unit.replace("/opt/hall/.venv/bin/hall", str(hall)), encoding="utf-8")
    run = subprocess.run(
        [analyze, "verify", str(local)], capture_output=True, text=True, timeout=60
    )
    said = (run.stdout + run.stderr).strip()
    if run.returncode != 0 and "Failed to" in said and "bus" in said.lower():
        pytest.skip(f"systemd-analyze cannot run here: {said}")
    assert run.returncode == 0 and not said, said
