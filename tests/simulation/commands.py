"""`hall simulate` and `hall plan` run as a hall's staff run them: the installed command,
from the project's folder (the shipped profiles' paths are relative to it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HALL_BIN = Path(sys.executable).parent / "hall"


def hall_command(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`hall <args>`, its output captured; never raises for its exit code."""
    return subprocess.run(
        [str(HALL_BIN), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
