"""A window printer's copies: fetch the raster a `print_copy` job links to, and check it.

The job (`{"job": "print_copy", "url", "sha256", "width", "height"}`, from the hub only) names
a signed link on the hub that may be fetched once. The raster is fetched with a timeout and
never more than the largest raster this printer takes; it must hash to `sha256`, be a binary
PBM as wide as the printer (`dots`) and as large as the job says. Only then is it printed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import aiohttp

from hall.domain.copies import MAX_COPY_ROWS, Raster, parse_pbm
from hall.domain.documents import DocumentError

__all__ = ["CopyJobError", "fetch_copy"]

_HEADER_BYTES = 64
_SHA256_HEX = frozenset("0123456789abcdef")


class CopyJobError(Exception):
    """A copy that cannot be printed; the message says why (nothing is printed)."""


def _job_fields(job: Mapping[str, Any]) -> tuple[str, str, int, int]:
    url, sha, width, height = (job.get(k) for k in ("url", "sha256", "width", "height"))
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise CopyJobError("the copy job has no http(s) url")
    if not isinstance(sha, str) or len(sha) != 64 or not set(sha) <= _SHA256_HEX:
        raise CopyJobError("the copy job has no sha256")
    if not isinstance(width, int) or not isinstance(height, int):
        raise CopyJobError("the copy job has no width and height")
    return url, sha, width, height


async def fetch_copy(job: Mapping[str, Any], dots: int, timeout_s: float) -> Raster:
    """The job's raster, fetched and checked; `CopyJobError` otherwise."""
    url, sha, width, height = _job_fields(job)
    if width != dots:
        raise CopyJobError(f"the copy is {width} dots wide; this printer prints {dots}")
    if not 1 <= height <= MAX_COPY_ROWS:
        raise CopyJobError(f"the copy is {height} rows high (at most {MAX_COPY_ROWS})")
    limit = (dots + 7) // 8 * MAX_COPY_ROWS + _HEADER_BYTES
    data = bytearray()
    try:
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, allow_redirects=False) as response,
        ):
            if response.status != 200:
                text = (await response.content.read(500)).decode("utf-8", "replace")
                raise CopyJobError(f"the hub answered {response.status}: {text}")
            async for chunk in response.content.iter_chunked(64 * 1024):
                data += chunk
                if len(data) > limit:
                    raise CopyJobError(f"the copy is over {limit} bytes")
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise CopyJobError(f"could not fetch the copy: {exc!r}") from None
    if hashlib.sha256(data).hexdigest() != sha:
        raise CopyJobError("the copy does not match its sha256")
    try:
        raster = parse_pbm(bytes(data))
    except DocumentError as exc:
        raise CopyJobError(str(exc)) from None
    if (raster.width, raster.height) != (width, height):
        raise CopyJobError(
            f"the copy is {raster.width} x {raster.height}, the job says {width} x {height}"
        )
    return raster
