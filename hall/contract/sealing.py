"""ID numbers sealed to the hub: libsodium's sealed boxes (X25519 + XSalsa20-Poly1305).

The hub publishes its public key, retained, on `hall/<hall>/hub/key` as
`{"alg": "x25519-sealedbox", "key": "<base64>", "kid": "<key id>"}`. A kiosk seals an ID
number to it and sends the base64 box as `ticket.take`'s `id_sealed`; only the holder of the
secret key (the hub) can open it, so neither the broker, its persistence file nor any other
client ever holds the number. A sealed box is anonymous: it does not say who sealed it.

PyNaCl is imported when a box is sealed or opened (it comes with the `hub` and the `gateway`
extras), so reading the key message needs nothing beyond the standard library.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ALG",
    "MAX_SEALED_CHARS",
    "HubKey",
    "Opener",
    "SealingError",
    "new_secret",
    "seal",
]

ALG = "x25519-sealedbox"
KEY_BYTES = 32
# Base64 of a sealed box of at most 64 bytes of plaintext (48 bytes of overhead): far more
# than any ID number; longer input is refused before any work is done on it.
MAX_SEALED_CHARS = 4 * ((64 + 48 + 2) // 3)
MAX_ID_CHARS = 32


class SealingError(ValueError):
    """A key message or a sealed box that cannot be used; the message never holds a number."""


def key_id(public: bytes) -> str:
    """A short name of a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public).hexdigest()[:16]


@dataclass(frozen=True)
class HubKey:
    """The hub's public key, as published on `hall/<hall>/hub/key`."""

    public: bytes
    kid: str

    @classmethod
    def of(cls, public: bytes) -> HubKey:
        return cls(public, key_id(public))

    def message(self) -> dict[str, str]:
        return {"alg": ALG, "key": base64.b64encode(self.public).decode(), "kid": self.kid}

    @classmethod
    def from_message(cls, data: Any) -> HubKey:
        """The key of a `hub/key` payload (parsed JSON); SealingError when it is not one."""
        if not isinstance(data, dict) or data.get("alg") != ALG:
            raise SealingError(f"not a {ALG} key message")
        raw = data.get("key")
        try:
            public = base64.b64decode(str(raw), validate=True)
        except (binascii.Error, ValueError):
            raise SealingError("the key is not base64") from None
        if len(public) != KEY_BYTES:
            raise SealingError(f"the key is {len(public)} bytes, not {KEY_BYTES}")
        key = cls.of(public)
        if data.get("kid") not in (None, key.kid):
            raise SealingError("the kid does not name this key")
        return key


def normalised_id(id_no: str) -> str:
    """An ID number as it is sealed and hashed: no spaces, capital X."""
    return id_no.strip().upper()


def seal(key: HubKey, id_no: str) -> str:
    """The base64 sealed box of `id_no` for the hub's key: what `id_sealed` carries."""
    from nacl.public import PublicKey, SealedBox

    number = normalised_id(id_no)
    if not number or len(number) > MAX_ID_CHARS:
        raise SealingError(f"an ID number has 1 to {MAX_ID_CHARS} characters")
    box = SealedBox(PublicKey(key.public)).encrypt(number.encode())
    return base64.b64encode(box).decode()


def new_secret() -> bytes:
    """A fresh X25519 secret key (32 random bytes)."""
    from nacl.public import PrivateKey

    return bytes(PrivateKey.generate())


class Opener:
    """The hub's side: holds the secret key and opens boxes sealed to its public key.

    The secret is never in `repr` and never logged.
    """

    def __init__(self, secret: bytes) -> None:
        from nacl.public import PrivateKey, SealedBox

        if len(secret) != KEY_BYTES:
            raise SealingError(f"a secret key is {KEY_BYTES} bytes")
        private = PrivateKey(secret)
        self.key = HubKey.of(bytes(private.public_key))
        self._box = SealedBox(private)

    def __repr__(self) -> str:
        return f"Opener(kid={self.key.kid})"

    def open(self, sealed: object) -> str:
        """The ID number in `sealed` (base64 text); SealingError when it does not open."""
        from nacl.exceptions import CryptoError

        if not isinstance(sealed, str) or not 0 < len(sealed) <= MAX_SEALED_CHARS:
            raise SealingError("not a sealed box of an ID number")
        try:
            plain = self._box.decrypt(base64.b64decode(sealed, validate=True))
            number = plain.decode()
        except (binascii.Error, ValueError, CryptoError):
            raise SealingError(
                f"the sealed box does not open with the hub's key {self.key.kid}"
            ) from None
        if not number or len(number) > MAX_ID_CHARS:
            raise SealingError("the sealed box holds no ID number")
        return number
