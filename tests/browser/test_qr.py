"""static/qr.js, the pages' QR encoder, run in the browser and compared module by module
with the `qrcode` library: same data, version, error correction level and mask."""

from __future__ import annotations

from typing import Any

import pytest
import qrcode
from qrcode import constants, util

from hall.pages import STATIC_DIR

QR_JS = STATIC_DIR / "static" / "qr.js"
LEVELS = {
    "L": constants.ERROR_CORRECT_L,
    "M": constants.ERROR_CORRECT_M,
    "Q": constants.ERROR_CORRECT_Q,
    "H": constants.ERROR_CORRECT_H,
}
TEXTS = [
    "A",
    "http://127.0.0.1:8080/t/A001",
    "https://zwfw.example.gov.cn/hall/t/B123",
    "https://示例市政务服务中心.example/t/C042?lang=zh",
    "http://192.168.10.20:8080/t/A999?" + "x" * 60,
    "y" * 150,
    "z" * 200,
]


def reference(data: bytes, level: str, version: int | None, mask: int | None) -> Any:
    code = qrcode.QRCode(
        version=version, error_correction=LEVELS[level], border=0, mask_pattern=mask
    )
    code.add_data(util.QRData(data, mode=util.MODE_8BIT_BYTE))
    code.make(fit=version is None)
    return code


def rows(modules: list[list[bool]]) -> list[str]:
    return ["".join("1" if m else "0" for m in row) for row in modules]


@pytest.fixture
async def qr_page(context: Any) -> Any:
    page = await context.new_page()
    await page.goto("about:blank")
    await page.add_script_tag(path=str(QR_JS))
    return page


async def encode(page: Any, text: str, **options: Any) -> dict[str, Any]:
    result: dict[str, Any] = await page.evaluate(
        """([text, options]) => {
            const code = QR.encode(text, options);
            return {version: code.version, mask: code.mask, size: code.size,
                    rows: code.modules.map((r) => r.map((m) => (m ? "1" : "0")).join(""))};
        }""",
        [text, options],
    )
    return result


async def test_every_version_level_and_mask_matches_the_reference(qr_page: Any) -> None:
    checked = 0
    for text in TEXTS:
        data = text.encode()
        for level in "LMQH":
            version = reference(data, level, None, None).version
            if version > 10:
                continue
            for mask in range(8):
                ours = await encode(qr_page, text, ecl=level, version=version, mask=mask)
                theirs = reference(data, level, version, mask)
                assert ours["size"] == version * 4 + 17
                assert ours["rows"] == rows(theirs.modules), (text, level, version, mask)
                checked += 1
    assert checked > 150


async def test_automatic_choices_are_a_valid_symbol(qr_page: Any) -> None:
    """Default level M: the smallest version that holds the data, and the symbol with the mask
    qr.js chose is the reference's symbol with that mask."""
    for text in TEXTS[:5]:
        ours = await encode(qr_page, text)
        theirs = reference(text.encode(), "M", None, ours["mask"])
        assert ours["version"] == theirs.version, text
        assert ours["rows"] == rows(theirs.modules), text
    assert (await encode(qr_page, "http://127.0.0.1:8080/t/A001"))["version"] == 3


async def test_too_long_data_is_refused(qr_page: Any) -> None:
    message = await qr_page.evaluate(
        """() => { try { QR.encode("x".repeat(400)); return "encoded"; }
                   catch (e) { return e.name + ": " + e.message; } }"""
    )
    assert message.startswith("RangeError")
