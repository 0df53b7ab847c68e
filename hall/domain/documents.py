"""Documents captured at a window (影印): what a page may be, and the back office's links.

Pure: the kind of a file told by its first bytes (never by its name or a header the sender
chose), a page's document name, and the signed, expiring links a case carries to the back
office: ``/documents/<page>?expires=<unix s>&sig=<hex HMAC-SHA256 over "path\\nexpires">``
with a key of the hall's (derived from its documents key, `link_key`). A link names one page;
whoever holds it may fetch that page once before it expires.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

__all__ = [
    "KINDS",
    "MAX_NAME_CHARS",
    "PAGE_ID",
    "DocumentError",
    "LinkCheck",
    "check_link",
    "link_key",
    "page_name",
    "page_path",
    "sign_link",
    "sniff",
]

# kind -> (media type, the bytes a file of that kind starts with)
KINDS: dict[str, tuple[str, bytes]] = {
    "jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    "pdf": ("application/pdf", b"%PDF-"),
}
MAX_NAME_CHARS = 60  # as the catalogue's documents (`settings.MAX_DOCUMENT_CHARS`)
PAGE_ID = re.compile(r"[0-9a-f]{32}")
_LINK_CONTEXT = b"hall-hub document links v1"


class DocumentError(ValueError):
    """A page that is refused; `status` is the HTTP status that says why (4xx)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def sniff(head: bytes, allowed: tuple[str, ...]) -> str:
    """The kind (`jpeg`, `png`, `pdf`) of a file starting with `head`, if it is allowed."""
    for kind, (_media, magic) in KINDS.items():
        if head.startswith(magic):
            if kind not in allowed:
                break
            return kind
    names = ", ".join(k.upper() for k in allowed)
    raise DocumentError(415, "unsupported_type", f"a page must be a {names} file")


def page_name(value: object) -> str:
    """A page's document name (one of the service's documents, or what the clerk typed)."""
    if not isinstance(value, str):
        raise DocumentError(400, "bad_request", "name must be text")
    name = " ".join(value.split())
    if not name or len(name) > MAX_NAME_CHARS:
        raise DocumentError(400, "bad_request", f"name must be 1 to {MAX_NAME_CHARS} characters")
    if any(ord(c) < 32 for c in name):
        raise DocumentError(400, "bad_request", "name must be plain text")
    return name


def link_key(documents_key: bytes) -> bytes:
    """The links' HMAC key: apart from the key the files are encrypted with, so a link's
    signature says nothing of it."""
    return hmac.new(documents_key, _LINK_CONTEXT, hashlib.sha256).digest()


def page_path(page_id: str) -> str:
    return f"/documents/{page_id}"


def _signature(key: bytes, path: str, expires: int) -> str:
    return hmac.new(key, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()


def sign_link(key: bytes, page_id: str, expires: int, *, path: str | None = None) -> str:
    """The path and query of a page's link, valid until `expires` (Unix seconds); `path`
    names another thing of that id (a copy for a printer: `hall.domain.copies`)."""
    path = page_path(page_id) if path is None else path
    return f"{path}?expires={expires}&sig={_signature(key, path, expires)}"


@dataclass(frozen=True)
class LinkCheck:
    ok: bool
    status: int = 200
    message: str = ""


def check_link(
    key: bytes, page_id: str, expires: str, sig: str, now: float, *, path: str | None = None
) -> LinkCheck:
    """Whether a link's signature is the hall's and it has not expired."""
    # ASCII first: `isdigit` takes "²" and "١" (which `int` refuses), and `compare_digest`
    # refuses non-ASCII text; a forged link is refused with its reason, never an error.
    if not PAGE_ID.fullmatch(page_id) or not (expires.isascii() and expires.isdigit()):
        return LinkCheck(False, 404, "no such document link")
    if len(expires) > 12:
        return LinkCheck(False, 404, "no such document link")
    expected = _signature(key, page_path(page_id) if path is None else path, int(expires))
    if not hmac.compare_digest(expected.encode(), sig.encode()):
        return LinkCheck(False, 403, "the link's signature does not match")
    if int(expires) < now:
        return LinkCheck(False, 410, "the link has expired")
    return LinkCheck(True)
