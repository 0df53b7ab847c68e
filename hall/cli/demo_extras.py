"""What the demo runs beside the hub so a new user sees the whole hall: the reference back
office receiving cases and ratings, and the Mandarin speaker writing its announcements."""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

from aiohttp import web

from hall.contract.ports import free_port
from hall.domain.config import HallConfig, PortalConfig
from hall.hub.runtime import Running
from portal_link.reference import BackOffice, make_app

log = logging.getLogger("hall.cli.demo")
HUMAN_PREFIX = "web-"  # devices left for the person trying the demo in a browser
DEMO_PASSWORD = "hall-demo"  # the demo hall file's user; shown only when it is still that


def _is_password(password_hash: str, password: str) -> bool:
    from argon2 import PasswordHasher
    from argon2.exceptions import Argon2Error

    try:
        return bool(PasswordHasher().verify(password_hash, password))
    except (Argon2Error, ValueError):
        return False


@contextlib.asynccontextmanager
async def reference_back_office(config: HallConfig) -> AsyncIterator[HallConfig]:
    """Start the reference back office on a free port; yield the config relaying to it.

    A hall file that names its own `[portal]` keeps it: nothing is started then.
    """
    if config.portal is not None:
        yield config
        return
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    host = config.http.host
    port = free_port(host)
    runner = web.AppRunner(make_app(BackOffice(secret)), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        yield replace(config, portal=PortalConfig(url=f"http://{host}:{port}", secret=secret))
    finally:
        await runner.cleanup()


def speaker_device(config: HallConfig) -> str | None:
    """The speaker the demo runs in its own process, when espeak-ng is installed."""
    if shutil.which("espeak-ng") is None:
        return None
    return next((d.id for d in config.devices if d.kind == "speaker"), None)


async def run_demo_speaker(running: Running, config: HallConfig, device_id: str) -> None:
    """Speak the calls into WAV files beside the demo's data (or to the sound card)."""
    from hall.voice.speaker import SpeakerOptions, run_speaker

    out_dir = Path(config.store.path) / "announcements"
    options = SpeakerOptions(out_dir=out_dir, cache_dir=Path(config.store.path) / "speech")
    await run_speaker(running.device_endpoint(device_id), config, device_id, options)


def page_lines(running: Running, config: HallConfig) -> list[str]:
    """The banner lines that point a new user at the pages."""
    http = running.http_url
    kiosk = next(
        (d.id for d in config.devices if d.id.startswith(HUMAN_PREFIX) and d.kind == "kiosk"), None
    )
    pad = next(
        (d.id for d in config.devices if d.id.startswith(HUMAN_PREFIX) and d.kind == "window_pad"),
        None,
    )
    lines = [f"  大屏      {http}/screen", f"  管理看板  {http}/dashboard"]
    if config.users:
        user = config.users[0]
        shown = DEMO_PASSWORD if _is_password(user.password_hash, DEMO_PASSWORD) else "见配置文件"
        lines[-1] += f"  登录 {user.name} / {shown}"
    if kiosk:
        lines.append(f"  取号机    {http}/kiosk/{kiosk}")
    if pad:
        lines.append(f"  窗口平板  {http}/pad/{pad}")
    if config.portal is not None:
        lines.append(f"  后台接收  {config.portal.url}/ (参考后台: 办件和评价)")
    return lines
