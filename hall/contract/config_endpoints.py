"""The hall file's addresses: `[broker]`, `[store]`, `[http]` and `[portal]`.

URLs are checked part by part so that a message says which part is wrong; a password in a
URL or a secret is never repeated in a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from hall.contract.config_base import FileChecker, show
from hall.contract.config_lines import KeyPath
from hall.contract.store_url import StoreUrlError, is_many, parse_many
from hall.domain.config import BrokerConfig, HttpConfig, PortalConfig, StoreConfig

_BROKER_KEYS = ("url", "listen", "accounts")  # accounts: `config_access.py`
_STORE_KEYS = ("url", "path", "wait_replicas")
MAX_WAIT_REPLICAS = 16
_HTTP_KEYS = (
    "listen",
    "public_url",
    "behind_tls",
    "max_connections",
    "header_timeout_s",
    "idle_timeout_s",
    "body_timeout_s",
    "api_rate_per_s",
    "api_burst",
)
_HTTP_TIMEOUTS = ("header_timeout_s", "idle_timeout_s", "body_timeout_s")
MAX_TIMEOUT_S = 3600.0
_PORTAL_KEYS = ("url", "secret")

_HOST = re.compile(r"[A-Za-z0-9._-]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")
_LISTEN = re.compile(r"(?:\[([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)\]|([A-Za-z0-9._-]+)):([0-9]{1,5})")
WHSEC = re.compile(r"whsec_(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def valid_whsec(value: object) -> bool:
    """A webhook secret: ``whsec_`` and non-empty base64."""
    return isinstance(value, str) and value != "whsec_" and WHSEC.fullmatch(value) is not None


class EndpointChecks(FileChecker):
    """The checks of the hall file's address tables."""

    def listen(self, table: dict[str, Any], path: KeyPath, default: str) -> tuple[str, str, int]:
        if "listen" not in table:
            host, _, port = default.rpartition(":")
            return default, host, int(port)
        value = table["listen"]
        parsed = _parse_listen(value) if isinstance(value, str) else None
        if not isinstance(value, str) or parsed is None:
            raise self.error(
                (*path, "listen"),
                f'expected "host:port" with a port from 1 to 65535, got {show(value)}',
            )
        return value, parsed[0], parsed[1]

    def broker(self, doc: dict[str, Any]) -> BrokerConfig:
        path: KeyPath = ("broker",)
        table = self.optional_table(doc, "broker", _BROKER_KEYS)
        listen, host, port = self.listen(table, path, BrokerConfig.listen)
        url = self.opt_string(table, path, "url")
        if url is None:
            return BrokerConfig(listen=listen, host=host, port=port)
        parts = _split_url(url)
        problem = None
        if parts is None or parts.scheme not in ("mqtt", "mqtts") or "://" not in url:
            problem = "expected an mqtt:// or mqtts:// URL"
        elif not parts.hostname or not _HOST.fullmatch(parts.hostname):
            problem = "expected a host name or address in the URL"
        elif parts.port_error:
            problem = "expected a port from 1 to 65535 in the URL"
        elif parts.rest not in ("", "/"):
            problem = "expected no path, query or fragment in the URL"
        if problem is not None or parts is None or parts.hostname is None:
            raise self.error((*path, "url"), f"{problem}, got {show(_redact(url))}")
        tls = parts.scheme == "mqtts"
        return BrokerConfig(
            url=url,
            listen=listen,
            host=parts.hostname,
            port=parts.port or (8883 if tls else 1883),
            tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )

    def store(self, doc: dict[str, Any], base: Path) -> StoreConfig:
        path: KeyPath = ("store",)
        table = self.optional_table(doc, "store", _STORE_KEYS)
        folder = self.opt_string(table, path, "path")
        data = (base / Path(folder).expanduser() if folder is not None else base / "var").resolve()
        url = self.opt_string(table, path, "url")
        if url is not None and is_many(url):  # a cluster, or sentinels: `store_url.py`
            try:
                parse_many(url)
            except StoreUrlError as exc:
                raise self.error((*path, "url"), f"{exc}, got {show(_redact(url))}") from None
        elif url is not None:
            parts = _split_url(url)
            ok = parts is not None and "://" in url and not parts.port_error
            if ok and parts is not None and parts.scheme in ("redis", "rediss"):
                ok = bool(parts.hostname and _HOST.fullmatch(parts.hostname))
                ok = ok and re.fullmatch(r"(/[0-9]*)?(\?[^#]*)?", parts.rest) is not None
            elif ok and parts is not None and parts.scheme == "unix":
                ok = parts.path not in ("", "/")
            else:
                ok = False
            if not ok:
                raise self.error(
                    (*path, "url"),
                    f"expected a redis://, rediss:// or unix:// URL, got {show(_redact(url))}",
                )
        wait_replicas = self.integer(table, path, "wait_replicas", 0, MAX_WAIT_REPLICAS) or 0
        if wait_replicas and url is None:
            raise self.error(
                (*path, "wait_replicas"),
                "needs a Redis with replicas: give [store] url (the embedded Redis has none)",
            )
        if wait_replicas and url is not None and is_many(url) and parse_many(url).kind == "cluster":
            raise self.error(
                (*path, "wait_replicas"),
                "is for one server or Sentinel: a Redis Cluster keeps its own replicas",
            )
        return StoreConfig(url=url, path=data, wait_replicas=wait_replicas)

    def http(self, doc: dict[str, Any]) -> HttpConfig:
        path: KeyPath = ("http",)
        table = self.optional_table(doc, "http", _HTTP_KEYS)
        listen, host, port = self.listen(table, path, HttpConfig.listen)
        defaults = HttpConfig()
        timeouts = {
            key: self.number_in(table[key], (*path, key), 0.1, MAX_TIMEOUT_S)
            if key in table
            else getattr(defaults, key)
            for key in _HTTP_TIMEOUTS
        }
        rate = defaults.api_rate_per_s
        if "api_rate_per_s" in table:
            rate = self.number_in(table["api_rate_per_s"], (*path, "api_rate_per_s"), 0.001, 1e6)
        max_connections = self.integer(table, path, "max_connections", 16, 1_000_000)
        burst = self.integer(table, path, "api_burst", 1, 1_000_000)
        behind_tls = "behind_tls" in table and self.flag(table["behind_tls"], (*path, "behind_tls"))
        return HttpConfig(
            listen=listen,
            host=host,
            port=port,
            public_url=self.public_url(table, path),
            behind_tls=behind_tls,
            max_connections=max_connections or defaults.max_connections,
            api_rate_per_s=rate,
            api_burst=burst or defaults.api_burst,
            **timeouts,
        )

    def public_url(self, table: dict[str, Any], path: KeyPath) -> str | None:
        url = self.opt_string(table, path, "public_url")
        if url is None:
            return None
        parts = _split_url(url)
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or "://" not in url
            or not parts.hostname
            or not _HOST.fullmatch(parts.hostname)
            or parts.port_error
            or parts.username is not None
            or parts.rest not in ("", "/")
        ):
            raise self.error(
                (*path, "public_url"),
                "expected the http:// or https:// address browsers reach the hub at, "
                f"without path or query (https://hall.example.gov.cn), got {show(url)}",
            )
        return url.rstrip("/")

    def portal(self, doc: dict[str, Any]) -> PortalConfig | None:
        if "portal" not in doc:
            return None
        path: KeyPath = ("portal",)
        table = self.table(doc["portal"], path, _PORTAL_KEYS)
        url = self.nonempty_string(self.present(table, path, "url"), (*path, "url"))
        parts = _split_url(url)
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.hostname
            or not _HOST.fullmatch(parts.hostname)
            or parts.port_error
            or "?" in parts.rest
            or "#" in url
        ):
            raise self.error(
                (*path, "url"),
                f"expected an http:// or https:// URL without query, got {show(_redact(url))}",
            )
        secret = self.present(table, path, "secret")
        if not isinstance(secret, str) or not valid_whsec(secret):
            # The value is a secret: never repeat it in a message or a log.
            raise self.error(
                (*path, "secret"), 'expected "whsec_" followed by base64 (value not shown)'
            )
        return PortalConfig(url=url.rstrip("/"), secret=secret)


