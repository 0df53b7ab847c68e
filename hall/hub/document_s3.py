"""The pages' encrypted objects in an S3-compatible store (`[documents.s3]`): path-style
PUT, GET and DELETE of ``<url>/<bucket>/<name>``, each signed with AWS Signature Version 4
(`hall.contract.sigv4`) over aiohttp. Only sealed bytes ever leave the hub; a refusal or an
unreachable store is a `BlobStoreError` whose message names the status and S3's error code,
never the secret."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

import aiohttp

from hall.contract.sigv4 import Credentials, sign
from hall.domain.config import S3Config
from hall.hub.document_vault import BlobStoreError

__all__ = ["S3Blobs"]

TIMEOUT = aiohttp.ClientTimeout(total=30)
_CODE = re.compile(rb"<Code>([^<]{1,64})</Code>")


class S3Blobs:
    def __init__(self, config: S3Config) -> None:
        self.config = config
        self.host = urlsplit(config.url).netloc
        self.credentials = Credentials(
            config.access_key_id, config.secret_access_key, region=config.region
        )

    def __repr__(self) -> str:
        return f"S3Blobs({self.config.url}/{self.config.bucket})"

    async def _call(self, method: str, name: str, data: bytes = b"") -> tuple[int, bytes]:
        path = f"/{self.config.bucket}/{name}"
        headers = sign(
            self.credentials,
            method,
            self.host,
            path,
            payload_sha256=hashlib.sha256(data).hexdigest(),
        )
        del headers["host"]  # aiohttp sends the same Host itself
        try:
            async with (
                aiohttp.ClientSession(timeout=TIMEOUT) as session,
                session.request(
                    method, self.config.url + path, data=data or None, headers=headers
                ) as response,
            ):
                return response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise BlobStoreError(
                f"the S3 store at {self.config.url} is unreachable: {exc}"
            ) from exc

    def _refused(self, method: str, status: int, body: bytes) -> BlobStoreError:
        found = _CODE.search(body)
        code = found.group(1).decode(errors="replace") if found else ""
        return BlobStoreError(f"the S3 store refused {method} (HTTP {status} {code})".strip())

    async def put(self, name: str, data: bytes) -> None:
        status, body = await self._call("PUT", name, data)
        if status != 200:
            raise self._refused("PUT", status, body)

    async def get(self, name: str) -> bytes | None:
        status, body = await self._call("GET", name)
        if status == 404:
            return None
        if status != 200:
            raise self._refused("GET", status, body)
        return body

    async def delete(self, name: str) -> None:
        status, body = await self._call("DELETE", name)
        if status not in (200, 204, 404):
            raise self._refused("DELETE", status, body)
