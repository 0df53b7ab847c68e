"""Serial drivers: one small module per protocol, registered here by the protocol's name.

A gateway entry `protocol = "bx6"` picks `DRIVERS["bx6"]`. Adding a protocol: write its codec
(`devices/codecs/<name>.py`), its driver (`devices/drivers/<name>.py`, ending with an `INFO =
DriverInfo(...)`), and add one line below. What drivers share lives beside them: `base` (every
serial driver) and `asking` (drivers of devices that only answer when asked).
"""

from __future__ import annotations

from devices.drivers import bx6, escpos, idcard, keypad485, lineproto
from devices.drivers.base import DriverEnv, DriverInfo, SerialDriver

DRIVERS: dict[str, DriverInfo] = {
    "bx6": bx6.INFO,
    "lineproto": lineproto.INFO,
    "escpos": escpos.INFO,
    "keypad485": keypad485.INFO,
    "idcard": idcard.INFO,
}

__all__ = ["DRIVERS", "DriverEnv", "DriverInfo", "SerialDriver"]
