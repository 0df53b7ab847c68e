"""Several halls in one process: `hall run --config east.toml --config west.toml`, or a folder
of hall files.

Each hall runs exactly as `hall run` runs one (`runtime.run_hall`): its own store client, its
own hub on the broker (its own client id, status and will), its own relay, and its own HTTP
listener on the hall file's `[http] listen`, so the pages, API and `/metrics` of a hall are
where its file says, with the same paths as for a hall alone. The halls run side by side
under one TaskGroup, each in its own task, so one hall waiting (for its store, or, with
standby hubs, for its lease) holds up none of the others.

A hall whose hub is fenced (a newer hub claimed it) stops alone and the others carry on; once
every hall has stopped so, the process ends with the halls' `Fenced` errors. A hall that
cannot start stops the whole process with a `StartupError` naming it: a hall file that does
not work is found at once, not after the other halls have been serving for a while.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TypeVar

from hall.contract.errors import Fenced
from hall.domain.config import HallConfig
from hall.hub.runtime import (
    StartupError,
    WebApp,
    run_hall,
    stop_on_signals,
    stop_within_grace,
)

__all__ = ["clashes", "hall_files", "serve_halls"]

log = logging.getLogger("hall.run")
ErrorT = TypeVar("ErrorT", bound=BaseException)


def hall_files(paths: Iterable[str | Path]) -> list[Path]:
    """The hall files named: a file as given, a folder as every `*.toml` in it, by name.

    Raises FileNotFoundError for a path that does not exist or a folder without hall files.
    """
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            inside = sorted(p for p in path.glob("*.toml") if p.is_file())
            if not inside:
                raise FileNotFoundError(f"no hall files (*.toml) in the folder {path}")
            found.extend(inside)
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"no configuration file at {path}")
    return found


def clashes(configs: Sequence[HallConfig]) -> list[str]:
    """What keeps these halls from running in one process, one message each (none: they can).

    Two files for one hall would be two hubs fencing each other; two halls cannot listen on
    one address, nor keep one embedded Redis's data in one folder.
    """
    problems: list[str] = []

    def twice(what: str, values: list[str]) -> None:
        for value, n in Counter(values).items():
            if n > 1:
                problems.append(f"{n} hall files give the same {what} {value}")

    twice("hall id", [c.hall.id for c in configs])
    twice("[http] listen", [c.http.listen for c in configs])
    twice("[broker] listen", [c.broker.listen for c in configs if c.broker.url is None])
    twice("[store] path", [str(c.store.path) for c in configs if c.store.url is None])
    return problems


async def serve_halls(configs: Sequence[HallConfig], web_app: WebApp | None = None) -> None:
    """Run every hall until SIGTERM/SIGINT, or until each was fenced (then raises them)."""
    problems = clashes(configs)
    if problems:
        raise StartupError("; ".join(problems))
    stop_on_signals(asyncio.current_task())
    fenced: list[Fenced] = []
    try:
        async with asyncio.TaskGroup() as group:
            for config in configs:
                group.create_task(_one_hall(config, web_app, fenced), name=config.hall.id)
    except BaseExceptionGroup as failed:
        startup, rest = failed.split(StartupError)
        if startup is None or rest is not None:
            raise
        raise _first(startup) from None
    if fenced:
        raise BaseExceptionGroup("every hall was claimed by a newer hub", fenced)


async def _one_hall(config: HallConfig, web_app: WebApp | None, fenced: list[Fenced]) -> None:
    hall_id = config.hall.id
    try:
        await run_hall(config, web_app=web_app)
    except StartupError as exc:
        named = StartupError(f"hall {hall_id}: {exc}")
        # The other halls are stopped now: they have the grace to end, and if they overrun it
        # the process still says why it stopped, as `hall run` does on a timely end.
        stop_within_grace(1, last_words=f"hall: cannot start: {named}")
        raise named from exc
    except BaseExceptionGroup as failed:
        claimed, rest = failed.split(Fenced)
        if claimed is None or rest is not None:
            raise
        log.error("hall %s stopped, the other halls go on: %s", hall_id, _first(claimed))
        fenced.append(_first(claimed))


def _first(group: BaseExceptionGroup[ErrorT]) -> ErrorT:
    """The first exception in a (possibly nested) group."""
    inner = group.exceptions[0]
    return _first(inner) if isinstance(inner, BaseExceptionGroup) else inner
