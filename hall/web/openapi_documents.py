"""The OpenAPI entries of the documents captured at the windows (hall/web/documents.py): the
back office's signed links under `paths`, the window pad's own routes under `x-pages`."""

from __future__ import annotations

from typing import Any

__all__ = ["DOCUMENT_PAGES", "DOCUMENT_PATHS"]

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_LINK_PARAMETERS = [
    {"name": "page", "in": "path", "required": True, "schema": {"type": "string"}},
    {
        "name": "expires",
        "in": "query",
        "required": True,
        "description": "Unix seconds after which the link is refused (410)",
        "schema": {"type": "string"},
    },
    {
        "name": "sig",
        "in": "query",
        "required": True,
        "description": 'hex HMAC-SHA256 of "/documents/<page>\\n<expires>" with the hall\'s '
        "link key",
        "schema": {"type": "string"},
    },
]


def _refused(description: str) -> dict[str, Any]:
    return {"description": description, "content": _ERROR}


_LINK_REFUSALS = {
    "403": _refused("the signature does not match"),
    "404": _refused("not a document link (or this hall keeps no documents)"),
    "410": _refused(
        "the link expired, was fetched already (each link once), or the page was deleted"
    ),
    "503": _refused("the store is unavailable: try again"),
}

DOCUMENT_PATHS: dict[str, Any] = {
    "/documents/{page}": {
        "get": {
            "summary": "A page captured at a window, from the signed link its case carries "
            "(`documents[].url`); each link may be fetched once, and the link the next "
            "attempt of the case carries fetches the page again until receipt is confirmed",
            "parameters": _LINK_PARAMETERS,
            "responses": {
                "200": {
                    "description": "the page; its SHA-256 is the case's `documents[].sha256`",
                    "content": {
                        media: {"schema": {"type": "string", "format": "binary"}}
                        for media in ("image/jpeg", "image/png", "application/pdf")
                    },
                },
                **_LINK_REFUSALS,
            },
        },
        "delete": {
            "summary": "Confirm receipt of a page: it is deleted from the hub",
            "parameters": _LINK_PARAMETERS,
            "responses": {"204": {"description": "deleted"}, **_LINK_REFUSALS},
        },
    },
}

_COPY_PARAMETERS = [
    {"name": "copy", "in": "path", "required": True, "schema": {"type": "string"}},
    _LINK_PARAMETERS[1],
    {
        "name": "sig",
        "in": "query",
        "required": True,
        "description": 'hex HMAC-SHA256 of "/copies/<copy>\\n<expires>" with the hall\'s link key',
        "schema": {"type": "string"},
    },
]
DOCUMENT_PATHS["/copies/{copy}"] = {
    "get": {
        "summary": "A copy of a page for a window's printer, from the link of its "
        "`print_copy` job; fetched once, then deleted (the raster is deleted unfetched when "
        "the link expires, after [documents] copy_ttl_s). Spent only once its whole body was "
        "written: a fetch broken mid-body may be made again. GET only (HEAD: 405)",
        "parameters": _COPY_PARAMETERS,
        "responses": {
            "200": {
                "description": "the raster, a binary PBM (P4); its SHA-256 is the job's `sha256`",
                "content": {
                    "image/x-portable-bitmap": {"schema": {"type": "string", "format": "binary"}}
                },
            },
            "403": _refused("the signature does not match"),
            "404": _refused("not a copy link (or this hall keeps no documents)"),
            "409": _refused("busy: another fetch is writing this copy now"),
            "410": _refused("the link expired or was fetched already (each copy once)"),
            "503": _refused("the store is unavailable: try again"),
        },
    },
}

_PAD = "the window pad's documents (its ?token= when it has one; only while a ticket is in hand)"
DOCUMENT_PAGES: dict[str, Any] = {
    "/pad/{device}/documents": {
        "get": f"{_PAD}: the visit's pages in order, with max_pages, max_bytes and types "
        '(none, with "ticket": null, when no visit is in hand)',
        "post": f"{_PAD}: ?name=<document>; the body is one JPEG, PNG or PDF page (told by its "
        "first bytes; 415 otherwise, 413 over [documents] max_bytes, 409 over max_pages): 201",
        "put": f'{_PAD}: {{"order": [page ids]}} reorders the pages (409 unless each once)',
    },
    "/pad/{device}/documents/{page}": {
        "get": f"{_PAD}: one page's content (a read, audited with the clerk's staff number)",
        "put": f"{_PAD}: the body is the page retaken, kept in its place under its name",
        "patch": f'{_PAD}: {{"name"}} renames the page',
        "delete": f"{_PAD}: removes the page (204)",
    },
    "/pad/{device}/documents/{page}/print": {
        "post": f"{_PAD}: the body is the page drawn at the pad's printer's width in dots "
        '(the listing\'s "printer": {"id", "online", "dots", "paper"}), one bit a dot, as a '
        "binary PBM (P4), at most 4000 rows: 202 {copy, printer, width, height, expires_at} "
        "when the printer was sent it; 409 no_printer, printer_offline, printer_paper_out or "
        "not_printable (a PDF page), "
        "404 no such page, 422 wrong_width, 400 bad_raster, 413 too_large",
    },
}
