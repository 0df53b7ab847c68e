"""Copies of captured pages on a window's printer, over the hub's real HTTP and broker: the
pad sends a raster drawn at the printer's width, the hub keeps it encrypted, audits the print
and sends the printer a `print_copy` job whose link fetches the raster once. Refusals (no
printer, printer offline, a PDF page, no such page, a wrong width, a raster that is not one,
a forged, expired or spent link) are 4xx with a message."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import time
import tomllib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import jsonschema
import pytest

from hall.domain.catalogue import DeviceSetting
from hall.domain.copies import Raster, pbm, sign_copy_link
from hall.domain.documents import link_key
from hall.hub.runtime import Running
from hall.web.asyncapi import schema_for
from tests.integration.contract_client import ContractClient
from tests.support import DEMO_HALL, eventually

from .conftest import SECRET, OfficeServer, relayed_hall
from .test_documents import PDF, Pad, fetch, jpeg

pytestmark = pytest.mark.usefixtures("redis_client")

KEY = "6e" * 32
PRINTER = "printer-7"


def window_printer_hall(hall_file: Callable[..., Path], office: OfficeServer) -> Path:
    """The demo hall whose pad-1 has a printer of its own, keeping documents."""
    with DEMO_HALL.open("rb") as f:
        devices: list[dict[str, Any]] = tomllib.load(f)["devices"]
    devices.append({"id": PRINTER, "kind": "printer"})
    for device in devices:
        if device["id"] == "pad-1":
            device["printer"] = PRINTER
    return hall_file(
        portal={"url": office.portal_url, "secret": SECRET},
        documents={"key": KEY, "path": "pages"},
        devices=devices,
    )


async def printer_status(client: ContractClient, status: dict[str, Any]) -> None:
    """The printer's retained status, as its gateway publishes it."""
    payload = json.dumps(status).encode()
    await client.client.publish(client.topic("status", PRINTER), payload, qos=1, retain=True)


async def printer_seen(running: Running, online: bool, dots: int) -> None:
    from tests.support import eventually

    copies = running.hub.copies
    assert copies is not None

    def seen() -> bool:
        printer = copies.printer("pad-1")
        return printer is not None and (printer.online, printer.dots) == (online, dots)

    await eventually(seen, "the hub seeing the printer's status")


def raster(width: int, height: int) -> bytes:
    row = (width + 7) // 8
    return pbm(
        Raster(width, height, bytes((r * 7 + c) % 256 for r in range(height) for c in range(row)))
    )


async def test_a_copy_reaches_the_window_printer_once(
    hall_file: Callable[..., Path], hall_id: str, back_office: OfficeServer, tmp_path: Path
) -> None:
    async with relayed_hall(window_printer_hall(hall_file, back_office), hall_id) as (
        running,
        c,
        _run,
    ):
        pad = Pad(running)
        await printer_status(c, {"state": "online", "online": True, "paper": "ok", "dots": 384})
        await printer_seen(running, True, 384)
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})
        await c.ok("pad-1", "call.next")
        page = await pad.capture(jpeg((200, 10, 10)), "身份证")
        status, listing = await pad.call("GET")
        assert status == 200
        assert listing["printer"] == {"id": PRINTER, "online": True, "dots": 384, "paper": "ok"}

        data = raster(384, 500)
        status, sent = await pad.call("POST", f"/{page['id']}/print", data=data)
        assert status == 202, sent
        assert (sent["printer"], sent["width"], sent["height"]) == (PRINTER, 384, 500)
        job = await c.wait_for(c.topic("cmd", PRINTER), lambda d: d.get("job") == "print_copy")
        assert set(job) == {"job", "url", "sha256", "width", "height"}
        jsonschema.validate(job, schema_for(c.topic("cmd", PRINTER), c.hall) or {})
        with pytest.raises(jsonschema.ValidationError):  # the schema tells the jobs apart
            jsonschema.validate(
                {**job, "sha256": "x"}, schema_for(c.topic("cmd", PRINTER), c.hall) or {}
            )
        assert job["sha256"] == hashlib.sha256(data).hexdigest()
        assert (job["width"], job["height"]) == (384, 500)
        assert job["url"].startswith(f"{running.http_url}/copies/{sent['copy']}?expires=")
        # Kept encrypted meanwhile, apart from the pages.
        file = tmp_path / "pages" / "copies" / sent["copy"]
        assert data[20:60] not in file.read_bytes()

        status, body = await fetch(job["url"].replace("sig=", "sig=0"))
        assert status == 403 and b"signature" in body
        status, body = await fetch(job["url"])
        assert status == 200 and body == data
        await eventually(lambda: not file.exists(), "the raster deleted once served")
        status, body = await fetch(job["url"])
        assert status == 410 and b"fetched already" in body
        # An expired link, signed with the hall's own key, is refused as expired.
        past = int(time.time()) - 1
        old = sign_copy_link(link_key(bytes.fromhex(KEY)), sent["copy"], past)
        status, body = await fetch(running.http_url + old)
        assert status == 410 and b"expired" in body
        # Who printed which page, on which printer, is in the audit.
        audit = await running.hub.staff.users.audit_log()
        [printed] = [e for e in audit if e["event"] == "document_printed"]
        assert (printed["by"], printed["where"], printed["printer"], printed["page"]) == (
            "S001",
            "window 1",
            PRINTER,
            page["id"],
        )
        # Nothing of the page or the raster went over the broker but the job.
        for topic, messages in c.messages.items():
            assert page["sha256"] not in json.dumps(messages), topic


