"""The hall file's `[documents]` table: pages captured at the windows, encrypted at rest.

```toml
[documents]
key_file = "documents.key"     # 64 hex digits (32 bytes); or key = "<64 hex digits>"
path = "var/documents"         # default: documents-<hall id> in the [store] path
max_bytes = 10485760           # one page, default 10 MiB
max_pages = 30                 # one visit, default 30
types = ["jpeg", "png", "pdf"] # default: all three
retention_hours = 168          # a page the back office has not confirmed is deleted then
link_ttl_s = 86400             # how long a case's link may be fetched
copy_ttl_s = 300               # how long a window printer's link to a copy may be fetched

[documents.s3]                 # optional: the encrypted files in an S3-compatible store
url = "https://s3.example.gov.cn"
bucket = "hall-pages"
region = "us-east-1"           # default
access_key_id = "..."
secret_access_key_file = "s3.secret"   # or secret_access_key = "..."
```

The key is read here, once, and never shown: errors about it name the key and the line,
never its value.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hall.contract.config_base import FileChecker
from hall.contract.config_lines import KeyPath
from hall.domain.config import DocumentsConfig, HallConfig, S3Config, StoreConfig
from hall.domain.documents import KINDS

__all__ = ["DocumentsChecks", "documents_warnings"]

_DOCUMENTS_KEYS = (
    "key",
    "key_file",
    "path",
    "max_bytes",
    "max_pages",
    "types",
    "retention_hours",
    "link_ttl_s",
    "copy_ttl_s",
    "s3",
)
_S3_KEYS = (
    "url",
    "bucket",
    "region",
    "access_key_id",
    "secret_access_key",
    "secret_access_key_file",
)
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")
MAX_PAGE_BYTES = 100 * 1024 * 1024
MIN_PAGE_BYTES = 1024


class DocumentsChecks(FileChecker):
    """The checks of `[documents]` (a part of the hall file's checker)."""

    def documents(
        self, doc: dict[str, Any], base: Path, store: StoreConfig, hall_id: str
    ) -> DocumentsConfig | None:
        if "documents" not in doc:
            return None
        path: KeyPath = ("documents",)
        table = self.table(doc["documents"], path, _DOCUMENTS_KEYS)
        key = self._key(table, path, base)
        folder = self.opt_string(table, path, "path")
        location = base / folder if folder is not None else store.path / f"documents-{hall_id}"
        defaults = DocumentsConfig(key=b"")
        max_bytes = self.integer(table, path, "max_bytes", MIN_PAGE_BYTES, MAX_PAGE_BYTES)
        max_pages = self.integer(table, path, "max_pages", 1, 200)
        retention_h = self.integer(table, path, "retention_hours", 1, 24 * 366)
        link_ttl_s = self.integer(table, path, "link_ttl_s", 60, 30 * 86400)
        copy_ttl_s = self.integer(table, path, "copy_ttl_s", 30, 3600)
        return DocumentsConfig(
            key=key,
            path=location,
            max_bytes=defaults.max_bytes if max_bytes is None else max_bytes,
            max_pages=defaults.max_pages if max_pages is None else max_pages,
            kinds=self._kinds(table, path) or defaults.kinds,
            retention_s=defaults.retention_s if retention_h is None else retention_h * 3600,
            link_ttl_s=defaults.link_ttl_s if link_ttl_s is None else link_ttl_s,
            copy_ttl_s=defaults.copy_ttl_s if copy_ttl_s is None else copy_ttl_s,
            s3=self._s3(table, path, base),
        )

    def _s3(self, table: dict[str, Any], path: KeyPath, base: Path) -> S3Config | None:
        if "s3" not in table:
            return None
        where: KeyPath = (*path, "s3")
        s3 = self.table(table["s3"], where, _S3_KEYS)
        url = self.nonempty_string(self.present(s3, where, "url"), (*where, "url")).rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise self.error((*where, "url"), "expected an http:// or https:// URL")
        bucket = self.identifier(self.present(s3, where, "bucket"), (*where, "bucket"), _BUCKET, 63)
        access = self.nonempty_string(
            self.present(s3, where, "access_key_id"), (*where, "access_key_id"), max_len=128
        )
        return S3Config(
            url=url,
            bucket=bucket,
            access_key_id=access,
            secret_access_key=self._secret(s3, where, base),
            region=self.opt_string(s3, where, "region") or "us-east-1",
        )

    def _secret(self, s3: dict[str, Any], where: KeyPath, base: Path) -> str:
        if ("secret_access_key" in s3) == ("secret_access_key_file" in s3):
            raise self.error(where, "give secret_access_key_file or secret_access_key, not both")
        if "secret_access_key" in s3:
            at: KeyPath = (*where, "secret_access_key")
            return self.nonempty_string(s3["secret_access_key"], at, max_len=256).strip()
        at = (*where, "secret_access_key_file")
        file = base / self.nonempty_string(s3["secret_access_key_file"], at)
        try:
            secret = file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise self.error(at, f"cannot read the secret file {file}: {reason}") from None
        if not secret:
            raise self.error(at, f"the secret file {file} is empty")
        return secret

    def _key(self, table: dict[str, Any], path: KeyPath, base: Path) -> bytes:
        if ("key" in table) == ("key_file" in table):
            raise self.error(
                path,
                "give the documents key as key_file (a file of 64 hex digits) or as key, "
                "not both (make one with: openssl rand -hex 32)",
            )
        if "key" in table:
            text, where = table["key"], (*path, "key")
        else:
            where = (*path, "key_file")
            file = base / self.nonempty_string(table["key_file"], where)
            try:
                text = file.read_text(encoding="ascii").strip()
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else "not ASCII text"
                raise self.error(where, f"cannot read the key file {file}: {reason}") from None
        if not isinstance(text, str) or not _HEX_KEY.fullmatch(text):
            raise self.error(where, "expected 64 hex digits (32 bytes): openssl rand -hex 32")
        return bytes.fromhex(text)

    def _kinds(self, table: dict[str, Any], path: KeyPath) -> tuple[str, ...]:
        if "types" not in table:
            return ()
        value, where = table["types"], (*path, "types")
        if not isinstance(value, list) or not value:
            raise self.error(where, f"expected a list of some of {', '.join(KINDS)}")
        return tuple(self.one_of(kind, where, KINDS) for kind in dict.fromkeys(value))


OUTBOX_MAX_AGE_H = 72  # how long the relay keeps trying a case (portal_link.relay.RelayTimings)


def documents_warnings(config: HallConfig) -> list[str]:
    """What `hall check-config` warns about in `[documents]` (the hub runs, but pages may be
    deleted before the back office has them)."""
    documents = config.documents
    if documents is None:
        printing = [d.id for d in config.devices if d.kind == "window_pad" and d.printer]
        if printing:
            return [
                f"window pad {', '.join(printing)} names a printer, but without [documents] no "
                "page is captured: the window's printer prints no copies"
            ]
        return []
    warnings = []
    if config.portal is None:
        warnings.append(
            "documents: pages are captured but no [portal] back office fetches them; they are "
            "deleted after documents.retention_hours"
        )
    elif config.http.public_url is None:
        warnings.append(
            "documents: the links a case carries name the address the hub listens on; set "
            "http.public_url to the address the back office reaches the hub at"
        )
    if documents.retention_s < OUTBOX_MAX_AGE_H * 3600:
        warnings.append(
            f"documents.retention_hours is under the {OUTBOX_MAX_AGE_H} hours a case is "
            "retried: a case sent after a long outage may link pages already deleted"
        )
    # A pad page's token is all that guards the citizen's ID card scans at its window.
    open_pads = [d.id for d in config.devices if d.kind == "window_pad" and d.token is None]
    if open_pads:
        pads = ", ".join(open_pads)
        warnings.append(
            f"documents: window pad {pads} has no token: anyone on the hall network may read "
            "and add the pages of the visit at its window; give every window pad a token"
        )
    return warnings
