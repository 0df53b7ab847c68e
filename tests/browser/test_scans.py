"""Documents at the window (影印) in Chromium with a fake camera: a clerk captures three pages
for a visit, named by the service's required documents, retakes one, reorders and removes
another; finishes the visit; the reference back office receives the case with three links,
fetches each once and finds the content matching its hash. Screenshots at a tablet's size."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from hall.contract.wire import Request
from hall.domain.actor import Actor
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGE_ERRORS,
    TABLET,
    HallFactory,
    _require_chromium,
    open_page,
    shot,
    signed_in_pad,
)
from tests.portal.conftest import SECRET, OfficeServer, back_office, relaying
from tests.support import eventually

__all__ = ["back_office"]  # the reference back office, as the portal tests run it

KEY = "a1" * 32
FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture
async def camera_context(tmp_path: Path) -> AsyncIterator[Any]:
    """Chromium whose camera is its fake device, allowed without asking."""
    _require_chromium()
    from playwright.async_api import async_playwright

    profile = tmp_path / "chromium-camera"
    profile.mkdir()
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=[*CHROMIUM_ARGS, *FAKE_CAMERA],
            headless=True,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport=TABLET,
        )
        context.set_default_timeout(10_000)
        try:
            yield context
        finally:
            with contextlib.suppress(Exception):
                await context.close()


async def set_documents(hall: Any, code: str, documents: list[str]) -> None:
    """A manager sets the service's required documents (as on the hall settings page)."""
    args = {"action": "set_documents", "code": code, "documents": documents}
    request = Request(f"test-{uuid.uuid4().hex}", "catalogue.change", args)
    handled = await hall.hub.submit(Actor.manager("admin"), request)
    assert b'"ok":true' in handled.response


async def capture(pad: Any, name: str | None, count: int) -> None:
    if name is not None:
        await pad.locator("#scan-names").get_by_role("button", name=name).click()
    await pad.get_by_role("button", name="拍摄").click()
    await expect(pad.locator("#scan-pages li[data-page]")).to_have_count(count)


async def test_a_clerk_captures_three_pages_and_the_back_office_gets_them(
    camera_context: Any,
    hall: HallFactory,
    back_office: OfficeServer,
    artifacts: Path,
    tmp_path: Path,
) -> None:
    office = back_office
    (tmp_path / "pages.key").write_text(KEY)
    running = await hall(
        portal={"url": office.portal_url, "secret": SECRET},
        documents={"key_file": "pages.key", "path": "pages"},
    )
    await set_documents(running, "A", ["身份证", "户口簿", "申请表"])
    base = running.http_url
    kiosk = await open_page(camera_context, TABLET, f"{base}/kiosk/kiosk-1")
    # A has documents to bring: the kiosk lists them before it takes the ticket.
    await kiosk.locator('button.service-btn[data-service="A"]').click()
    await expect(kiosk.locator("#service-dialog-documents li")).to_have_count(3)
    await kiosk.locator("#service-dialog-take").click()
    await expect(kiosk.locator("#ticket-no")).to_have_text("A001")
    pad = await signed_in_pad(camera_context, base, "pad-1", "S001")
    scan = pad.locator("#scan-open")
    await expect(scan).to_be_disabled()  # no ticket in hand yet
    await pad.get_by_role("button", name="叫号", exact=True).click()
    await pad.locator("#confirm-dialog").get_by_role("button", name="确定").click()
    await expect(pad.locator("#current-no")).to_have_text("A001")

    await scan.click()
    await expect(pad.locator("#scan-title")).to_have_text("影印材料 · A001")
    await expect(pad.locator("#scan-camera-state")).to_have_text("高拍仪已就绪")
    # The first required document not yet captured is chosen by itself.
    names = pad.locator("#scan-names")
    await expect(names.get_by_role("button", name="身份证")).to_have_attribute(
        "aria-pressed", "true"
    )
    await capture(pad, None, 1)
    await capture(pad, None, 2)  # 户口簿, chosen next
    await pad.get_by_label("其他材料").fill("委托书")
    await capture(pad, None, 3)
    await capture(pad, "申请表", 4)
    pages = pad.locator("#scan-pages li[data-page]")
    selects = pad.locator("#scan-pages select")
    assert [await s.input_value() for s in await selects.all()] == [
        "身份证",
        "户口簿",
        "委托书",
        "申请表",
    ]
    await shot(pad, artifacts, "scans-four-pages")

    # Remove the third, retake the first, move the last before the second, rename one.
    await pad.get_by_role("button", name="删除第 3 页").click()
    await expect(pages).to_have_count(3)
    first = await pages.first.get_attribute("data-page")
    await pad.get_by_role("button", name="重拍第 1 页").click()
    await expect(pad.locator("#scan-retaking")).to_have_text("下一次拍摄或上传将替换第 1 页")
    await pad.get_by_role("button", name="拍摄").click()
    await expect(pages.first).not_to_have_attribute("data-page", first or "")
    await expect(pad.locator("#toast")).to_have_text("已重拍第 1 页")
    await pad.get_by_role("button", name="上移第 3 页").click()
    await expect(pad.get_by_label("第 2 页的材料名称")).to_have_value("申请表")
    await pad.get_by_label("第 3 页的材料名称").select_option("户口簿")
    await expect(pages).to_have_count(3)
    await expect(pad.locator("#scan-count")).to_have_text("共 3 页，最多 30 页")
    kept = await pad.evaluate("window.hallScans.pages()")
    assert [p["name"] for p in kept] == ["身份证", "申请表", "户口簿"]
    await expect(pad.locator('#scan-pages img[alt^="第 1 页"]')).to_have_js_property(
        "complete", True
    )
    await shot(pad, artifacts, "scans-three-pages")
    await pad.get_by_role("button", name="完成").click()
    await expect(scan).to_have_text("影印材料（3）")

    # Finish the visit: the case leaves with its three pages, fetched and checked.
    async with relaying(running) as run:
        await pad.get_by_role("button", name="办结", exact=True).click()
        await pad.get_by_role("button", name="确认办结").click()
        await expect(pad.locator("#rate-view")).to_be_visible()
        await run.until(lambda: office.stored() == 1, "the case stored")
        await eventually(lambda: len(office.office.documents) == 3, "three pages fetched")
    case = office.office.store.list("case")[0]
    links = case["documents"]
    assert [d["name"] for d in links] == ["身份证", "申请表", "户口簿"]
    assert [d["sha256"] for d in links] == [p["sha256"] for p in kept]
    got = office.office.documents
    assert [d["received_sha256"] for d in got] == [d["sha256"] for d in links]
    assert all(d["verified"] and d["confirmed"] for d in got)
    assert all(d["type"] == "image/jpeg" for d in links)
    # Confirmed: gone from the hub.
    assert running.hub.documents is not None
    assert await running.hub.documents.pages(case["case_id"]) == []
    await expect(scan).to_be_disabled()
    assert PAGE_ERRORS == []


