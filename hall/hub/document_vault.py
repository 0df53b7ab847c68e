"""The encrypted files of the pages captured at the windows: one object per content, named
by the SHA-256 of the plaintext (``<first 2 hex>/<sha256>``), sealed with the hall's
documents key (libsodium's secretbox: XSalsa20-Poly1305, a random nonce per object), kept in
a local folder (`LocalBlobs`, the default) or an S3-compatible store (`document_s3.py`).

A local file is written to a temporary name and renamed, so a reader never sees half a file;
an object that does not open with the key, or whose plaintext does not hash to its name, is
reported as damaged, never served. The key is held here only and never logged.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
from pathlib import Path
from typing import Protocol

__all__ = ["BlobStoreError", "Blobs", "DamagedFile", "LocalBlobs", "Vault"]


class DamagedFile(Exception):
    """A page's file is missing, does not open with the key, or does not match its hash."""


class BlobStoreError(Exception):
    """The place the files are kept refused or could not be reached (a retry may cure it)."""


class Blobs(Protocol):
    async def put(self, name: str, data: bytes) -> None: ...

    async def get(self, name: str) -> bytes | None:
        """The object's bytes, or None when there is none of that name."""

    async def delete(self, name: str) -> None: ...


class LocalBlobs:
    """Objects as files under `folder` (made on first use, readable by the hub's user only)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __repr__(self) -> str:
        return f"LocalBlobs({self.folder})"

    async def put(self, name: str, data: bytes) -> None:
        await asyncio.to_thread(self._put, name, data)

    def _put(self, name: str, data: bytes) -> None:
        file = self.folder / name
        file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = file.with_name(f".{file.name}.{secrets.token_hex(4)}")
        with temporary.open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, file)

    async def get(self, name: str) -> bytes | None:
        try:
            return await asyncio.to_thread((self.folder / name).read_bytes)
        except FileNotFoundError:
            return None

    async def delete(self, name: str) -> None:
        await asyncio.to_thread((self.folder / name).unlink, missing_ok=True)


def object_name(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256}"


class Vault:
    def __init__(self, blobs: Blobs, key: bytes) -> None:
        from nacl.secret import SecretBox

        self.blobs = blobs
        self._box = SecretBox(key)

    def __repr__(self) -> str:
        return f"Vault({self.blobs!r})"

    async def put(self, sha256: str, plain: bytes, *, name: str | None = None) -> None:
        """Seal and keep `plain` under its hash (or under `name`: a copy's raster, kept
        apart from the pages so that its deletion never touches theirs)."""
        sealed = bytes(self._box.encrypt(plain))
        await self.blobs.put(name or object_name(sha256), sealed)

    async def get(self, sha256: str, *, name: str | None = None) -> bytes:
        from nacl.exceptions import CryptoError

        sealed = await self.blobs.get(name or object_name(sha256))
        if sealed is None:
            raise DamagedFile(f"the file of {sha256[:12]}… is missing")
        try:
            plain = bytes(self._box.decrypt(sealed))
        except CryptoError as exc:
            raise DamagedFile(f"the file of {sha256[:12]}… does not open with the key") from exc
        if hashlib.sha256(plain).hexdigest() != sha256:
            raise DamagedFile(f"the file of {sha256[:12]}… does not match its hash")
        return plain

    async def delete(self, sha256: str, *, name: str | None = None) -> None:
        await self.blobs.delete(name or object_name(sha256))
