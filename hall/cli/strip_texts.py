"""`hall check-config`: the configured texts that an LED strip or board cannot draw.

BX-6 cards are drawn with the gateway's font (`devices.font`, by default the bundled GNU
Unifont subset: ASCII, all of GB2312 and the hall's own phrases). A hall, service or window
name with a character outside it shows that character as a box on every strip and board, so
`check-config` names each such text by its key and line, before a card ever shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from devices.font import undrawable
from displays.bitmap import HexFont
from hall.contract.config import format_key
from hall.contract.config_lines import KeyPath, LineMap
from hall.domain.config import HallConfig

__all__ = ["UndrawableText", "configured_texts", "undrawable_texts"]


@dataclass(frozen=True)
class UndrawableText:
    key: KeyPath
    line: int | None
    text: str
    missing: str  # the characters the font lacks, each once

    def describe(self) -> str:
        chars = ", ".join(f"{c} (U+{ord(c):04X})" for c in self.missing)
        return (
            f"{format_key(self.key)} {self.text!r}: LED strips cannot draw {chars} and show a "
            "box instead; use another character or a font that has it ([gateway] font)"
        )


def configured_texts(config: HallConfig) -> list[tuple[KeyPath, str]]:
    """Every configured text a strip or board may show, with its key: the hall's name and
    the names of its services (the catalogue a hall starts with) and windows."""
    texts: list[tuple[KeyPath, str]] = [(("hall", "name"), config.hall.name)]
    texts += [(("services", i, "name"), s.name) for i, s in enumerate(config.services)]
    texts += [
        (("windows", i, "name"), w.name) for i, w in enumerate(config.windows) if w.name is not None
    ]
    return texts


def undrawable_texts(
    config: HallConfig, font: HexFont, source: Path | None = None
) -> list[UndrawableText]:
    """The configured texts with characters `font` lacks, in file order, with their lines."""
    lines = None
    if source is not None and source.is_file():
        lines = LineMap(source.read_text(encoding="utf-8"))
    found: list[UndrawableText] = []
    for key, text in configured_texts(config):
        missing = undrawable(text, font)
        if missing:
            line = lines.line_of(key) if lines is not None else None
            found.append(UndrawableText(key, line, text, missing))
    return found
