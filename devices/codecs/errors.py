"""The one exception every codec raises: each codec derives its own class from `CodecError`.

A driver that catches `CodecError` catches every protocol problem of every codec, and nothing
else: a codec never lets a `struct.error`, `IndexError` or `UnicodeError` escape.
"""

from __future__ import annotations


class CodecError(Exception):
    """Bytes or values a codec cannot encode or decode; the message says what to fix."""
