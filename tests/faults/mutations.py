"""Mutated device payloads for the fuzz test: valid requests and statuses, then broken in the
ways a faulty or hostile device breaks them (bytes flipped, cut, spliced; values of the wrong
type; keys missing, doubled or unknown; deep nesting; odd Unicode; oversized). Seeded, so a
failure can be replayed."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

OPS = (
    "ticket.take",
    "ticket.status",
    "window.open",
    "window.pause",
    "window.resume",
    "window.close",
    "call.next",
    "call.recall",
    "call.no_show",
    "ticket.start",
    "ticket.finish",
    "ticket.transfer",
    "eval.submit",
)
ODD_VALUES: tuple[Any, ...] = (
    None,
    True,
    -1,
    0,
    2**63,
    1e308,
    "",
    "A",
    "Z999",
    "\ud800",
    "\u202e\u0000",
    "号" * 300,
    [],
    {},
    [[[[]]]],
    {"service": {"service": "A"}},
)


def seed_payload(rng: random.Random, n: int) -> dict[str, Any]:
    op = rng.choice(OPS)
    args: dict[str, Any] = {
        "service": rng.choice("ABCZ"),
        "no": f"A{rng.randint(0, 999):03d}",
        "staff": "S001",
        "reason": "lunch",
        "ticket": "A001",
        "level": rng.randint(0, 6),
        "priority": rng.choice(("normal", "green", "vip")),
    }
    chosen = dict(rng.sample(sorted(args.items()), rng.randint(0, 3)))
    return {"id": f"fz{n}", "op": op, "args": chosen}


def _structural(rng: random.Random, doc: dict[str, Any]) -> bytes:
    doc = dict(doc)
    choice = rng.randrange(7)
    if choice == 0:
        doc[rng.choice(("id", "op", "args"))] = rng.choice(ODD_VALUES)
    elif choice == 1:
        doc.pop(rng.choice(("id", "op", "args")), None)
    elif choice == 2:
        doc["args"] = {rng.choice(("service", "no", "level", "x")): rng.choice(ODD_VALUES)}
    elif choice == 3:
        nested: Any = doc
        for _ in range(rng.randint(10, 200)):
            nested = {"args": nested} if rng.random() < 0.5 else [nested]
        return json.dumps(nested).encode()
    elif choice == 4:
        doc["id"] = "x" * rng.choice((64, 65, 1000))
    elif choice == 5:
        return json.dumps(doc).encode().replace(b'"id"', b'"id":"a","id"', 1)
    else:
        return json.dumps(rng.choice(ODD_VALUES)).encode()
    return json.dumps(doc, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")


def _bytes(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    choice = rng.randrange(5)
    if choice == 0 and buf:
        for _ in range(rng.randint(1, 4)):
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
    elif choice == 1:
        del buf[rng.randrange(len(buf) + 1) :]
    elif choice == 2:
        at = rng.randrange(len(buf) + 1)
        buf[at:at] = rng.randbytes(rng.randint(1, 16))
    elif choice == 3:
        buf = bytearray(b"{" * rng.randint(1, 5000))
    else:
        buf.extend(b" " * rng.choice((0, 17 * 1024)))  # over the 16 KiB limit, sometimes
    return bytes(buf)


def payloads(seed: int, count: int) -> Iterator[bytes]:
    """`count` mutated payloads: request-shaped and status-shaped."""
    rng = random.Random(seed)
    for n in range(count):
        doc = seed_payload(rng, n) if rng.random() < 0.8 else {"state": "online"}
        if rng.random() < 0.5:
            yield _structural(rng, doc)
        else:
            yield _bytes(rng, json.dumps(doc).encode())
