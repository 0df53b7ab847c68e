"""The ESC/POS driver against a fake printer on a pseudo-terminal."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from devices.codecs import escpos
from devices.drivers.base import Binding, DriverEnv
from devices.drivers.escpos import EscPosDriver
from tests.support import eventually

from .conftest import make_driver, running
from .fakes import FakeLink, FakePrinter
from .ptys import Pty, SwappablePort

JOB: dict[str, Any] = {
    "job": "print",
    "ticket": {
        "no": "A001",
        "service": "A",
        "priority": "normal",
        "state": "waiting",
        "issued_at": "2024-05-06T09:12:30.125+08:00",
        "window": None,
        "recalls": 0,
        "ahead": 2,
        "eta_s": 450,
    },
    "hall_name": "示例市政务服务中心",
    "service_name": "社保医保",
    "qr_url": "http://127.0.0.1:8080/t/A001",
}
PRINTED = escpos.PrintTicket(
    hall_name="示例市政务服务中心",
    service_name="社保医保",
    number="A001",
    ahead=2,
    eta_min=8,
    issued_at="2024-05-06 09:12",
    qr_url="http://127.0.0.1:8080/t/A001",
)


def make(port: str, link: FakeLink, env: DriverEnv, **options: object) -> EscPosDriver:
    return make_driver(EscPosDriver, "escpos", port, Binding({link.device_id: link}), env, options)


async def test_a_print_job_is_printed_as_escpos_and_the_status_published(env: DriverEnv) -> None:
    pty = Pty()
    printer = FakePrinter(pty, status={1: 0x12, 4: 0x12 | 0x0C})  # online, paper near its end
    link = FakeLink("printer-1")
    driver = make(pty.name, link, env)
    async with running(driver):
        await eventually(lambda: link.status.get("paper") == "near_end", news=link.changed)
        assert link.status == {"online": True, "paper": "near_end", "dots": 576}
        await link.push("cmd", JOB)
        await link.push("cmd", {"job": "something else"})
        await eventually(lambda: driver.printed == 1, news=driver.news)
        await printer.wait_for(lambda: printer.requests.count(4) >= 2)
    assert escpos.render_ticket(PRINTED, "gb18030") in bytes(printer.printed)
    assert "示例市政务服务中心".encode("gb18030") in printer.printed
    pty.close()


async def test_encoding_footer_and_no_qr_options(env: DriverEnv) -> None:
    pty = Pty()
    printer = FakePrinter(pty)
    link = FakeLink("printer-1")
    driver = make(pty.name, link, env, encoding="utf-8", qr=False, footer="谢谢", feed_lines=5)
    async with running(driver):
        await link.push("cmd", JOB)
        await eventually(lambda: driver.printed == 1, news=driver.news)
        await printer.wait_for(lambda: printer.requests.count(4) >= 2)
    ticket = dataclasses.replace(PRINTED, qr_url=None, footer="谢谢")
    assert escpos.render_ticket(ticket, "utf-8", feed_lines=5) in bytes(printer.printed)
    pty.close()


async def test_a_silent_printer_is_reported_offline_and_garbage_skipped(env: DriverEnv) -> None:
    pty = Pty()
    printer = FakePrinter(pty, status={})  # answers nothing
    link = FakeLink("printer-1")
    driver = make(pty.name, link, env, answer_timeout_s=0.1)
    async with running(driver):
        await eventually(lambda: link.status.get("online") is False, news=link.changed)
        printer.status = {1: 0x12, 4: 0x12}
        printer.send(b"\xff")  # a byte nobody asked for: skipped
        await link.push("cmd", JOB)
        await eventually(
            lambda: link.status == {"online": True, "paper": "ok", "dots": 576}, news=link.changed
        )
        assert driver.bad_frames >= 1
    pty.close()


async def test_jobs_wait_while_the_printer_is_unplugged(env: DriverEnv, tmp_path: Path) -> None:
    port = SwappablePort(tmp_path / "ttyUSB0")
    printer = FakePrinter(port.plug())
    link = FakeLink("printer-1")
    driver = make(str(port.path), link, env)
    async with running(driver):
        await eventually(lambda: link.status.get("online") is True, news=link.changed)
        printer.unplug()
        port.unplug()
        await eventually(lambda: link.status.get("online") is False, news=link.changed)
        await link.push("cmd", JOB)
        await eventually(lambda: driver.open_failures >= 1, news=driver.news)
        printer = FakePrinter(port.plug())
        await eventually(lambda: driver.printed == 1, timeout=10, news=driver.news)
        await printer.wait_for(lambda: escpos.render_ticket(PRINTED) in bytes(printer.printed))
        await eventually(lambda: link.status.get("online") is True, news=link.changed)
    port.unplug()


async def test_a_printer_that_is_not_there_is_offline(env: DriverEnv, tmp_path: Path) -> None:
    link = FakeLink("printer-1")
    driver = make(str(tmp_path / "ttyUSB9"), link, env)
    async with running(driver, wait_open=False):
        await eventually(lambda: link.status == {"online": False, "dots": 576}, news=link.changed)
        assert driver.open_failures >= 1


async def test_model_limits_sizes_and_rare_characters_print_as_fallback(env: DriverEnv) -> None:
    pty = Pty()
    printer = FakePrinter(pty)
    link = FakeLink("printer-1")
    driver = make(pty.name, link, env, model="matrix-t5")
    job = {**JOB, "hall_name": "示例𠀀市政务服务中心"}
    async with running(driver):
        await link.push("cmd", job)
        await eventually(lambda: driver.printed == 1, news=driver.news)
        await printer.wait_for(lambda: printer.requests.count(4) >= 2)
    printed = bytes(printer.printed)
    ticket = dataclasses.replace(PRINTED, hall_name="示例𠀀市政务服务中心")
    assert escpos.render_ticket(ticket, model=escpos.PRINTER_MODELS["matrix-t5"]) in printed
    assert "示例？市".encode("gb18030") in printed  # 𠀀 (four bytes in GB18030) as ？
    assert "𠀀".encode("gb18030") not in printed
    assert b"\x1d\x21\x33" not in printed  # the number at 2 x 2, the model's largest
    pty.close()
