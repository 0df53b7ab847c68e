"""A hall of its own for each fault test: a private Redis (append-only file, `appendfsync
always`) and a private Mosquitto (persistence on), both on free loopback ports and killed at
teardown, and the hub as its own `hall run` process (killed at the end if still running)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hall.contract.link import Endpoint
from tests.portal.conftest import back_office, portal_config_path
from tests.support import write_hall_config

# The reference back office and its hall file are the relay's fault tests' fixtures too.
__all__ = ["FaultHall", "back_office", "fault_hall", "portal_config_path"]

REDIS_ARGS = "--appendonly yes --appendfsync always"
MOSQUITTO_EXTRA = "persistence true\nautosave_interval 1\nmax_queued_messages 10000"


@dataclass
class FaultHall:
    hall_id: str
    redis: Any  # tests.conftest.PrivateRedis
    mosquitto: Any  # tests.conftest.PrivateMosquitto
    config: Path
    log: Path

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.mosquitto.host, self.mosquitto.port)

    def config_through(self, broker_port: int, **overrides: Any) -> Path:
        """A hall file beside `config` whose hub reaches the broker at `broker_port` on
        loopback (a fault proxy's); `overrides` as for `write_hall_config`."""
        url = f"mqtt://127.0.0.1:{broker_port}"
        return write_hall_config(self.config.parent, self.hall_id, url, self.redis.url, **overrides)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@pytest.fixture
def fault_hall(
    tmp_path: Path, hall_id: str, private_redis: Any, private_mosquitto: Any
) -> FaultHall:
    redis = private_redis(REDIS_ARGS)
    mosquitto = private_mosquitto(MOSQUITTO_EXTRA)
    config = write_hall_config(tmp_path, hall_id, mosquitto.url, redis.url)
    return FaultHall(hall_id, redis, mosquitto, config, tmp_path / "hall.log")
