"""A window pad's printer (copies of the documents captured at its window): which printers a
window may name, each refusal with its key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from hall.cli.main import main

from .hallfile import BASE, check, error_of

PRINTERS = """
[[devices]]
id = "printer-1"
kind = "printer"

[[devices]]
id = "printer-2"
kind = "printer"
"""  # lines 30-37 after BASE and the pad's printer line


def hall(kiosk: str | None, pad: str | None, extra: str = "") -> str:
    text = BASE + PRINTERS + extra
    if kiosk:
        text = text.replace('kind = "kiosk"\n', f'kind = "kiosk"\nprinter = "{kiosk}"\n')
    if pad:
        text = text.replace('window = "1"\n', f'window = "1"\nprinter = "{pad}"\n', 1)
    return text


def test_a_window_pad_names_its_printer() -> None:
    config = check(hall("printer-1", "printer-2"))
    assert config.device("pad-1").printer == "printer-2"  # type: ignore[union-attr]
    assert config.device("kiosk-1").printer == "printer-1"  # type: ignore[union-attr]


def test_the_pad_printer_must_be_a_printer() -> None:
    assert error_of(hall(None, "kiosk-1")) == (
        'hall.toml:29: devices[2].printer: device "kiosk-1" is a kiosk, not a printer'
    )
    assert error_of(hall(None, "printer-9")) == (
        'hall.toml:29: devices[2].printer: unknown device "printer-9"'
    )


def test_a_kiosk_printer_is_never_a_window_printer() -> None:
    assert error_of(hall("printer-1", "printer-1")) == (
        'hall.toml:30: devices[2].printer: printer "printer-1" prints the tickets of kiosk '
        '"kiosk-1" (devices[1] names it too): a window\'s printer prints copies of documents '
        "and must stand at the window; give the window pad a printer of its own"
    )


def test_two_windows_never_share_a_printer_but_two_pads_of_one_window_may() -> None:
    second = (
        '\n[[devices]]\nid = "pad-2"\nkind = "window_pad"\nwindow = "{w}"\nprinter = "printer-2"\n'
    )
    config = check(hall(None, "printer-2", second.format(w="1")))
    assert config.device("pad-2").printer == "printer-2"  # type: ignore[union-attr]
    assert error_of(hall(None, "printer-2", second.format(w="2"))) == (
        'hall.toml:43: devices[5].printer: printer "printer-2" is window "1"\'s (devices[2]): '
        "a window's printer prints copies of documents for that window only"
    )


def test_a_window_printer_without_documents_is_warned_about() -> None:
    from hall.contract.config_documents import documents_warnings

    assert documents_warnings(check(hall(None, "printer-2"))) == [
        "window pad pad-1 names a printer, but without [documents] no page is captured: the "
        "window's printer prints no copies"
    ]
    assert documents_warnings(check(hall("printer-1", None))) == []


def test_check_config_words_the_address_warning_for_each_kind_of_printer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ticket printers print QR codes for phones; window printers print copies whose links
    the gateway fetches: the warning about a missing public_url says which."""
    path = tmp_path / "hall.toml"
    path.write_text(hall("printer-1", "printer-2"), encoding="utf-8")
    assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "has 1 ticket printer(s): the printed QR codes would point at" in out
    assert "has 1 window printer(s): the copy links the gateway fetches would point at" in out
    assert "2 ticket printer(s)" not in out
    only_window_printer = BASE + PRINTERS.split("\n\n")[0] + "\n"  # printer-1 alone
    only_window_printer = only_window_printer.replace(
        'window = "1"\n', 'window = "1"\nprinter = "printer-1"\n', 1
    )
    path.write_text(only_window_printer, encoding="utf-8")
    assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "ticket printer" not in out and "has 1 window printer(s)" in out
