"""`hall outbox status|dead|retry` on the shared Redis (in-process; test_relay.py runs the
command as its own process)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aredis

from hall.cli.outbox import outbox_command
from hall.contract.config import load_config
from hall.store.outbox import Outbox, taken_from_stream

from .conftest import SECRET

pytestmark = pytest.mark.usefixtures("redis_client")


@pytest.fixture
def config_path(hall_file: Callable[..., Path]) -> Path:
    return hall_file(portal={"url": "http://127.0.0.1:9/hall-api", "secret": SECRET})


async def run(
    config_path: Path, action: str, *, key: str | None = None, as_json: bool = False
) -> tuple[int, str]:
    out = io.StringIO()
    status = await outbox_command(
        load_config(config_path), action, key=key, as_json=as_json, out=out
    )
    return status, out.getvalue()


def entry(kind: str, key: str) -> bytes:
    return json.dumps({"kind": kind, "key": key, "body": {"case_id": key}}).encode()


async def test_a_hall_that_never_relayed(config_path: Path, hall_id: str) -> None:
    status, out = await run(config_path, "status")
    assert status == 0
    assert f"hall {hall_id}: back-office outbox" in out
    assert "back office: http://127.0.0.1:9/hall-api" in out
    assert "backlog: 0 not yet accepted" in out and "dead letters: 0" in out
    assert await run(config_path, "status", as_json=True) == (
        0,
        json.dumps({"backlog": 0, "pending": 0, "oldest_ms": None, "dead": 0, "oldest_age_s": None})
        + "\n",
    )
    assert await run(config_path, "dead") == (0, "no dead letters\n")
    assert await run(config_path, "retry") == (0, "no dead letters to retry\n")
    assert await run(config_path, "retry", key="k") == (1, "no dead letters of case k to retry\n")


async def test_dead_letters_listed_and_all_put_back_in_order(
    config_path: Path, hall_id: str, redis_client: aredis.Redis
) -> None:
    outbox = Outbox(redis_client, hall_id)
    await outbox.ensure_group()
    for kind, key in (("case", "k1"), ("evaluation", "k1"), ("case", "k2"), ("case", "k3")):
        await redis_client.xadd(outbox.key, {"entry": entry(kind, key)})
    reply: Any = await redis_client.xreadgroup("relay", "tester", {outbox.key: ">"}, count=10)
    taken = [taken_from_stream(sid, fields) for sid, fields in reply[0][1]]
    await outbox.bury(taken[0], "case", "k1", "refused by the back office: HTTP 422 no", 422, 2)
    await outbox.bury(taken[1], "evaluation", "k1", "held", None, 0)
    await outbox.bury(taken[2], "case", "k2", "expired", 503, 9)

    status, out = await run(config_path, "status")
    assert status == 0
    assert "backlog: 1 not yet accepted (1 being sent)" in out and "dead letters: 3" in out
    assert "oldest: " in out and "+08:00" in out  # shown in the hall's time zone
    status, out = await run(config_path, "dead")
    assert status == 0
    lines = out.splitlines()
    assert "case k1  attempts 2, HTTP 422: refused by the back office: HTTP 422 no" in lines[0]
    assert "evaluation k1  attempts 0, no HTTP status: held" in lines[1]
    assert "case k2  attempts 9, HTTP 503: expired" in lines[2]
    assert lines[3].startswith("3 dead letters")
    status, out = await run(config_path, "dead", key="k1", as_json=True)
    assert status == 0
    assert [(d["kind"], d["key"], d["status"]) for d in json.loads(out)] == [
        ("case", "k1", 422),
        ("evaluation", "k1", None),
    ]
    assert json.loads(out)[0]["body"] == {"case_id": "k1"}

    assert await run(config_path, "retry") == (
        0,
        "put 3 entries back into the outbox; the hub sends them\n",
    )
    assert await outbox.dead_entries() == []
    assert not await redis_client.exists(outbox.held_key)
    assert await redis_client.hgetall(outbox.requeued_key) == {b"k1": b"2", b"k2": b"1"}
    back: Any = await redis_client.xrange(outbox.key)
    assert [json.loads(f[b"entry"])["key"] for _id, f in back] == ["k3", "k1", "k1", "k2"]
    assert [f.get(b"requeued") for _id, f in back] == [None, b"1", b"1", b"1"]
