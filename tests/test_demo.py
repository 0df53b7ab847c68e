"""`hall demo`: the demo hall runs on the embedded broker and Redis, simulates a busy hall
over the device contract, answers /healthz while it runs, and stops by itself."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

from tests.support import DEMO_HALL, REPO_ROOT, dumps_toml, free_port

DURATION_S = 12
EXIT_TIMEOUT_S = 60


def demo_config(tmp_path: Path) -> tuple[Path, str]:
    """The demo hall on free loopback ports with its data in tmp_path; (file, /healthz URL)."""
    with DEMO_HALL.open("rb") as f:
        doc = tomllib.load(f)
    http_port = free_port()
    doc["broker"] = {"listen": f"127.0.0.1:{free_port()}"}  # no url: the embedded broker
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


def test_demo_runs_a_busy_hall_and_stops_by_itself(tmp_path: Path) -> None:
    config, healthz = demo_config(tmp_path)
    out_path, err_path = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    command = [
        sys.executable,
        "-m",
        "hall.cli",
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
