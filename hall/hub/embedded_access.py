"""The embedded broker's logins and topic rules, when the hall file gives broker credentials.

The same rules as Mosquitto's files from `hall acl` (`hall.contract.access`): anonymous
clients are refused, a login's password is checked against its `$7$` hash, a client id must be
the login's user name, and each login reads and writes only its own topics.

amqtt looks at a new connection's client id (ending an older session of that id, or erasing it
for a clean session) before its plugins authenticate it. So the credentials are checked at the
door instead: the hub listens itself, reads each connection's CONNECT packet, refuses a bad
login with a CONNACK return code, and hands only good ones to amqtt (an "external" listener).
The topic plugin then holds every login to its rules; the auth plugin checks the login again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from amqtt.adapters import StreamReaderAdapter, StreamWriterAdapter
from amqtt.contexts import Action
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import Session

from hall.contract.access import Login, Rules, hall_logins, mosquitto_hash, verify_mosquitto_hash
from hall.contract.wire import Topics
from hall.domain.config import HallConfig

__all__ = ["BrokerAccess", "HallAuthPlugin", "HallTopicPlugin", "serve_gate"]

log = logging.getLogger("hall.hub.embedded")

CONNECT_MAX_BYTES = 64 * 1024
CONNECT_TIMEOUT_S = 10.0
# CONNACK return codes of MQTT 3.1.1.
IDENTIFIER_REJECTED = 2
BAD_LOGIN = 4
NOT_AUTHORIZED = 5
LISTENER = "default"  # amqtt needs a listener of this name

# The access rules of each running embedded broker, by the key its plugins are configured with.
_RUNNING: dict[str, BrokerAccess] = {}


@dataclass(frozen=True)
class BrokerAccess:
    """Every login of a hall on the embedded broker, this hub process's own included."""

    logins: dict[str, Login]
    hub_user: str
    hub_password: str = field(repr=False)
    # Devices run inside this process (the demo's simulated ones, a one-box hall's speaker)
    # log in as themselves with a password made for this run, as the hub does: their real
    # passwords are known only to the devices, the hall file holds hashes.
    device_passwords: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, config: HallConfig, local_devices: Iterable[str] = ()) -> BrokerAccess | None:
        """The logins the hall file gives; None when it gives none (anonymous clients).

        Each of `local_devices` (configured devices run in this process) also gets a
        password of this run, in `device_passwords`.
        """
        if not config.broker_credentials:
            return None
        # The hub in this process logs in with a password made for this run alone, under its
        # own client id, so a hub's login is never written anywhere.
        hub_user = f"hub-{config.hall.id}"
        hub_password = secrets.token_urlsafe(24)
        root = Topics(config.hall.id).root
        hub = Login(
            hub_user,
            "hub",
            mosquitto_hash(hub_password),
            Rules(read=(f"{root}/#",), write=(f"{root}/#",)),
        )
        local = set(local_devices)
        logins = {
            login.name: login
            for login in hall_logins(config)
            if login.password_hash or (login.role == "device" and login.name in local)
        }
        logins[hub_user] = hub
        device_passwords = {
            name: secrets.token_urlsafe(24)
            for name, login in logins.items()
            if name in local and login.role == "device"
        }
        return cls(logins, hub_user, hub_password, device_passwords)

    def check(self, connect: Connect) -> int:
        """0 when the login may connect, else the CONNACK return code that refuses it."""
        login = self.logins.get(connect.username or "")
        if login is None or connect.password is None:
            return BAD_LOGIN
        try:
            password = connect.password.decode()
        except UnicodeDecodeError:
            return BAD_LOGIN
        run_password = self.device_passwords.get(login.name)
        if run_password is not None and hmac.compare_digest(password, run_password):
            pass  # a device of this process
        elif login.password_hash is None or not verify_mosquitto_hash(
            password, login.password_hash
        ):
            return BAD_LOGIN
        if not _client_id_allowed(login, connect.client_id):
            return IDENTIFIER_REJECTED
        if connect.will_topic is not None and not login.rules.may_publish(connect.will_topic):
            return NOT_AUTHORIZED
        return 0

    def rules_of(self, session: Session | None) -> Rules | None:
        if session is None or session.username is None:
            return None
        login = self.logins.get(session.username)
        if login is None or not _client_id_allowed(login, session.client_id):
            return None
        return login.rules


def _client_id_allowed(login: Login, client_id: str | None) -> bool:
    """A login's client id is its user name; a hub's login also names its processes' own
    sessions after it (`hub-<hall>-<instance>`, and `...-standby` while standing by), which no
    device can use: a device's client id must be its own name."""
    if client_id == login.name:
        return True
    return login.role == "hub" and client_id is not None and client_id.startswith(login.name + "-")


