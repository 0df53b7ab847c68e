"""A small hall for the pure-core tests, loaded through the real configuration loader."""

from __future__ import annotations

from hall.contract.config import check_config_text
from hall.domain.config import HallConfig

HALL_TOML = """
[hall]
id = "{hall_id}"
name = "测试大厅"
timezone = "Asia/Shanghai"

[queue]
recall_cap = {recall_cap}
default_service_s = 300

[[services]]
code = "A"
name = "社保医保"
daily_cap = {cap}

[[services]]
code = "B"
name = "不动产登记"

[[windows]]
id = "1"
services = ["A", "B"]

[[windows]]
id = "2"
services = ["B"]

[[windows]]
id = "3"
services = ["A"]

[[devices]]
id = "kiosk-1"
kind = "kiosk"
printer = "printer-1"

[[devices]]
id = "printer-1"
kind = "printer"

[[devices]]
id = "pad-1"
kind = "window_pad"
window = "1"

[[devices]]
id = "pad-2"
kind = "window_pad"
window = "2"

[[devices]]
id = "pad-3"
kind = "window_pad"
window = "3"

[[devices]]
id = "eval-1"
kind = "evaluator"
window = "1"

[[devices]]
id = "led-1"
kind = "led_window"
window = "1"
"""


def small_hall(hall_id: str = "unit", recall_cap: int = 3, cap: int = 999) -> HallConfig:
    return check_config_text(
        HALL_TOML.format(hall_id=hall_id, recall_cap=recall_cap, cap=cap), "unit.toml"
    )
