"""A copy of a captured page on the window's printer, end to end: the clerk captures pages in
Chromium (the fake camera, and files), presses 打印 on one, the pad draws it at the printer's
width and dithers it, the hub sends the printer its job, and the gateway's ESC/POS driver
fetches the raster and prints it on a printer on a real pseudo-terminal; the dots that arrive
are the page's. A PDF page cannot be printed, and says why; a printer gone offline is a
refusal the pad tells; a pad without a printer shows no print key."""

from __future__ import annotations

import io
import tomllib
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.async_api import expect

from devices.codecs import escpos
from tests.browser.conftest import PAGE_ERRORS, TABLET, HallFactory, open_page, shot, signed_in_pad
from tests.browser.test_scans import KEY, camera_context
from tests.devices.fakes import FakePrinter
from tests.devices.ptys import Pty
from tests.devices.test_gateway_e2e import running_gateway, write_gateway
from tests.support import DEMO_HALL, eventually

__all__ = ["camera_context"]  # the fake camera, as the scans test runs it

PRINTER = "printer-7"
DOTS = 384  # a 58 mm printer: the gateway's option, told to the pad through its status
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def page_png() -> bytes:
    """800 x 600: the top two thirds black on the left and white on the right, the bottom
    third a mid grey."""
    image = Image.new("L", (800, 600), 255)
    image.paste(0, (0, 0, 400, 400))
    image.paste(128, (0, 400, 800, 600))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def devices(printer: bool) -> list[dict[str, Any]]:
    with DEMO_HALL.open("rb") as f:
        found: list[dict[str, Any]] = tomllib.load(f)["devices"]
    if printer:
        found.append({"id": PRINTER, "kind": "printer"})
        for device in found:
            if device["id"] == "pad-1":
                device["printer"] = PRINTER
    return found


async def call_a_ticket(context: Any, base: str) -> Any:
    kiosk = await open_page(context, TABLET, f"{base}/kiosk/kiosk-1")
    await kiosk.locator('button.service-btn[data-service="A"]').click()
    await expect(kiosk.locator("#ticket-no")).to_have_text("A001")
    pad = await signed_in_pad(context, base, "pad-1", "S001")
    await pad.get_by_role("button", name="叫号", exact=True).click()
    await pad.locator("#confirm-dialog").get_by_role("button", name="确定").click()
    await expect(pad.locator("#current-no")).to_have_text("A001")
    await pad.locator("#scan-open").click()
    await expect(pad.locator("#scan-camera-state")).to_have_text("高拍仪已就绪")
    return pad


