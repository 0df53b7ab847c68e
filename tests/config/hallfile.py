"""A small valid hall file for the configuration tests, and how they check text."""

from __future__ import annotations

import pytest

from hall.contract.config import ConfigError, check_config_text
from hall.domain.config import HallConfig

# A small valid hall. The line numbers in the cases below refer to this text.
BASE = """\
[hall]
id = "test"
name = "Test hall"

[[services]]
code = "A"
name = "Service A"

[[services]]
code = "B"
name = "Service B"

[[windows]]
id = "1"
services = ["A"]

[[windows]]
id = "2"
services = ["A", "B"]

[[devices]]
id = "kiosk-1"
kind = "kiosk"

[[devices]]
id = "pad-1"
kind = "window_pad"
window = "1"
"""
BASE_LINES = BASE.count("\n")  # 28

PORTAL = '[portal]\nurl = "https://portal.example.gov.cn/hall-api"\n'
GOOD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def variant(old: str, new: str) -> str:
    """BASE with `old` (which must occur exactly once) replaced by `new`."""
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


def check(text: str) -> HallConfig:
    return check_config_text(text, "hall.toml")


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        check(text)
    return str(info.value)
