"""The hand-run benchmarks' sections of BENCHMARKS.md, each between its heading and its end
comment, kept above the part `python -m bench.run` writes anew on every run."""

from __future__ import annotations

from .infra import ROOT

BENCHMARKS = ROOT / "BENCHMARKS.md"
GENERATED_MARKER = "<!-- Everything below this line is written by `python -m bench.run`. -->"


def put_section(section: str, heading: str, end: str) -> None:
    """Write `section` (from `heading` to `end`) in place of the one BENCHMARKS.md has, or,
    the first time, just above the generated part."""
    text = BENCHMARKS.read_text(encoding="utf-8")
    body = section.rstrip("\n") + "\n"
    if heading in text and end in text[text.index(heading) :]:
        start = text.index(heading)
        stop = text.index(end, start) + len(end)
        if text.startswith("\n", stop):
            stop += 1
        text = text[:start] + body + text[stop:]
    else:
        before, after = text.split(GENERATED_MARKER, 1)
        text = before + body + "\n" + GENERATED_MARKER + after
    BENCHMARKS.write_text(text, encoding="utf-8")