@dataclass(frozen=True)
class Connect:
    client_id: str
    username: str | None
    password: bytes | None = field(repr=False)
    will_topic: str | None


class _Replay(StreamReaderAdapter):  # type: ignore[misc]  # amqtt has no type hints
    """The connection's reader, giving the CONNECT packet already read first."""

    def __init__(self, head: bytes, reader: asyncio.StreamReader) -> None:
        super().__init__(reader)
        self._head = head

    async def read(self, n: int = -1) -> bytes:
        if not self._head:
            data: bytes = await super().read(n)
            return data
        if n != -1 and n < len(self._head):
            chunk, self._head = self._head[:n], self._head[n:]
            return chunk
        chunk, self._head = self._head, b""
        if n > len(chunk):
            chunk += await super().read(n - len(chunk))
        return chunk


async def _read_connect(reader: asyncio.StreamReader) -> tuple[bytes, Connect | None]:
    """The raw CONNECT packet and what it says (None when it is no well-formed CONNECT)."""
    first = await reader.readexactly(1)
    raw = bytearray(first)
    length, shift = 0, 0
    for _ in range(4):
        byte = (await reader.readexactly(1))[0]
        raw.append(byte)
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    if first[0] != 0x10 or length > CONNECT_MAX_BYTES:
        return bytes(raw), None
    body = await reader.readexactly(length)
    raw += body
    try:
        return bytes(raw), _parse_connect(body)
    except (IndexError, struct.error, UnicodeDecodeError):
        return bytes(raw), None


def _parse_connect(body: bytes) -> Connect:
    at = 0

    def field_bytes() -> bytes:
        nonlocal at
        (size,) = struct.unpack_from("!H", body, at)
        value = body[at + 2 : at + 2 + size]
        if len(value) != size:
            raise IndexError("truncated CONNECT")
        at += 2 + size
        return value

    field_bytes()  # protocol name
    flags = body[at + 1]
    at += 4  # level, flags, keep-alive
    client_id = field_bytes().decode()
    will_topic = None
    if flags & 0x04:
        will_topic = field_bytes().decode()
        field_bytes()  # the will's message
    username = field_bytes().decode() if flags & 0x80 else None
    password = field_bytes() if flags & 0x40 else None
    return Connect(client_id, username, password, will_topic)


async def serve_gate(
    host: str, port: int, access: BrokerAccess, broker: Any
) -> asyncio.base_events.Server:
    """Listen on `host:port`, hand good logins to amqtt's external listener."""

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                head, connect = await _read_connect(reader)
        except (TimeoutError, asyncio.IncompleteReadError, OSError):
            writer.close()
            return
        refusal = BAD_LOGIN if connect is None else access.check(connect)
        if refusal:
            who = connect.username if connect is not None else "?"
            log.warning("embedded broker: refused a login as %r (return code %d)", who, refusal)
            with contextlib.suppress(OSError):
                writer.write(bytes((0x20, 0x02, 0x00, refusal)))
                await writer.drain()
            writer.close()
            return
        await broker.external_connected(
            _Replay(head, reader), StreamWriterAdapter(writer), LISTENER
        )

    return await asyncio.start_server(on_connection, host, port)


def register(access: BrokerAccess) -> str:
    key = secrets.token_hex(8)
    _RUNNING[key] = access
    return key


def unregister(key: str) -> None:
    _RUNNING.pop(key, None)


class HallAuthPlugin(BaseAuthPlugin):  # type: ignore[misc]
    """A second look at each login (the gate has checked its password already)."""

    @dataclass
    class Config:
        access_key: str = ""

    async def authenticate(self, *, session: Session) -> bool | None:
        access = _RUNNING.get(self.config.access_key)
        return access is not None and access.rules_of(session) is not None


class HallTopicPlugin(BaseTopicPlugin):  # type: ignore[misc]
    """Each login publishes, subscribes to and receives only what its rules allow."""

    @dataclass
    class Config:
        access_key: str = ""

    async def topic_filtering(
        self,
        *,
        session: Session | None = None,
        topic: str | None = None,
        action: Action | None = None,
    ) -> bool | None:
        access = _RUNNING.get(self.config.access_key)
        rules = access.rules_of(session) if access is not None else None
        if rules is None or topic is None:
            return False
        if action == Action.PUBLISH:
            return rules.may_publish(topic)
        if action == Action.SUBSCRIBE:
            return rules.may_subscribe(topic)
        return rules.may_receive(topic)