def _redact(url: str) -> str:
    """A URL with any password replaced, for messages (``mqtt://hub:***@host``)."""
    if "@" not in url:
        return url
    head, _, tail = url.rpartition("@")
    scheme, sep, userinfo = head.partition("://")
    if not sep:
        return f"***@{tail}"
    user, colon, _ = userinfo.partition(":")
    return f"{scheme}://{user}:***@{tail}" if colon else url


def _parse_listen(value: str) -> tuple[str, int] | None:
    match = _LISTEN.fullmatch(value)
    if match is None:
        return None
    port = int(match[3])
    if not 1 <= port <= 65535:
        return None
    return match[1] or match[2], port


@dataclass(frozen=True)
class _Url:
    scheme: str
    hostname: str | None
    port: int | None
    port_error: bool
    username: str | None
    password: str | None
    path: str
    rest: str  # path, query and fragment as written


def _split_url(url: str) -> _Url | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    try:
        port = parts.port
        port_error = port == 0
    except ValueError:
        port, port_error = None, True
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    rest += f"#{parts.fragment}" if parts.fragment else ""
    return _Url(
        scheme=parts.scheme,
        hostname=parts.hostname,
        port=port,
        port_error=port_error,
        username=parts.username,
        password=parts.password,
        path=parts.path,
        rest=rest,
    )


def http_warnings(http: HttpConfig, *, printers: int = 0, window_printers: int = 0) -> list[str]:
    """What `hall check-config` warns about in `[http]` (the hub runs, but less safely);
    `printers` is how many ticket printers the hall has (their QR codes need `public_url`),
    `window_printers` how many window printers (the links to the copies they print do)."""
    warnings = []
    listen = f"http://{http.host}:{http.port}, the address the hub listens on"
    if http.public_url is None and printers:
        warnings.append(
            f"http.public_url is not set but the hall has {printers} ticket printer(s): the "
            f"printed QR codes would point at {listen}, which citizens' phones may not reach; "
            "set public_url to the address phones reach the hub at"
        )
    if http.public_url is None and window_printers:
        warnings.append(
            f"http.public_url is not set but the hall has {window_printers} window printer(s): "
            f"the copy links the gateway fetches would point at {listen}, which the gateway "
            "may not reach; set public_url to the address the gateway reaches the hub at"
        )
    if http.public_url is None:
        warnings.append(
            "http.public_url is not set: pages and sockets are accepted only from the "
            "address a connection reached (an IP address or localhost), and cookies are sent "
            "without Secure; set it to the https:// address browsers reach the hub at"
        )
    elif not http.secure_cookies:
        warnings.append(
            "http.public_url is http://: the session cookie crosses the network in clear; "
            "serve the pages over TLS (docs/deployment.md)"
        )
    return warnings
