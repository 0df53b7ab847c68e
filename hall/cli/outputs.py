"""Where the planning commands write: checked before the work, so that a path that cannot be
written is refused at once (exit code 2) rather than after the whole day was simulated, and
said plainly (not a traceback) when the write fails all the same (a full disk, a read-only
file system the checks cannot see)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["file_problem", "folder_problem", "seed", "write_failed"]


def seed(text: str) -> int:
    """A `--seed`: a whole number, 0 or more (Python's generator takes -1 for 1, so a negative
    seed would quietly give another seed's day)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number, 0 or more, got {text!r}")
    return value


def _creatable(path: Path) -> str | None:
    """Why `path` (which does not exist) cannot be made: its nearest existing folder."""
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is None:
        return None
    if not parent.is_dir():
        return f"{parent} is not a directory"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot create {path}: {parent} is not writable"
    return None


def file_problem(out: Path) -> str | None:
    """Why a file cannot be written at `out`."""
    if out.is_dir():
        return f"{out} is a directory; give a file name, e.g. {out / 'plan.json'}"
    if not out.exists():
        return _creatable(out)
    if not out.is_file():
        return f"{out} is not a regular file"
    if not os.access(out, os.W_OK):
        return f"{out} cannot be written"
    return None


def folder_problem(out: Path) -> str | None:
    """Why files cannot be written into the folder `out`."""
    if not out.exists():
        return _creatable(out)
    if not out.is_dir():
        return f"{out} is not a directory; give a folder for the report and charts"
    if not os.access(out, os.W_OK | os.X_OK):
        return f"{out} is not writable"
    return None


def write_failed(command: str, path: Path, exc: OSError) -> int:
    """Say that writing `path` failed, and give the exit code for it."""
    print(f"{command}: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
    return 2
