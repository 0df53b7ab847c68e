"""Every key of a hall lands in the one cluster slot of its hash tag: each key the schema
names, the keys the commit script touches, and no key named anywhere but in the schema."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest
from redis.crc import key_slot

from hall.store.keys import HallKeys
from tests.support import REPO_ROOT

SAMPLE_ARGS = {
    "day": "2024-05-06",
    "device": "kiosk-1",
    "request_id": "r}{1",
    "kind": "account",
    "digest": "0f1e2d",
    "token_digest": "9a8b7c",
    "case_id": "east-1-2024-05-06-A001-2",
    "page_id": "0123456789abcdef0123456789abcdef",
    "sha256": "ab" * 32,
    "copy_id": "fedcba9876543210fedcba9876543210",
}


def every_key(keys: HallKeys) -> dict[str, str]:
    """Each key the schema names (methods called with sample arguments), by member name."""
    named: dict[str, str] = {}
    for name, member in inspect.getmembers(HallKeys):
        if name.startswith("_") or name in ("hall_id", "tag"):
            continue
        if isinstance(member, property):
            named[name] = getattr(keys, name)
        elif inspect.isfunction(member):
            params = list(inspect.signature(member).parameters)[1:]
            named[name] = getattr(keys, name)(*(SAMPLE_ARGS[p] for p in params))
    return named


def test_every_key_of_a_hall_is_in_the_slot_of_its_tag() -> None:
    keys = HallKeys("east-1")
    named = every_key(keys)
    assert {"epoch", "tickets", "idempotency", "events", "outbox", "outbox_dead"} <= set(named)
    slot = key_slot(b"hall:east-1")
    for name, key in named.items():
        assert key.startswith("{hall:east-1}:"), (name, key)
        assert key_slot(key.encode()) == slot, (name, key)


def test_two_halls_never_share_a_key() -> None:
    east, west = every_key(HallKeys("east")), every_key(HallKeys("east-2"))
    assert not set(east.values()) & set(west.values())


@pytest.mark.parametrize("hall_id", ["", "a}b", "{a"])
def test_an_id_that_would_break_the_tag_is_refused(hall_id: str) -> None:
    with pytest.raises(ValueError, match="braces"):
        HallKeys(hall_id)


def test_the_commit_script_touches_only_the_keys_it_is_given() -> None:
    script = (REPO_ROOT / "hall" / "store" / "commit.lua").read_text(encoding="utf-8")
    code = "\n".join(line.split("--", 1)[0] for line in script.splitlines())
    # Names the script gives a key it was handed (local key = KEYS[...]).
    aliases = set(re.findall(r"local\s+(\w+)\s*=\s*KEYS\[", code))
    calls = re.findall(r"redis\.call\(\s*'(\w+)'\s*,\s*([^,)]+)", code)
    assert calls, "no redis.call found in commit.lua"
    for command, first in calls:
        key = first.strip()
        assert key.startswith("KEYS[") or key in aliases, f"{command} on {key}"


def _built_key_names(path: Path) -> list[str]:
    """String constants in code (not docstrings or comments) that spell a hall key."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    statements = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in statements
        and "{hall:" in node.value
    ]


def test_no_key_is_named_outside_the_schema() -> None:
    schema = REPO_ROOT / "hall" / "store" / "keys.py"
    sources = [
        p
        for folder in ("hall", "portal_link")
        for p in sorted((REPO_ROOT / folder).rglob("*.py"))
        if p != schema
    ]
    found = {str(p.relative_to(REPO_ROOT)): _built_key_names(p) for p in sources}
    assert {path: names for path, names in found.items() if names} == {}
