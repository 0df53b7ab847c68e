"""The hub's key pair for sealed ID numbers, and the opening of `id_sealed`.

The secret key lives in the store (`{hall:<id>}:sealing_key`), made by the first hub that
starts and shared by every hub of the hall, so a standby that takes over opens what kiosks
sealed to the key they already have. It is never logged; only its public half and key id
leave this module (the retained `hall/<hall>/hub/key`).

A request's `id_sealed` is opened just before the pure core decides it: the ID number is
turned at once into the keyed hash the portal also computes (`hall.domain.catalogue`) and
put in the arguments as a `SealedIdNumber` in place of the box. The number itself is held
only inside `open_args`; it is never stored, echoed or logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from hall.contract.sealing import HubKey, Opener, SealingError, new_secret
from hall.domain.catalogue import SealedIdNumber, id_number_hash
from hall.domain.config import HallConfig
from hall.store.hall_store import HallStore

__all__ = ["HubSealing"]

log = logging.getLogger("hall.hub.keys")
SEALED_ARG = "id_sealed"


class HubSealing:
    def __init__(self, opener: Opener, hash_key: str | None) -> None:
        self._opener = opener
        self._hash_key = hash_key.encode() if hash_key else None

    @classmethod
    async def load(cls, store: HallStore, config: HallConfig) -> HubSealing:
        """The hall's key pair from the store, made there on the first start (raises
        StoreUnavailable)."""
        secret = await store.sealing_secret(new_secret())
        sealing = cls(Opener(secret), config.appointments.id_hash_key)
        log.info(
            "ID numbers are sealed to key %s (hall/%s/hub/key)", sealing.key.kid, store.hall_id
        )
        return sealing

    @property
    def key(self) -> HubKey:
        return self._opener.key

    def message(self) -> dict[str, str]:
        """The retained payload of `hall/<hall>/hub/key`."""
        return self.key.message()

    def open_args(self, op: str, args: Mapping[str, Any]) -> Mapping[str, Any]:
        """`args` with `id_sealed` opened into a `SealedIdNumber`; left as sent when it does
        not open (the pure core then refuses it)."""
        sealed = args.get(SEALED_ARG)
        if op != "ticket.take" or not isinstance(sealed, str):
            return args
        try:
            number = self._opener.open(sealed)
        except SealingError:
            return args
        id_hash = id_number_hash(self._hash_key, number) if self._hash_key else None
        del number
        return {**args, SEALED_ARG: SealedIdNumber(id_hash)}
