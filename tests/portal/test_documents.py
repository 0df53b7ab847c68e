"""Pages captured at a window travel with their case: the pad's HTTP routes keep them
encrypted and content-addressed, the case carries signed links with their hashes (also after
the back office was down: each page arrives once), each link is fetched once, the back
office's confirmation deletes the page, and what is never confirmed goes after the retention.
Refusals (type, size, a visit not in hand, a wrong token, too many pages) are 4xx with a
message."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from PIL import Image

from hall.hub.runtime import Running
from tests.support import DEMO_HALL, eventually

from .conftest import SECRET, OfficeServer, relayed_hall

pytestmark = pytest.mark.usefixtures("redis_client")

KEY = "5f" * 32


def jpeg(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "JPEG")
    return out.getvalue()


def png(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), color).save(out, "PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def documents_hall(
    hall_file: Callable[..., Path], back_office: OfficeServer, tmp_path: Path
) -> Path:
    (tmp_path / "documents.key").write_text(KEY + "\n")
    return hall_file(
        portal={"url": back_office.portal_url, "secret": SECRET},
        documents={"key_file": "documents.key", "path": "pages", "max_pages": 4},
    )


class Pad:
    """The window pad's document routes, as a browser pad uses them."""

    def __init__(self, running: Running, device: str = "pad-1", token: str = "") -> None:
        self.base = f"{running.http_url}/pad/{device}/documents"
        self.query = f"?token={token}" if token else ""

    async def call(
        self, method: str, path: str = "", *, data: bytes | None = None, name: str = ""
    ) -> tuple[int, Any]:
        params = f"{'&' if self.query else '?'}name={name}" if name else ""
        url = f"{self.base}{path}{self.query}{params}"
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, url, data=data) as response,
        ):
            body = await response.read()
            kind = response.headers.get("Content-Type", "")
            return response.status, json.loads(body) if "json" in kind else body

    async def capture(self, data: bytes, name: str) -> dict[str, Any]:
        status, body = await self.call("POST", data=data, name=name)
        assert status == 201, body
        page: dict[str, Any] = body["page"]
        return page


async def fetch(url: str, method: str = "GET") -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as session, session.request(method, url) as response:
        return response.status, await response.read()


async def test_three_pages_reach_the_back_office_once_with_their_hashes(
    documents_hall: Path, hall_id: str, back_office: OfficeServer, tmp_path: Path
) -> None:
    office = back_office
    pages = [jpeg((200, 10, 10)), png((10, 200, 10)), PDF]
    async with relayed_hall(documents_hall, hall_id) as (running, c, run):
        pad = Pad(running)
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})
        await c.ok("pad-1", "call.next")
        kept = [
            await pad.capture(data, name)
            for data, name in zip(pages, ("身份证", "户口簿", "申请表"), strict=True)
        ]
        assert [p["order"] for p in kept] == [1, 2, 3]
        assert [p["sha256"] for p in kept] == [hashlib.sha256(d).hexdigest() for d in pages]
        # Encrypted at rest, one file per content named by its hash.
        for data, page in zip(pages, kept, strict=True):
            file = tmp_path / "pages" / page["sha256"][:2] / page["sha256"]
            sealed = file.read_bytes()
            assert data not in sealed and data[:16] not in sealed
        # The back office is down when the visit ends: nothing is lost.
        await office.control("503")
        await c.ok("pad-1", "ticket.finish")
        await run.until(lambda: run.relay.failed >= 2, "the relay retrying")
        await office.control("ok")
        await run.until(lambda: office.stored() == 1, "the case stored")
        await eventually(lambda: len(office.office.documents) == 3, "the three pages fetched")
        case = office.office.store.list("case")[0]
        assert [d["name"] for d in case["documents"]] == ["身份证", "户口簿", "申请表"]
        assert [d["type"] for d in case["documents"]] == [
            "image/jpeg",
            "image/png",
            "application/pdf",
        ]
        got = office.office.documents
        assert [d["received_sha256"] for d in got] == [p["sha256"] for p in kept]
        assert all(d["verified"] and d["confirmed"] for d in got)
        assert office.office.stats.duplicates == 0
        # Once fetched, a link is gone; confirmed, the page and its file are deleted.
        status, body = await fetch(case["documents"][0]["url"])
        assert status == 410 and "document" in body.decode()
        for page in kept:
            assert not (tmp_path / "pages" / page["sha256"][:2] / page["sha256"]).exists()
        docs = running.hub.documents
        assert docs is not None
        assert await docs.pages(case["case_id"]) == []
        audit = await running.hub.staff.users.audit_log()
        events = [(e["event"], e["by"]) for e in audit if e["event"].startswith("document_")]
        assert ("document_read", next(b for e, b in events if e == "document_read")) in events
        assert sum(1 for e, _ in events if e == "document_deleted") == 3


