"""TCP ports on this machine: a free one to listen on, and whether a given one is free.

The embedded broker and Redis, the demo and the reference back office listen on them.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

__all__ = ["free_port", "port_is_free", "probe_port"]


def probe_port(host: str, port: int) -> int:
    """Bind `host:port` for a moment and let it go; the port bound (the system's pick for 0).

    Binds with SO_REUSEADDR, as servers do, so a port left in TIME_WAIT counts as free.
    Raises OSError when the port is taken (EADDRINUSE) or `host` is no address of this machine.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        return int(probe.getsockname()[1])


# Where the system picks local ports for outgoing connections (Linux's default range when
# the file cannot be read). A port from there, free now, can become the local end of any
# client's connection a moment later, and a server restarted on it would then fail to bind.
_EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST_PICKED = 10000
_TRIES = 50


def _ephemeral_low() -> int:
    try:
        return int(_EPHEMERAL_RANGE_FILE.read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on `host` (an IPv4 or IPv6 address or a name) that nothing listens on now.

    Picked below the system's range for outgoing connections, so that no client connection
    takes it later as its local port; the system's own pick when that range leaves no room.
    Another program may still take it before the caller binds it: a caller that must be sure
    binds and handles the error.
    """
    below = _ephemeral_low()
    if below - _LOWEST_PICKED >= 1000:
        for _ in range(_TRIES):
            candidate = random.randrange(_LOWEST_PICKED, below)
            try:
                return probe_port(host, candidate)
            except OSError:
                continue
    return probe_port(host, 0)


def port_is_free(host: str, port: int) -> bool:
    try:
        probe_port(host, port)
    except OSError:
        return False
    return True
