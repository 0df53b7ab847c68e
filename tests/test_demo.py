"""`hall demo`: the demo hall runs on the embedded broker and Redis, simulates a busy hall
over the device contract, answers /healthz while it runs, and stops by itself."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from hall.contract.access import mosquitto_hash
from tests.support import DEMO_HALL, REPO_ROOT, dumps_toml, free_port

DURATION_S = 12
EXIT_TIMEOUT_S = 60
MONITOR_HASH = mosquitto_hash("monitor-secret")


def demo_config(tmp_path: Path, logins: bool = False) -> tuple[Path, str]:
    """The demo hall on free loopback ports with its data in tmp_path; (file, /healthz URL).

    With `logins`, the hall file gives a broker account, so that the embedded broker takes
    logins only and holds each to its own topics.
    """
    with DEMO_HALL.open("rb") as f:
        doc = tomllib.load(f)
    http_port = free_port()
    doc["broker"] = {"listen": f"127.0.0.1:{free_port()}"}  # no url: the embedded broker
    if logins:
        account = {"name": "monitor", "role": "integration", "password_hash": MONITOR_HASH}
        doc["broker"]["accounts"] = [account]
    doc["store"] = {"path": str(tmp_path / "data")}  # no url: the embedded Redis
    doc["http"] = {"listen": f"127.0.0.1:{http_port}"}
    path = tmp_path / "demo-hall.toml"
    path.write_text(dumps_toml(doc), encoding="utf-8")
    return path, f"http://127.0.0.1:{http_port}/healthz"


def announced_healthz(out_path: Path, configured: str) -> str:
    """The /healthz URL the banner shows (the demo moves off a port taken meanwhile)."""
    found = re.search(r"http://\S+/healthz", out_path.read_text(encoding="utf-8", errors="replace"))
    return found.group(0) if found else configured


def healthz_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


@pytest.mark.parametrize("logins", [False, True], ids=["anonymous", "logins"])
def test_demo_runs_a_busy_hall_and_stops_by_itself(tmp_path: Path, logins: bool) -> None:
    # With logins the broker refuses a device that logs in with anything but its own login:
    # the simulated kiosks, pads and the speaker still serve the hall.
    config, healthz = demo_config(tmp_path, logins)
    out_path, err_path = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    command = [
        sys.executable,
        "-m",
        "hall.cli.main",
        "demo",
        "--config",
        str(config),
        "--duration",
        str(DURATION_S),
        "--rate",
        "3",
    ]
    env = {**os.environ, "HALL_DEMO_SEED": "7"}
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
        try:
            answers: list[int | None] = []
            deadline = time.monotonic() + EXIT_TIMEOUT_S
            while process.poll() is None and time.monotonic() < deadline:
                answers.append(healthz_status(announced_healthz(out_path, healthz)))
                time.sleep(0.5)
            code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    stdout = out_path.read_text(encoding="utf-8")
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    report = f"exit {code}\n--- stdout\n{stdout}\n--- stderr\n{stderr[-3000:]}"
    assert code == 0, report
    assert 200 in answers, f"/healthz never answered 200 (got {set(answers)})\n{report}"
    assert "/healthz" in stdout and "/metrics" in stdout, report  # the banner
    assert "取号 " in stdout, report
    assert any(f"请{code}" in stdout for code in "ABC"), report
    assert "办结 " in stdout, report
    assert "演示结束" in stdout, report
    if shutil.which("espeak-ng") is not None:  # the demo's speaker then runs too
        spoken = list((tmp_path / "data" / "announcements").glob("*.wav"))
        assert spoken, f"the speaker wrote no announcement\n{report}"
        assert "after a pyttsx3 error" not in stderr + stdout, report


def test_the_simulated_id_cards_carry_well_formed_numbers() -> None:
    import random

    from hall.cli.demo import synthetic_id_number

    rng = random.Random(7)
    numbers = {synthetic_id_number(rng) for _ in range(200)}
    assert len(numbers) > 150
    for number in numbers:
        assert re.fullmatch(r"110105(19[4-9]\d|200[0-5])\d{7}[0-9X]", number), number
        assert check_character(number[:17]) == number[17], number
    assert check_character("11010519491231002") == "X"  # a real card's


def check_character(body: str) -> str:
    """GB 11643: the weighted sum of the 17 digits modulo 11 picks the 18th character."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