def dot(rows: bytes, row_bytes: int, x: int, y: int) -> int:
    return rows[y * row_bytes + x // 8] >> (7 - x % 8) & 1


async def test_the_clerk_prints_a_captured_page_on_the_window_printer(
    camera_context: Any,
    hall: HallFactory,
    hall_id: str,
    mqtt_url: str,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    (tmp_path / "pages.key").write_text(KEY)
    running = await hall(
        documents={"key_file": "pages.key", "path": "pages"}, devices=devices(printer=True)
    )
    pty = Pty()
    printer = FakePrinter(pty)
    entries = f"""
[[serial]]
port = "{pty.name}"
protocol = "escpos"
device = "{PRINTER}"
options = {{ dots = {DOTS} }}
"""
    path = write_gateway(tmp_path, hall_id, mqtt_url, entries)
    async with running_gateway(path) as gateway:
        copies = running.hub.copies
        assert copies is not None
        pad = await call_a_ticket(camera_context, running.http_url)
        pages = pad.locator("#scan-pages li[data-page]")
        await pad.get_by_label("其他材料").fill("身份证")
        await pad.get_by_role("button", name="拍摄").click()
        await expect(pages).to_have_count(1)
        picture = tmp_path / "form.png"
        picture.write_bytes(page_png())
        await pad.get_by_label("其他材料").fill("申请表")
        await pad.locator("#scan-file").set_input_files(str(picture))
        await expect(pages).to_have_count(2)
        document = tmp_path / "form.pdf"
        document.write_bytes(PDF)
        await pad.get_by_label("其他材料").fill("委托书")
        await pad.locator("#scan-file").set_input_files(str(document))
        await expect(pages).to_have_count(3)
        await expect(pad.locator("#scan-printer")).to_have_text(f"窗口打印机 {PRINTER}：在线")
        # A PDF page: its key is disabled and it says why.
        await expect(pad.get_by_role("button", name="打印第 3 页")).to_be_disabled()
        await expect(pages.nth(2).locator(".print-state")).to_have_text(
            "PDF 文件无法在窗口打印，请由后台打印"
        )

        await pad.get_by_role("button", name="打印第 2 页").click()
        await expect(pages.nth(1).locator(".print-state")).to_have_text(
            f"第 2 页已发送到打印机 {PRINTER}"
        )
        driver = gateway.drivers[0]
        await printer.wait_for(lambda: getattr(driver, "copies_printed", 0) == 1, timeout=10)
        await shot(pad, artifacts, "scan-print-sent")

        # The dots that reached the printer: the page at 384 dots across, 288 rows high.
        row_bytes, rows = printer.raster()
        height = len(rows) // row_bytes
        assert (row_bytes * 8, height) == (DOTS, 288)
        assert [y for _x, y, _d in printer.images] == [255, 33]  # bands of at most 255 rows
        assert bytes(printer.printed) == escpos.render_copy(DOTS, height, rows)
        black = [dot(rows, row_bytes, x, y) for y in range(8, 184) for x in range(0, 180)]
        white = [dot(rows, row_bytes, x, y) for y in range(8, 184) for x in range(204, DOTS)]
        assert all(black) and not any(white)
        grey = [dot(rows, row_bytes, x, y) for y in range(200, 284) for x in range(8, DOTS - 8)]
        assert 0.4 < sum(grey) / len(grey) < 0.6  # mid grey: about every other dot
        # Every dot went over HTTP: the broker carried the job, never the page.
        assert copies.sent == 1

    # The gateway stopped (its printer's status went offline): the pad tells the clerk the
    # hub's refusal.
    await eventually(lambda: not copies.printer("pad-1").online, "the printer seen offline")  # type: ignore[union-attr]
    await pad.get_by_role("button", name="打印第 1 页").click()
    await expect(pages.nth(0).locator(".print-state")).to_have_text(
        f"未打印：打印机 {PRINTER} 离线，请检查电源、纸张和连线"
    )
    await expect(pad.locator("#toast")).to_have_text(
        f"未打印：打印机 {PRINTER} 离线，请检查电源、纸张和连线"
    )
    assert copies.sent == 1
    pty.close()
    assert PAGE_ERRORS == []


async def test_a_pad_without_a_printer_shows_no_print_key(
    camera_context: Any, hall: HallFactory, tmp_path: Path
) -> None:
    (tmp_path / "pages.key").write_text(KEY)
    running = await hall(documents={"key_file": "pages.key", "path": "pages"})
    pad = await call_a_ticket(camera_context, running.http_url)
    await pad.get_by_label("其他材料").fill("身份证")
    await pad.get_by_role("button", name="拍摄").click()
    await expect(pad.locator("#scan-pages li[data-page]")).to_have_count(1)
    await expect(pad.locator("#scan-pages button.print")).to_have_count(0)
    await expect(pad.locator("#scan-printer")).to_be_hidden()


async def test_a_printer_out_of_paper_is_sent_no_copy_and_the_pad_says_so(
    camera_context: Any,
    hall: HallFactory,
    hall_id: str,
    mqtt_url: str,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    (tmp_path / "pages.key").write_text(KEY)
    running = await hall(
        documents={"key_file": "pages.key", "path": "pages"}, devices=devices(printer=True)
    )
    pty = Pty()
    printer = FakePrinter(pty, status={1: 0x12, 4: 0x12 | 0x60})  # DLE EOT 4: paper out
    entries = f"""
[[serial]]
port = "{pty.name}"
protocol = "escpos"
device = "{PRINTER}"
options = {{ dots = {DOTS} }}
"""
    path = write_gateway(tmp_path, hall_id, mqtt_url, entries)
    async with running_gateway(path):
        copies = running.hub.copies
        assert copies is not None
        await eventually(
            lambda: getattr(copies.printer("pad-1"), "paper", None) == "out",
            "the hub seeing the printer out of paper",
        )
        pad = await call_a_ticket(camera_context, running.http_url)
        await pad.get_by_label("其他材料").fill("身份证")
        await pad.get_by_role("button", name="拍摄").click()
        pages = pad.locator("#scan-pages li[data-page]")
        await expect(pages).to_have_count(1)
        await expect(pad.locator("#scan-printer")).to_have_text(f"窗口打印机 {PRINTER}：缺纸")
        await pad.get_by_role("button", name="打印第 1 页").click()
        said = f"未打印：打印机 {PRINTER} 缺纸，请装入新纸卷后再打印"
        await expect(pages.nth(0).locator(".print-state")).to_have_text(said)
        await expect(pad.locator("#toast")).to_have_text(said)
        await shot(pad, artifacts, "scan-print-paper-out")
        assert copies.sent == 0 and printer.images == []
    pty.close()
    assert PAGE_ERRORS == []
