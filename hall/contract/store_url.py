"""The forms of `[store] url` that name several Redis servers: a Redis Cluster, or a master
found through Redis Sentinel.

    redis+cluster://[user:password@]host:port[,host:port...]
    redis+sentinel://[user:password@]host:port[,host:port...]/<service name>[/<db>]

`rediss+cluster://` and `rediss+sentinel://` speak TLS to Redis. The hosts are where the
client starts: a cluster's other nodes and a service's master are learned from them. The
credentials log in to Redis (every node of a cluster, the master and its replicas); sentinels
are asked without them. A single server keeps the plain `redis://`, `rediss://` or `unix://`
URL, which redis-py reads itself.

Pure parsing (stdlib only), so that the hall file's checker and the store read the same URL
the same way; a message never repeats the password.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

__all__ = [
    "CLUSTER_SCHEMES",
    "SENTINEL_SCHEMES",
    "StoreAddress",
    "StoreUrlError",
    "is_many",
    "parse_many",
]

CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")
SENTINEL_SCHEMES = ("redis+sentinel", "rediss+sentinel")
DEFAULT_PORTS = {"cluster": 6379, "sentinel": 26379}

_HOST_PORT = re.compile(r"(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+))(?::([0-9]{1,5}))?")
_SERVICE = re.compile(r"[A-Za-z0-9._-]{1,64}")


class StoreUrlError(ValueError):
    """The URL is not one of the forms above; the message says what is wrong."""


@dataclass(frozen=True)
class StoreAddress:
    """Where a cluster or a sentinel-watched master is found."""

    kind: Literal["cluster", "sentinel"]
    nodes: tuple[tuple[str, int], ...]  # where the client starts asking
    tls: bool = False
    username: str | None = None
    password: str | None = None
    service: str = ""  # sentinel: the name the sentinels monitor the master under
    db: int = 0  # sentinel: the database number (a cluster has only 0)


def is_many(url: str) -> bool:
    """The URL names a cluster or sentinels (and is read by `parse_many`)."""
    return url.partition("://")[0].lower() in (*CLUSTER_SCHEMES, *SENTINEL_SCHEMES)


def parse_many(url: str) -> StoreAddress:
    """The cluster or sentinel address in `url`; raises StoreUrlError."""
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in (*CLUSTER_SCHEMES, *SENTINEL_SCHEMES):
        raise StoreUrlError("expected a redis+cluster:// or redis+sentinel:// URL")
    kind: Literal["cluster", "sentinel"] = "cluster" if scheme in CLUSTER_SCHEMES else "sentinel"
    if "?" in rest or "#" in rest:
        raise StoreUrlError("expected no query or fragment in the URL")
    authority, _, path = rest.partition("/")
    userinfo, at, hosts = authority.rpartition("@")
    username = password = None
    if at:
        user, colon, secret = userinfo.partition(":")
        username = unquote(user) or None
        password = unquote(secret) if colon else None
    nodes = tuple(_node(part, DEFAULT_PORTS[kind]) for part in hosts.split(","))
    address = StoreAddress(
        kind=kind,
        nodes=nodes,
        tls=scheme.startswith("rediss"),
        username=username,
        password=password,
    )
    if kind == "cluster":
        if path not in ("", "0"):
            raise StoreUrlError("expected no path in a cluster URL (a cluster has only db 0)")
        return address
    service, _, db = path.partition("/")
    if not _SERVICE.fullmatch(service):
        raise StoreUrlError(
            "expected the sentinels' service name after the hosts "
            "(redis+sentinel://host:26379/mymaster/0)"
        )
    if db not in ("", "/") and not re.fullmatch(r"[0-9]{1,2}/?", db):
        raise StoreUrlError("expected a database number after the service name")
    number = int(db.rstrip("/") or 0)
    return StoreAddress(
        kind=kind,
        nodes=nodes,
        tls=address.tls,
        username=username,
        password=password,
        service=service,
        db=number,
    )


def _node(text: str, default_port: int) -> tuple[str, int]:
    match = _HOST_PORT.fullmatch(text)
    if match is None:
        raise StoreUrlError("expected host:port, separated by commas, in the URL")
    port = int(match[3]) if match[3] else default_port
    if not 1 <= port <= 65535:
        raise StoreUrlError("expected a port from 1 to 65535 in the URL")
    return match[1] or match[2], port
