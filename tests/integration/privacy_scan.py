"""The privacy scanner: finds a full ID number or an unmasked name in anything the hall let out.

An ID number is found whole, in either case, and with separators between its characters
(`110105 19491231 002X`, `110105-1949-1231-002x`); a name is found in UTF-8 and as the `\\u`
escapes of JSON written with `ensure_ascii`. A masked form (`张*丰`, `110*************2X`) is not
a leak. Every place a test collects (MQTT payloads, files, logs, HTTP bodies, webhook bodies,
stored values) goes through `Corpus.add`, and `Corpus.leaks()` names each find and where.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

# What may stand between two characters of a number written for people: spaces, dashes, dots,
# underscores, slashes (at most a few of them in a row).
SEPARATOR = rb"[\s\-_./]{0,3}"


def id_pattern(id_no: str) -> re.Pattern[bytes]:
    chars = [re.escape(c.encode()) for c in id_no.strip().upper()]
    return re.compile(SEPARATOR.join(chars), re.IGNORECASE)


def name_forms(name: str) -> list[bytes]:
    escaped = json.dumps(name)[1:-1]  # "\u5f20\u4e09\u4e30"
    return [name.encode(), escaped.encode(), escaped.upper().replace("\\U", "\\u").encode()]


@dataclass
class Scanner:
    id_numbers: tuple[str, ...]
    names: tuple[str, ...]
    _patterns: list[tuple[str, re.Pattern[bytes]]] = field(init=False)

    def __post_init__(self) -> None:
        self._patterns = [(f"ID number {n[:3]}…{n[-2:]}", id_pattern(n)) for n in self.id_numbers]
        self._patterns += [
            (f"name {name[0]}…", re.compile(re.escape(form)))
            for name in self.names
            for form in name_forms(name)
        ]

    def finds(self, data: bytes | str) -> list[str]:
        raw = data.encode() if isinstance(data, str) else data
        return [what for what, pattern in self._patterns if pattern.search(raw)]


@dataclass
class Corpus:
    """Everything collected, by where it came from."""

    scanner: Scanner
    items: list[tuple[str, bytes]] = field(default_factory=list)

    def add(self, where: str, data: bytes | str) -> None:
        self.items.append((where, data.encode() if isinstance(data, str) else data))

    def places(self) -> set[str]:
        """The kinds of place scanned (the part of `where` before the first colon)."""
        return {where.partition(":")[0] for where, _ in self.items}

    def leaks(self) -> list[str]:
        return [
            f"{where}: {what}" for where, data in self.items for what in self.scanner.finds(data)
        ]
