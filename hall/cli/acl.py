"""`hall acl --config PATH [--out DIR]`: Mosquitto's password and ACL files from the hall file.

Writes `hall.passwd` (one `user:$7$...` line per login: the hub of `[broker] url`, each
`[[broker.accounts]]` entry, each device with a `password_hash`) and `hall.acl` (one `user`
block per login with exactly the topics `hall.contract.access` allows it). Used with
`config/mosquitto.conf`, whose `use_username_as_clientid true` makes every login's client id
its user name, so no login can take over another's session.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hall.contract.access import Login, hall_logins, mosquitto_hash
from hall.domain.config import HallConfig

__all__ = ["AclFiles", "acl_text", "passwd_text", "write_acl_files"]

PASSWD_NAME = "hall.passwd"
# The hubs' listener takes hub logins only: there a hub process keeps client ids of its own
# (its active session and its standby watcher), which the devices' listener would replace
# with the user name.
HUBS_PASSWD_NAME = "hall-hubs.passwd"
ACL_NAME = "hall.acl"


class AclError(ValueError):
    """The hall file cannot give a complete set of broker logins; the message says why."""


@dataclass(frozen=True)
class AclFiles:
    passwd: Path
    hubs_passwd: Path
    acl: Path
    logins: int  # logins written to the password file
    without_password: tuple[str, ...]  # devices that have no password_hash yet


def logins_of(config: HallConfig) -> list[Login]:
    broker = config.broker
    if broker.url is None or broker.username is None or not broker.password:
        raise AclError(
            "the hub needs its own broker login: set [broker] url = "
            '"mqtt://<user>:<password>@<host>:<port>" in the hall file'
        )
    return hall_logins(config, mosquitto_hash(broker.password))


def passwd_text(logins: list[Login]) -> str:
    lines = [f"{login.name}:{login.password_hash}" for login in logins if login.password_hash]
    return "\n".join(lines) + "\n"


def acl_text(config: HallConfig, logins: list[Login]) -> str:
    source = config.source or "the hall file"
    out = [
        f"# Mosquitto access list of hall {config.hall.id}, written by `hall acl` from {source}.",
        "# Each login reads and writes only the topics listed under its name; anything else is",
        "# denied. Write it again after changing the hall's devices or accounts.",
    ]
    for login in logins:
        out.append("")
        missing = "" if login.password_hash else " (no password_hash yet: cannot log in)"
        out.append(f"# {login.role}{missing}")
        out.append(f"user {login.name}")
        both = [t for t in login.rules.read if t in login.rules.write]
        out += [f"topic readwrite {t}" for t in both]
        out += [f"topic read {t}" for t in login.rules.read if t not in both]
        out += [f"topic write {t}" for t in login.rules.write if t not in both]
    return "\n".join(out) + "\n"


def write_acl_files(config: HallConfig, out_dir: Path) -> AclFiles:
    """Write both files into `out_dir` (readable by their owner and group only)."""
    logins = logins_of(config)
    out_dir.mkdir(parents=True, exist_ok=True)
    passwd = out_dir / PASSWD_NAME
    hubs_passwd = out_dir / HUBS_PASSWD_NAME
    acl = out_dir / ACL_NAME
    _write_private(passwd, passwd_text(logins))
    _write_private(hubs_passwd, passwd_text([login for login in logins if login.role == "hub"]))
    _write_private(acl, acl_text(config, logins))
    return AclFiles(
        passwd=passwd,
        hubs_passwd=hubs_passwd,
        acl=acl,
        logins=sum(1 for login in logins if login.password_hash),
        without_password=tuple(
            login.name for login in logins if login.role == "device" and not login.password_hash
        ),
    )


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
    os.chmod(path, 0o640)  # also when the file was already there


def run_acl_command(config: HallConfig, out_dir: Path) -> int:
    try:
        files = write_acl_files(config, out_dir)
    except AclError as exc:
        print(f"hall acl: {exc}")
        return 1
    print(
        f"wrote {files.passwd} ({files.logins} logins), {files.hubs_passwd} (the hubs' logins)"
        f" and {files.acl}"
    )
    for device in files.without_password:
        print(f"note: device {device} has no password_hash: it cannot log in to the broker")
    return 0
