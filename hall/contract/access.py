"""Who may log in to the hall's broker, and what each login may read and write.

One set of rules serves both brokers: `hall acl` writes them as Mosquitto's password and ACL
files, and the embedded broker (`hall/hub/embedded.py`) enforces them itself. Every login is
named by the hall file: a device by its id (also its client id), the hub process by the user of
its `[broker] url`, further hubs and integrations by `[[broker.accounts]]`.

- A device publishes only its own `dev/<id>/req` and `dev/<id>/status`, and reads only its own
  `res`, `state` and `cmd` and the public hall topics.
- A hub reads and writes everything under `hall/<hall>/`.
- An integration reads the public hall topics and `events`, and writes nothing.

Passwords are kept as Mosquitto's own `$7$` hashes (PBKDF2-SHA512), made and checked here with
hashlib, so the same password file serves Mosquitto and the embedded broker. Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field

from hall.contract.wire import Topics
from hall.domain.config import HallConfig

__all__ = [
    "PUBLIC_LEAVES",
    "Login",
    "Rules",
    "filter_covers",
    "hall_logins",
    "mosquitto_hash",
    "topic_matches",
    "valid_mosquitto_hash",
    "verify_mosquitto_hash",
]

# Mosquitto's defaults (mosquitto_passwd): 12 bytes of salt, 101 rounds of PBKDF2-SHA512.
SALT_BYTES = 12
ITERATIONS = 101
_HASH = re.compile(r"\$7\$([0-9]{1,7})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)")

# The hall topics every login may read (under hall/<hall>/). A topic added here is readable by
# every device and integration, on both brokers.
PUBLIC_LEAVES = ("hub/status", "hub/key", "board", "services", "announce")


def mosquitto_hash(
    password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS
) -> str:
    """`$7$<iterations>$<salt>$<hash>`, as `mosquitto_passwd` writes it."""
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    encode = base64.b64encode
    return f"$7${iterations}${encode(salt).decode()}${encode(digest).decode()}"


def valid_mosquitto_hash(text: str) -> bool:
    """True for a well-formed `$7$` hash (what the hall file's `password_hash` keys hold)."""
    match = _HASH.fullmatch(text)
    if match is None or int(match[1]) < 1:
        return False
    try:
        base64.b64decode(match[2], validate=True)
        return len(base64.b64decode(match[3], validate=True)) == hashlib.sha512().digest_size
    except binascii.Error:
        return False


def verify_mosquitto_hash(password: str, password_hash: str) -> bool:
    match = _HASH.fullmatch(password_hash)
    if match is None or not valid_mosquitto_hash(password_hash):
        return False
    salt, expected = base64.b64decode(match[2]), base64.b64decode(match[3])
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, int(match[1]))
    return hmac.compare_digest(digest, expected)


@dataclass(frozen=True)
class Rules:
    """Topic filters a login may read (subscribe to and receive) and write (publish to)."""

    read: tuple[str, ...]
    write: tuple[str, ...] = ()

    def may_publish(self, topic: str) -> bool:
        return any(topic_matches(f, topic) for f in self.write)

    def may_receive(self, topic: str) -> bool:
        return any(topic_matches(f, topic) for f in self.read)

    def may_subscribe(self, topic_filter: str) -> bool:
        return any(filter_covers(f, topic_filter) for f in self.read)


@dataclass(frozen=True)
class Login:
    name: str  # the user name, and the only client id it may use
    role: str  # hub | integration | device
    password_hash: str | None = field(repr=False)  # None: the login cannot be used
    rules: Rules


def hall_logins(config: HallConfig, hub_password_hash: str | None = None) -> list[Login]:
    """Every login of the hall: the hub of `[broker] url` (its hash given, since the file holds
    its password in clear), the further accounts, then each device."""
    topics = Topics(config.hall.id)
    root = topics.root
    public = tuple(f"{root}/{leaf}" for leaf in PUBLIC_LEAVES)
    hub_rules = Rules(read=(f"{root}/#",), write=(f"{root}/#",))
    logins: list[Login] = []
    hub_user = config.broker.username
    if hub_user is not None:
        logins.append(Login(hub_user, "hub", hub_password_hash, hub_rules))
    for account in config.broker.accounts:
        rules = hub_rules if account.role == "hub" else Rules(read=(*public, topics.events))
        logins.append(Login(account.name, account.role, account.password_hash, rules))
    for device in config.devices:
        own = (topics.device(device.id, "res"), topics.device(device.id, "state"))
        rules = Rules(
            read=(*own, topics.device(device.id, "cmd"), *public),
            write=(topics.device(device.id, "req"), topics.device(device.id, "status")),
        )
        logins.append(Login(device.id, "device", device.password_hash, rules))
    return logins


def _levels_match(pattern: str, subject: str, subject_is_filter: bool) -> bool:
    """`pattern`'s `+` and `#` against `subject`'s levels; a filter's own `+` or `#` is only
    matched by a `+` or `#` at least as wide."""
    pattern_levels = pattern.split("/")
    levels = subject.split("/")
    for i, part in enumerate(pattern_levels):
        if part == "#":
            return True
        if i >= len(levels):
            return False
        level = levels[i]
        if part == "+":
            if subject_is_filter and level == "#":
                return False
        elif part != level or (subject_is_filter and level in ("+", "#")):
            return False
    return len(levels) == len(pattern_levels)


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT matching of a topic name against a filter with `+` and `#`."""
    return _levels_match(topic_filter, topic, subject_is_filter=False)


def filter_covers(allowed: str, requested: str) -> bool:
    """True when every topic `requested` can match is also matched by `allowed`."""
    return _levels_match(allowed, requested, subject_is_filter=True)
