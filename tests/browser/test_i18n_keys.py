"""Every page text exists in Chinese and in English: each i18n dictionary (`i18n.js` and every
`i18n_*.js` a page loads after it) is run in Chromium as the pages run it, and its zh and en
key sets must be the same; a missing key is named with its file and language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hall.web.pages import STATIC_DIR

from .conftest import chromium

ASSETS = STATIC_DIR / "static"
BASE_FILE = ASSETS / "i18n.js"

# Each dictionary as the pages see it: i18n.js's own tables, then what every I18N.add() call
# of a page's file brings, recorded per file before it is merged.
RECORD_ADDS = """() => {
    window.__added = [];
    const add = window.I18N.add;
    window.I18N.add = (more) => {
        window.__added.push({file: window.__file,
                             tables: Object.fromEntries(Object.entries(more).map(
                                 ([lang, table]) => [lang, Object.keys(table)]))});
        add(more);
    };
}"""


def missing_keys(file: str, tables: dict[str, list[str]]) -> list[str]:
    """What one dictionary lacks: each key of one language not in the other, named."""
    problems = [f"{file}: unknown language {lang!r}" for lang in tables if lang not in ("zh", "en")]
    zh, en = set(tables.get("zh", [])), set(tables.get("en", []))
    problems += [f"{file}: {key!r} has no English text" for key in sorted(zh - en)]
    problems += [f"{file}: {key!r} has no Chinese text" for key in sorted(en - zh)]
    return problems


def test_missing_keys_are_named() -> None:
    """The comparison itself finds a key missing on either side, and a stray language."""
    problems = missing_keys("x.js", {"zh": ["a", "b"], "en": ["a", "c"], "fr": ["a"]})
    assert problems == [
        "x.js: unknown language 'fr'",
        "x.js: 'b' has no English text",
        "x.js: 'c' has no Chinese text",
    ]


async def test_every_i18n_dictionary_has_the_same_keys_in_zh_and_en(tmp_path: Path) -> None:
    page_files = sorted(p for p in ASSETS.glob("i18n_*.js"))
    assert page_files, f"no i18n_*.js under {ASSETS}"
    async with chromium(tmp_path) as context:
        page: Any = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto("about:blank")
        await page.add_script_tag(content=BASE_FILE.read_text(encoding="utf-8"))
        base: dict[str, list[str]] = await page.evaluate(
            "() => ({zh: Object.keys(I18N.texts.zh), en: Object.keys(I18N.texts.en)})"
        )
        await page.evaluate(RECORD_ADDS)
        for path in page_files:
            await page.evaluate("(name) => { window.__file = name; }", path.name)
            await page.add_script_tag(content=path.read_text(encoding="utf-8"))
        added: list[dict[str, Any]] = await page.evaluate("() => window.__added")
    assert errors == []
    files_seen = {entry["file"] for entry in added}
    assert files_seen == {p.name for p in page_files}, "a file adds no texts with I18N.add"
    problems = missing_keys(BASE_FILE.name, base)
    calls: dict[str, int] = {}
    for entry in added:
        calls[entry["file"]] = calls.get(entry["file"], 0) + 1
        where = f"{entry['file']} (I18N.add #{calls[entry['file']]})"
        problems += missing_keys(where, entry["tables"])
    assert problems == [], "\n".join(problems)
