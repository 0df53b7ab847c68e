"""Several halls in one process: `hall run --config A --config B` (or a folder of hall files)
serves each hall as `hall run` would alone, on its own HTTP listener, and the halls stay apart;
files that cannot run together, or a hall that cannot start, stop it with a message."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aredis

from hall.contract.config import load_config
from hall.hub.halls import clashes, hall_files
from tests.integration.contract_client import ContractClient
from tests.integration.halls import is_online
from tests.support import free_port, write_hall_config

STOP_TIMEOUT_S = 45.0  # a bound, not a speed: start-up and stop of two halls on a busy machine
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=5)


def test_a_folder_names_every_hall_file_in_it_in_name_order(tmp_path: Path) -> None:
    folder = tmp_path / "halls"
    folder.mkdir()
    for name in ("west.toml", "east.toml", "notes.txt"):
        (folder / name).write_text("", encoding="utf-8")
    alone = tmp_path / "north.toml"
    alone.write_text("", encoding="utf-8")
    assert hall_files([alone, folder]) == [alone, folder / "east.toml", folder / "west.toml"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="no hall files"):
        hall_files([empty])
    with pytest.raises(FileNotFoundError, match="no configuration file at"):
        hall_files([tmp_path / "missing.toml"])


def test_files_that_cannot_run_together_are_named(
    tmp_path: Path, mqtt_url: str, redis_url: str
) -> None:
    port = free_port()
    east = write_hall_config(tmp_path, "east", mqtt_url, redis_url, http_port=port)
    other = tmp_path / "again"
    other.mkdir()
    east_again = write_hall_config(other, "east", mqtt_url, redis_url)
    west = write_hall_config(tmp_path, "west", mqtt_url, redis_url, http_port=port)
    configs = [load_config(p) for p in (east, east_again, west)]
    assert clashes(configs) == [
        "2 hall files give the same hall id east",
        f"2 hall files give the same [http] listen 127.0.0.1:{port}",
    ]
    assert clashes(configs[1:]) == []


async def _start(tmp_path: Path, *configs: Path) -> tuple[asyncio.subprocess.Process, Path]:
    log = tmp_path / "hall-run.log"
    argv = [sys.executable, "-m", "hall.cli.main", "run"]
    for config in configs:
        argv += ["--config", str(config)]
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out
        )
    return process, log


@pytest.fixture
async def two_halls(hall_id: str, redis_url: str) -> AsyncIterator[tuple[str, str]]:
    """Two hall ids of this test; their keys are deleted afterwards."""
    halls = (f"{hall_id}-e", f"{hall_id}-w")
    yield halls
    client = aredis.Redis.from_url(redis_url)
    try:
        for hall in halls:
            keys = [k async for k in client.scan_iter(match=f"{{hall:{hall}}}*", count=500)]
            if keys:
                await client.delete(*keys)
    finally:
        await client.aclose()


async def test_one_process_serves_two_halls_apart(
    tmp_path: Path,
    two_halls: tuple[str, str],
    mqtt_url: str,
    redis_url: str,
    mqtt_host_port: tuple[str, int],
) -> None:
    east, west = two_halls
    ports = {east: free_port(), west: free_port()}
    files = [
        write_hall_config(tmp_path, h, mqtt_url, redis_url, http_port=ports[h]) for h in two_halls
    ]
    host, port = mqtt_host_port
    pid = os.getpid()
    process, log = await _start(tmp_path, *files)
    try:
        async with (
            ContractClient(host, port, east, f"test-{east}-{pid}") as at_east,
            ContractClient(host, port, west, f"test-{west}-{pid}") as at_west,
        ):
            for c in (at_east, at_west):
                await c.wait_latest(c.topic("hub/status"), is_online, timeout=20)
            # Each hall numbers its own tickets: both start at A001.
            assert (await at_east.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"][
                "no"
            ] == "A001"
            assert (await at_east.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"][
                "no"
            ] == "A002"
            taken = (await at_west.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]
            assert taken["no"] == "A001" and taken["ahead"] == 0
            # Each hall answers on its own [http] listen, for itself.
            async with aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as session:
                for hall in two_halls:
                    url = f"http://127.0.0.1:{ports[hall]}/healthz"
                    async with session.get(url) as response:
                        assert response.status == 200, await response.text()
                        assert (await response.json())["hall"] == hall

            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S) == 0, log.read_text()
            # Both hubs said goodbye on their own hall's status.
            for c in (at_east, at_west):
                await c.wait_latest(c.topic("hub/status"), lambda s: not is_online(s))
    finally:
        if process.returncode is None:
            process.kill()
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)


async def test_a_hall_that_cannot_start_stops_the_process_naming_it(
    tmp_path: Path, two_halls: tuple[str, str], mqtt_url: str, redis_url: str
) -> None:
    east, west = two_halls
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        files = [
            write_hall_config(tmp_path, east, mqtt_url, redis_url),
            write_hall_config(tmp_path, west, mqtt_url, redis_url, http_port=busy),
        ]
        process, log = await _start(tmp_path, *files)
        try:
            assert await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S) == 1
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    said = log.read_text()
    assert f"hall: cannot start: hall {west}: cannot listen for HTTP on 127.0.0.1:{busy}" in (
        said
    ), said[-3000:]
