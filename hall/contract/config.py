"""The hall file (the contract's section 1): loading it, and the error that names what is wrong.

Loading validates everything at start; every error names the file, the line, the key and
what is wrong, e.g. ``hall.toml:14: windows[2].services: unknown service "Q"``.

Key paths in messages count array entries from 1, as people do: ``windows[2]`` is the second
``[[windows]]`` entry of the file, ``windows[2].services[3]`` the third code in its list. A
missing key is reported at the line of the table header it belongs under; a TOML syntax error
at the line tomllib reports. The first problem found is reported.

`load_config(path)` reads a file; `check_config_text(text, name)` checks text already in hand.
The values it builds are `hall.domain.config`'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hall.domain.config import HallConfig


class ConfigError(ValueError):
    """A configuration problem, worded for the person who edits the file."""

    def __init__(self, path: str, line: int | None, key: str, problem: str) -> None:
        self.path = path
        self.line = line
        self.key = key
        self.problem = problem
        where = f"{path}:{line}" if line is not None else path
        # `key` is empty for problems of the file as a whole (unreadable, TOML syntax).
        super().__init__(f"{where}: {key}: {problem}" if key else f"{where}: {problem}")


# The loader and its checks live in `config_check.py` and `config_base.py`; these
# wrappers keep them part of this module's API without a circular import.
def load_config(path: str | Path) -> HallConfig:
    """Read and validate a hall file; raises ConfigError naming file, line and key."""
    from hall.contract.config_check import load_config as load

    return load(path)


def check_config_text(text: str, name: str, *, base_dir: Path | None = None) -> HallConfig:
    """Validate hall configuration text; `name` is the file name errors are reported under."""
    from hall.contract.config_check import check_config_text as check

    return check(text, name, base_dir=base_dir)


def format_key(path: tuple[str | int, ...]) -> str:
    """``("windows", 1, "services")`` -> ``windows[2].services`` (entries counted from 1)."""
    from hall.contract.config_base import format_key as fmt

    return fmt(path)


__all__ = ["ConfigError", "check_config_text", "format_key", "load_config"]