async def test_a_copy_is_refused_with_the_reason(
    hall_file: Callable[..., Path],
    hall_id: str,
    back_office: OfficeServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with relayed_hall(window_printer_hall(hall_file, back_office), hall_id) as (
        running,
        c,
        _run,
    ):
        pad = Pad(running)
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})
        await c.ok("pad-1", "call.next")
        image = await pad.capture(jpeg((1, 2, 3)), "身份证")
        pdf = await pad.capture(PDF, "申请表")

        async def refused(path: str, data: bytes, pad_: Pad = pad) -> tuple[int, str, str]:
            status, body = await pad_.call("POST", path, data=data)
            return status, body["error"]["code"], body["error"]["message"]

        # The printer has said nothing yet: offline.
        status, code, message = await refused(f"/{image['id']}/print", raster(576, 10))
        assert (status, code) == (409, "printer_offline") and PRINTER in message
        await printer_status(c, {"state": "online", "online": False, "dots": 576})
        await printer_seen(running, False, 576)
        status, code, _ = await refused(f"/{image['id']}/print", raster(576, 10))
        assert (status, code) == (409, "printer_offline")
        await printer_status(c, {"state": "online", "online": True, "paper": "ok"})
        await printer_seen(running, True, 576)  # no dots said: 80 mm paper
        # Out of paper: refused, and no copy is spent on it.
        await printer_status(c, {"state": "online", "online": True, "paper": "out", "dots": 384})
        await printer_seen(running, True, 384)
        status, code, message = await refused(f"/{image['id']}/print", raster(384, 10))
        assert (status, code) == (409, "printer_paper_out") and PRINTER in message
        assert "paper" in message
        # A width that is no whole number of bytes, or absurdly small, is not believed.
        for bad in (577, 8):
            await printer_status(c, {"state": "online", "online": True, "dots": bad})
            await printer_seen(running, True, 576)
            await printer_status(c, {"state": "online", "online": True, "dots": 384})
            await printer_seen(running, True, 384)
        said = [r.getMessage() for r in caplog.records if r.name == "hall.copies"]
        assert any("multiple of 8 from 64 to 2040, not 577" in m for m in said), said
        assert any("not 8;" in m for m in said), said
        await printer_status(c, {"state": "online", "online": True, "paper": "ok"})
        await printer_seen(running, True, 576)

        status, code, message = await refused(f"/{image['id']}/print", raster(384, 10))
        assert (status, code) == (422, "wrong_width") and "576 dots across, not 384" in message
        status, code, message = await refused(f"/{image['id']}/print", jpeg((1, 1, 1)))
        assert (status, code) == (400, "bad_raster") and "binary PBM" in message
        status, code, message = await refused(f"/{image['id']}/print", b"P4\n576 4001\n")
        assert (status, code) == (400, "bad_raster") and "4000 rows" in message
        status, code, message = await refused(f"/{pdf['id']}/print", raster(576, 10))
        assert (status, code) == (409, "not_printable") and "PDF" in message
        status, code, _ = await refused(f"/{'0' * 32}/print", raster(576, 10))
        assert (status, code) == (404, "not_found")
        too_big = raster(576, 4000) + bytes(1000)
        status, code, _ = await refused(f"/{image['id']}/print", too_big)
        assert (status, code) == (413, "too_large")
        assert not [m for m in c.messages.get(c.topic("cmd", PRINTER), []) if m]

        # A window whose pad has no printer.
        await c.ok("pad-2", "window.open", {"staff": "S002"})
        await c.ok("pad-2", "call.next")
        other = Pad(running, "pad-2")
        page = await other.capture(jpeg((5, 5, 5)), "身份证")
        status, code, message = await refused(f"/{page['id']}/print", raster(576, 10), other)
        assert (status, code) == (409, "no_printer") and "no printer" in message
        status, listing = await other.call("GET")
        assert listing["printer"] is None
        # A pad reaches only the pages of the visit at its own window.
        status, code, _ = await refused(f"/{image['id']}/print", raster(576, 10), other)
        assert (status, code) == (404, "not_found")


