"""The flood gate in front of the hub's queue: ten times a device's limit, per device; one
shared bucket for ids the hall file does not name."""

from __future__ import annotations

from pathlib import Path

from hall.contract.config import load_config
from hall.hub.rate_limit import FLOOD_FLOOR_BURST, FloodGate
from tests.support import write_hall_config


def test_a_flood_is_shed_per_device_and_refills_at_ten_times_the_limit(tmp_path: Path) -> None:
    path = write_hall_config(
        tmp_path,
        "gate",
        "mqtt://127.0.0.1:1883",
        "redis://127.0.0.1:6379/0",
        rate_limits={
            "kiosk": {"per_s": 1.0, "burst": 10},
            "window_pad": {"per_s": 5.0, "burst": 20},
        },
    )
    now = [0.0]
    gate = FloodGate(load_config(path), clock=lambda: now[0])
    admitted = sum(gate.admit("kiosk-1") for _ in range(1_000))
    assert admitted == FLOOD_FLOOR_BURST  # max(10 x 10, 100)
    assert gate.shed == 1_000 - admitted
    assert gate.admit("kiosk-2")  # another kiosk has its own bucket
    assert sum(gate.admit("pad-1") for _ in range(1_000)) == 200  # 10 x its burst of 20
    now[0] += 1.0  # a second later: 20 more for the kiosk (max(10 x 1/s, 20/s))
    assert sum(gate.admit("kiosk-1") for _ in range(1_000)) == 20
    # Unknown ids, however many, share one bucket: the table cannot grow.
    unknown = sum(gate.admit(f"ghost-{n}") for n in range(5_000))
    assert unknown == FLOOD_FLOOR_BURST and len(gate._buckets) == 4