async def test_a_link_is_fetched_once_and_signed(
    documents_hall: Path, hall_id: str, back_office: OfficeServer, tmp_path: Path
) -> None:
    async with relayed_hall(documents_hall, hall_id) as (running, c, _run):
        pad = Pad(running)
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})
        await c.ok("pad-1", "call.next")
        page = await pad.capture(jpeg((1, 2, 3)), "身份证")
        docs = running.hub.documents
        assert docs is not None
        [link] = await docs.documents(f"{hall_id}-{running.hub.state.day}-A001")
        url = link["url"]
        status, body = await fetch(url.replace("sig=", "sig=0"))
        assert status == 403 and b"signature" in body
        # A damaged file is never served, and the link is not spent on it.
        file = tmp_path / "pages" / page["sha256"][:2] / page["sha256"]
        sealed = file.read_bytes()
        file.write_bytes(sealed[:-1] + bytes([sealed[-1] ^ 1]))
        status, body = await fetch(url)
        assert status == 500 and b"does not open with the key" in body
        file.write_bytes(sealed)
        status, body = await fetch(url)
        assert status == 200 and hashlib.sha256(body).hexdigest() == page["sha256"]
        status, body = await fetch(url)
        assert status == 410 and b"fetched already" in body


async def fetch_broken_mid_body(url: str) -> bytes:
    """GET the link and hang up after the first bytes of the body, as a back office whose
    connection breaks does; what arrived."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    got = await reader.readexactly(16)
    writer.close()
    return got


async def test_a_fetch_broken_mid_body_is_made_good_by_the_next_signed_link(
    documents_hall: Path, hall_id: str, back_office: OfficeServer
) -> None:
    async with relayed_hall(documents_hall, hall_id) as (running, c, _run):
        pad = Pad(running)
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})
        await c.ok("pad-1", "call.next")
        data = jpeg((9, 8, 7))
        page = await pad.capture(data, "身份证")
        docs = running.hub.documents
        assert docs is not None
        case = f"{hall_id}-{running.hub.state.day}-A001"
        [first] = await docs.documents(case)
        assert await fetch_broken_mid_body(first["url"]) == data[:16]
        status, body = await fetch(first["url"])
        assert status == 410 and b"fetched already" in body
        # The relay's next attempt, later, signs the links anew: that link fetches the page.
        later = time.time() + 60
        docs.clock = lambda: later
        [second] = await docs.documents(case)
        assert second["url"] != first["url"]
        status, body = await fetch(second["url"])
        assert status == 200 and hashlib.sha256(body).hexdigest() == page["sha256"]
        status, body = await fetch(second["url"])
        assert status == 410 and b"fetched already" in body
        status, _ = await fetch(second["url"], "DELETE")
        assert status == 204
        [] = await docs.documents(case)
        status, body = await fetch(first["url"])
        assert status == 410 and b"deleted" in body


async def test_refusals_say_why(
    hall_file: Callable[..., Path], hall_id: str, back_office: OfficeServer, tmp_path: Path
) -> None:
    with (DEMO_HALL).open("rb") as f:
        devices = tomllib.load(f)["devices"]
    for device in devices:
        if device["id"] == "pad-1":
            device["token"] = "pad-one-secret-token"
    config = hall_file(
        portal={"url": back_office.portal_url, "secret": SECRET},
        documents={"key": KEY, "path": "pages", "max_bytes": 2048, "max_pages": 2},
        devices=devices,
    )
    async with relayed_hall(config, hall_id, staff=None) as (running, c, _run):
        pad = Pad(running, token="pad-one-secret-token")
        status, body = await Pad(running).call("POST", data=PDF, name="x")
        assert status == 403 and "token" in body["error"]["message"]
        status, body = await pad.call("POST", data=PDF, name="x")
        assert status == 409 and "signed in" in body["error"]["message"]
        await c.ok("pad-1", "window.open", {"staff": "S001"})
        status, body = await pad.call("POST", data=PDF, name="x")
        assert status == 409 and "call a ticket" in body["error"]["message"]
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})
        await c.ok("pad-1", "call.next")
        status, body = await pad.call("POST", data=b"GIF89a" + bytes(64), name="x")
        assert status == 415 and "JPEG, PNG, PDF" in body["error"]["message"]
        status, body = await pad.call("POST", data=b"%PDF-" + bytes(4096), name="x")
        assert status == 413 and "2048 bytes" in body["error"]["message"]
        status, body = await pad.call("POST", data=PDF)
        assert status == 400 and "name" in body["error"]["message"]
        first = await pad.capture(PDF, "申请表")
        second = await pad.capture(png((9, 9, 9)), "身份证")
        status, body = await pad.call("POST", data=jpeg((3, 3, 3)), name="x")
        assert status == 409 and "at most 2 pages" in body["error"]["message"]
        # Reorder, rename, retake and remove: the visit's list says what is kept.
        status, body = await pad.call("PUT", data=json.dumps({"order": [first["id"]]}).encode())
        assert status == 409
        order = json.dumps({"order": [second["id"], first["id"]]}).encode()
        status, body = await pad.call("PUT", data=order)
        assert status == 200
        assert [p["name"] for p in body["documents"]] == ["身份证", "申请表"]
        status, body = await pad.call(
            "PATCH", f"/{first['id']}", data=json.dumps({"name": "委托书"}).encode()
        )
        assert status == 200 and body["page"]["name"] == "委托书"
        retaken = png((200, 200, 200))
        status, body = await pad.call("PUT", f"/{second['id']}", data=retaken)
        assert status == 200, body
        assert body["page"]["name"] == "身份证"
        status, body = await pad.call("GET")
        assert [(p["name"], p["sha256"]) for p in body["documents"]] == [
            ("身份证", hashlib.sha256(retaken).hexdigest()),
            ("委托书", first["sha256"]),
        ]
        status, content = await pad.call("GET", f"/{first['id']}")
        assert status == 200 and content == PDF
        status, _ = await pad.call("DELETE", f"/{first['id']}")
        assert status == 204
        status, body = await pad.call("GET")
        assert [p["name"] for p in body["documents"]] == ["身份证"]
        # Another window's pad reaches none of it; with no visit in hand it is told none.
        status, body = await Pad(running, "pad-2").call("GET")
        assert status == 200 and body["documents"] == [] and body["ticket"] is None
        status, _ = await Pad(running, "pad-2").call("POST", data=PDF, name="x")
        assert status == 409


async def test_pages_never_confirmed_are_deleted_after_the_retention(
    documents_hall: Path, hall_id: str, back_office: OfficeServer, tmp_path: Path
) -> None:
    await back_office.control("400")  # the back office refuses the case: nobody fetches
    async with relayed_hall(documents_hall, hall_id) as (running, c, _run):
        pad = Pad(running)
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})
        await c.ok("pad-1", "call.next")
        page = await pad.capture(jpeg((5, 6, 7)), "身份证")
        await c.ok("pad-1", "ticket.finish")
        docs = running.hub.documents
        assert docs is not None
        file = tmp_path / "pages" / page["sha256"][:2] / page["sha256"]
        assert await docs.sweep() == 0 and file.exists()
        retention = docs.config.retention_s
        docs.clock = lambda: time.time() + retention + 1
        assert await docs.sweep() == 1
        assert not file.exists()
        assert await docs.store.get(page["id"]) is None
        assert await docs.store.due(time.time() + 10 * retention) == []


async def test_a_forged_link_in_any_characters_is_refused_with_a_reason(
    documents_hall: Path, hall_id: str, back_office: OfficeServer
) -> None:
    """A link's `sig` or `expires` in non-ASCII characters (a superscript digit, an accented
    letter) is a forged link like any other: a 4xx with the reason, never a server error."""
    async with relayed_hall(documents_hall, hall_id) as (running, c, _run):
        pad = Pad(running)
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})
        await c.ok("pad-1", "call.next")
        page = await pad.capture(jpeg((4, 5, 6)), "身份证")
        base = f"{running.http_url}/documents/{page['id']}"
        status, body = await fetch(f"{base}?expires=9999999999&sig=%C3%A9")
        assert status == 403 and b"signature" in body
        status, body = await fetch(f"{base}?expires=%C2%B2&sig=00")
        assert status == 404 and b"no such document link" in body
        status, body = await fetch(f"{base}?expires=%D9%A1%D9%A2&sig=00")
        assert status == 404 and b"no such document link" in body
        status, body = await fetch(f"{base}?expires=9999999999&sig=%C3%A9", "DELETE")
        assert status == 403 and b"signature" in body
        status, _ = await pad.call("GET", f"/{page['id']}")
        assert status == 200  # nothing was spent or deleted by the forgeries