async def test_a_copy_never_fetched_is_deleted_when_its_link_ends(
    hall_file: Callable[..., Path], hall_id: str, back_office: OfficeServer, tmp_path: Path
) -> None:
    async with relayed_hall(window_printer_hall(hall_file, back_office), hall_id) as (
        running,
        c,
        _run,
    ):
        pad = Pad(running)
        await printer_status(c, {"state": "online", "online": True, "dots": 576})
        await printer_seen(running, True, 576)
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})
        await c.ok("pad-1", "call.next")
        page = await pad.capture(jpeg((7, 7, 7)), "身份证")
        status, sent = await pad.call("POST", f"/{page['id']}/print", data=raster(576, 40))
        assert status == 202, sent
        file = tmp_path / "pages" / "copies" / sent["copy"]
        copies, documents = running.hub.copies, running.hub.documents
        assert copies is not None and documents is not None
        assert await copies.sweep() == 0 and file.exists()  # its link is still good
        later = time.time() + documents.config.copy_ttl_s + 1
        documents.clock = lambda: later
        assert await copies.sweep() == 1
        assert not file.exists()
        assert await copies.sweep() == 0


async def read_300_and_hang_up(url: str) -> bytes:
    """GET the link on a socket with a small receive buffer, read 300 bytes of the body and
    close, as a printer whose connection breaks does; what arrived."""
    parts = urlsplit(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
    reader, writer = await asyncio.open_connection(sock=sock)
    writer.write(f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    got = await reader.readexactly(300)
    writer.close()
    return got


async def test_a_copy_is_spent_only_by_a_whole_get(
    hall_file: Callable[..., Path], hall_id: str, back_office: OfficeServer, tmp_path: Path
) -> None:
    async with relayed_hall(window_printer_hall(hall_file, back_office), hall_id) as (
        running,
        c,
        _run,
    ):
        pad = Pad(running)
        await printer_status(c, {"state": "online", "online": True, "dots": 576})
        await printer_seen(running, True, 576)
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})
        await c.ok("pad-1", "call.next")
        page = await pad.capture(jpeg((9, 9, 9)), "身份证")
        data = raster(576, 1500)  # 108 KB
        status, sent = await pad.call("POST", f"/{page['id']}/print", data=data)
        assert status == 202, sent
        job = await c.wait_for(c.topic("cmd", PRINTER), lambda d: d.get("job") == "print_copy")
        # A HEAD (a link preview, a probe) is refused and spends nothing; nor on page links.
        for url in (job["url"], f"{running.http_url}/documents/{page['id']}?expires=1&sig=x"):
            async with aiohttp.ClientSession() as session, session.head(url) as response:
                assert response.status == 405 and "GET" in response.headers["Allow"]
        # A fetch that breaks mid-body spends nothing either.
        assert await read_300_and_hang_up(job["url"]) == data[:300]
        assert (tmp_path / "pages" / "copies" / sent["copy"]).exists()
        # Fetched at once by several: exactly one gets it whole, the others are refused.
        results = await asyncio.gather(*(fetch(job["url"]) for _ in range(4)))
        whole = [body for status, body in results if status == 200]
        assert whole == [data], [status for status, _ in results]
        assert {status for status, _ in results} <= {200, 409, 410}
        file = tmp_path / "pages" / "copies" / sent["copy"]
        await eventually(lambda: not file.exists(), "the raster deleted once served")
        status, body = await fetch(job["url"])
        assert status == 410 and b"fetched already" in body


async def test_a_pad_bound_to_another_window_does_not_print_at_its_printer(
    hall_file: Callable[..., Path], hall_id: str, back_office: OfficeServer
) -> None:
    """A catalogue kept from before moves were refused (pad-1 at window 2) does not send
    window 2's copies to pad-1's printer, which stands at window 1."""
    async with relayed_hall(window_printer_hall(hall_file, back_office), hall_id) as (
        running,
        c,
        _run,
    ):
        await printer_status(c, {"state": "online", "online": True, "dots": 576})
        await printer_seen(running, True, 576)
        state = running.hub.state
        assert state.catalogue is not None
        moved = {**state.catalogue.devices, "pad-1": DeviceSetting(window="2")}
        state.catalogue = replace(state.catalogue, devices=moved)
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})
        await c.ok("pad-2", "window.open", {"staff": "S002"})
        await c.ok("pad-2", "call.next")
        pad = Pad(running)  # pad-1, acting for window 2 now
        page = await pad.capture(jpeg((3, 3, 3)), "身份证")
        status, body = await pad.call("POST", f"/{page['id']}/print", data=raster(576, 10))
        assert status == 409 and body["error"]["code"] == "no_printer", body
        assert "stands at window 1, not window 2" in body["error"]["message"]
        assert not [m for m in c.messages.get(c.topic("cmd", PRINTER), []) if m]
