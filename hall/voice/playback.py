"""Playing announcements: a WAV file to the sound card with ``aplay``, when there is one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

_audio_device: bool | None = None


async def has_audio_device() -> bool:
    """Whether ``aplay -l`` lists a sound card (checked once per process)."""
    global _audio_device
    if _audio_device is None:
        exe = shutil.which("aplay")
        if exe is None:
            _audio_device = False
        else:
            proc = await asyncio.create_subprocess_exec(
                exe, "-l", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
            )
            out, _ = await proc.communicate()
            _audio_device = proc.returncode == 0 and b"card " in out
        log.info("audio output: %s", "aplay" if _audio_device else "none (WAV files only)")
    return _audio_device


async def play(path: Path) -> bool:
    """Play a WAV file with ``aplay -q``; returns False (and plays nothing) without a sound card."""
    if not await has_audio_device():
        return False
    exe = shutil.which("aplay")
    if exe is None:
        return False
    proc = await asyncio.create_subprocess_exec(
        exe, "-q", str(path), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        _, err = await proc.communicate()
    except asyncio.CancelledError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        log.warning("aplay failed on %s: %s", path, err.decode(errors="replace").strip())
        return False
    return True
