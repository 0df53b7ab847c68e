"""The pages' encrypted objects in an S3-compatible store: a real one (moto's server, with
its signature checks on), reached with hand-signed SigV4 requests. Only sealed bytes are
stored; the case's pages reach the back office with matching hashes; a confirmed page's
object is deleted; a wrong secret is refused with the store's reason and keeps nothing."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import shutil
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest

from hall.contract.ports import free_port
from hall.contract.sigv4 import Credentials, sign
from tests.support import eventually, missing, wait_for_port

from .conftest import SECRET, OfficeServer, relayed_hall
from .test_documents import PDF, Pad, jpeg

pytestmark = pytest.mark.usefixtures("redis_client")

KEY = "3c" * 32
BUCKET = "hall-pages"
# Requests moto answers before it checks signatures: the three that make the hub's account.
UNSIGNED_SETUP = 3


@dataclass
class S3Server:
    url: str
    host: str
    access_key_id: str
    secret_access_key: str

    async def call(self, method: str, path: str, secret: str | None = None) -> tuple[int, bytes]:
        credentials = Credentials(self.access_key_id, secret or self.secret_access_key)
        headers = sign(credentials, method, self.host, path)
        del headers["host"]
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, self.url + path, headers=headers) as response,
        ):
            return response.status, await response.read()


async def _iam(session: aiohttp.ClientSession, url: str, host: str, **params: str) -> str:
    """An IAM call of the setup (moto routes it by the credential scope's service)."""
    body = "&".join(f"{k}={v}" for k, v in {**params, "Version": "2010-05-08"}.items())
    setup = Credentials("AKIASETUP", "setup", service="iam")
    headers = sign(
        setup,
        "POST",
        host,
        "/",
        payload_sha256=hashlib.sha256(body.encode()).hexdigest(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    del headers["host"]
    async with session.post(url + "/", data=body, headers=headers) as response:
        text = await response.text()
        assert response.status == 200, text
        return text


@pytest.fixture
async def s3(tmp_path: Path) -> AsyncIterator[S3Server]:
    binary = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    if binary is None:
        missing("moto's server is not installed (pip install -e '.[test]')")
    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(UNSIGNED_SETUP)}
    log = (tmp_path / "moto.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        binary, "-H", "127.0.0.1", "-p", str(port), stdout=log, stderr=log, env=env
    )
    try:
        assert await asyncio.to_thread(wait_for_port, "127.0.0.1", port), "moto did not start"
        host, url = f"127.0.0.1:{port}", f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:
            await _iam(session, url, host, Action="CreateUser", UserName="hall")
            made = await _iam(session, url, host, Action="CreateAccessKey", UserName="hall")
            policy = {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
            await _iam(
                session,
                url,
                host,
                Action="PutUserPolicy",
                UserName="hall",
                PolicyName="pages",
                PolicyDocument=quote(json.dumps(policy), safe=""),
            )
        key_id = re.search(r"<AccessKeyId>(.+?)</AccessKeyId>", made)
        secret = re.search(r"<SecretAccessKey>(.+?)</SecretAccessKey>", made)
        assert key_id and secret
        server = S3Server(url, host, key_id.group(1), secret.group(1))
        status, body = await server.call("PUT", f"/{BUCKET}", secret="not-the-secret")
        assert status == 403 and b"SignatureDoesNotMatch" in body  # signatures are checked
        status, body = await server.call("PUT", f"/{BUCKET}")
        assert status == 200, body
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        await process.wait()
        log.close()


def s3_hall(
    hall_file: Callable[..., Path], office: OfficeServer, tmp_path: Path, s3: S3Server, secret: str
) -> Path:
    (tmp_path / "documents.key").write_text(KEY)
    (tmp_path / "s3.secret").write_text(secret + "\n")
    return hall_file(
        portal={"url": office.portal_url, "secret": SECRET},
        documents={
            "key_file": "documents.key",
            "s3": {
                "url": s3.url,
                "bucket": BUCKET,
                "access_key_id": s3.access_key_id,
                "secret_access_key_file": "s3.secret",
            },
        },
    )


async def test_pages_kept_sealed_in_s3_reach_the_back_office_and_go(
    hall_file: Callable[..., Path],
    hall_id: str,
    back_office: OfficeServer,
    tmp_path: Path,
    s3: S3Server,
) -> None:
    office = back_office
    config = s3_hall(hall_file, office, tmp_path, s3, s3.secret_access_key)
    pages = [jpeg((120, 30, 200)), PDF]
    async with relayed_hall(config, hall_id) as (running, c, run):
        pad = Pad(running)
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})
        await c.ok("pad-1", "call.next")
        kept = [
            await pad.capture(data, name)
            for data, name in zip(pages, ("身份证", "申请表"), strict=True)
        ]
        for data, page in zip(pages, kept, strict=True):
            status, sealed = await s3.call(
                "GET", f"/{BUCKET}/{page['sha256'][:2]}/{page['sha256']}"
            )
            assert status == 200 and data not in sealed and len(sealed) == len(data) + 40
        await c.ok("pad-1", "ticket.finish")
        await run.until(lambda: office.stored() == 1, "the case stored")
        await eventually(lambda: len(office.office.documents) == 2, "both pages fetched")
        got = office.office.documents
        assert [d["received_sha256"] for d in got] == [p["sha256"] for p in kept]
        assert all(d["verified"] and d["confirmed"] for d in got)
        for page in kept:
            status, _ = await s3.call("GET", f"/{BUCKET}/{page['sha256'][:2]}/{page['sha256']}")
            assert status == 404


async def test_a_wrong_secret_is_refused_with_the_stores_reason_and_keeps_nothing(
    hall_file: Callable[..., Path],
    hall_id: str,
    back_office: OfficeServer,
    tmp_path: Path,
    s3: S3Server,
) -> None:
    config = s3_hall(hall_file, back_office, tmp_path, s3, "not-the-secret")
    async with relayed_hall(config, hall_id) as (running, c, _run):
        pad = Pad(running)
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})
        await c.ok("pad-1", "call.next")
        status, body = await pad.call("POST", data=PDF, name="申请表")
        assert status == 503
        assert "SignatureDoesNotMatch" in body["error"]["message"]
        assert "not-the-secret" not in body["error"]["message"]
        status, body = await pad.call("GET")
        assert status == 200 and body["documents"] == []