async def test_a_hall_without_documents_shows_no_scan_key(context: Any, hall: HallFactory) -> None:
    base = (await hall()).http_url
    pad = await signed_in_pad(context, base, "pad-1", "S001")
    await expect(pad.locator("#staff-view")).to_be_visible()
    await expect(pad.locator("#scan-open")).to_be_hidden()


async def test_a_pad_with_no_ticket_in_hand_loads_without_a_refusal(
    context: Any, hall: HallFactory, tmp_path: Path
) -> None:
    (tmp_path / "pages.key").write_text(KEY)
    base = (await hall(documents={"key_file": "pages.key", "path": "pages"})).http_url
    pad = await open_page(context, TABLET)
    answers: list[tuple[str, int]] = []
    console_errors: list[str] = []
    pad.on(
        "response",
        lambda response: (
            answers.append((response.request.method, response.status))
            if "/documents" in response.url
            else None
        ),
    )
    pad.on(
        "console",
        lambda message: (
            console_errors.append(message.text)
            if message.type == "error" and "/documents" in message.location.get("url", "")
            else None
        ),
    )
    await pad.goto(f"{base}/pad/pad-1")
    # Before the clerk signs in, and after, with no ticket called: the pad asks for the
    # visit's pages and is told there are none, with no error in its console.
    await eventually(lambda: len(answers) >= 1, "the pad asking for its pages")
    await pad.get_by_label("工号").fill("S001")
    await pad.get_by_role("button", name="签到").click()
    await expect(pad.locator("#staff-view")).to_be_visible()
    await pad.reload()
    await eventually(lambda: len(answers) >= 2, "the pad asking again after a reload")
    await expect(pad.locator("#scan-open")).to_be_visible()
    await expect(pad.locator("#scan-open")).to_be_disabled()
    assert answers and all(answer == ("GET", 200) for answer in answers), answers
    assert console_errors == []


async def test_a_refused_page_is_told_in_the_pads_language(
    camera_context: Any, hall: HallFactory, tmp_path: Path
) -> None:
    """The hub's refusals (too large, not a JPEG, PNG or PDF) are in English; the pad says
    them in its own language, with the hall's limit."""
    (tmp_path / "pages.key").write_text(KEY)
    running = await hall(documents={"key_file": "pages.key", "path": "pages", "max_bytes": 1024})
    base = running.http_url
    kiosk = await open_page(camera_context, TABLET, f"{base}/kiosk/kiosk-1")
    await kiosk.locator('button.service-btn[data-service="A"]').click()
    await expect(kiosk.locator("#ticket-no")).to_have_text("A001")
    pad = await signed_in_pad(camera_context, base, "pad-1", "S001")
    await pad.get_by_role("button", name="叫号", exact=True).click()
    await pad.locator("#confirm-dialog").get_by_role("button", name="确定").click()
    await expect(pad.locator("#current-no")).to_have_text("A001")
    await pad.locator("#scan-open").click()
    await expect(pad.locator("#scan-camera-state")).to_have_text("高拍仪已就绪")
    await pad.get_by_label("其他材料").fill("身份证")
    await pad.get_by_role("button", name="拍摄").click()  # a camera frame is over 1 KB
    await expect(pad.locator("#toast")).to_have_text("保存失败：每页文件不能超过 1 KB")
    program = tmp_path / "scan.pdf"
    program.write_bytes(b"MZ\x90\x00" + bytes(200))  # a program named like a PDF
    await pad.locator("#scan-file").set_input_files(str(program))
    await expect(pad.locator("#toast")).to_have_text("保存失败：只能保存 JPEG、PNG 或 PDF 文件")
    await expect(pad.locator("#scan-pages li[data-page]")).to_have_count(0)
