"""Tables, the machine's description, and the generated part of BENCHMARKS.md."""

from __future__ import annotations

import math
import os
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .cpu import describe
from .infra import ROOT, Servers
from .load import Sample

BENCHMARKS = ROOT / "BENCHMARKS.md"
MARKER = "<!-- Everything below this line is written by `python -m bench.run`. -->"
DEFAULT_INTRO = """# Benchmarks

Latency and throughput of the hub on one machine, measured by `python -m bench.run`.
"""


@dataclass
class Table:
    title: str
    samples: list[Sample]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Check:
    name: str
    measured: str
    limit: str
    passed: bool


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine(servers: Servers) -> list[tuple[str, str]]:
    versions = servers.versions()
    return [
        ("CPUs (nproc)", str(os.cpu_count())),
        ("CPU model", cpu_model()),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", sys.version.split()[0]),
        ("Mosquitto", versions["mosquitto"]),
        ("Redis", versions["redis"]),
    ]


def ms(seconds: float) -> str:
    return "–" if math.isnan(seconds) else f"{seconds * 1000:.2f}"


def render_table(table: Table) -> str:
    lines = [f"### {table.title}", ""]
    if table.samples:
        lines += [
            "| target | answered | errors | lost | p50 ms | p90 ms | p99 ms | max ms | rate /s "
            "| server CPU ms/req |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
    for s in table.samples:
        lines.append(
            f"| {s.label} | {s.count:,} | {s.errors} | {s.lost} | {ms(s.percentile(50))} | "
            f"{ms(s.percentile(90))} | {ms(s.percentile(99))} | {ms(s.percentile(100))} | "
            f"{s.rate:,.0f} | {ms(s.server_cpu_per_request)} |"
        )
    notes = list(table.notes)
    for s in table.samples:
        if s.offered is not None and s.send_lag_p99 is not None:
            notes.append(
                f"{s.label}: offered {s.offered:,.0f}/s; p99 lateness of the client's sends "
                f"against that schedule: {ms(s.send_lag_p99)} ms."
            )
        if s.cpu:
            notes.append(f"{s.label}: {describe(s.cpu)}")
        if s.note:
            notes.append(f"{s.label}: {s.note}")
    if notes:
        if table.samples:
            lines.append("")
        lines.extend(f"- {note}" for note in notes)
    return "\n".join(lines) + "\n"


def render_checks(checks: list[Check]) -> str:
    lines = ["### Targets", "", "| target | measured | limit | result |", "|---|--:|--:|---|"]
    for c in checks:
        lines.append(f"| {c.name} | {c.measured} | {c.limit} | {'PASS' if c.passed else 'FAIL'} |")
    return "\n".join(lines) + "\n"


def render_machine(rows: list[tuple[str, str]], when: str, mode: str, took_s: float) -> str:
    lines = [f"Run {when}, {took_s:.0f} s in all. {mode}", "", "| machine | |", "|---|---|"]
    lines.extend(f"| {k} | {v} |" for k, v in rows)
    return "\n".join(lines) + "\n"


def write_benchmarks(generated: str, path: Path = BENCHMARKS) -> None:
    """Keep what is written above the marker; replace everything below it."""
    intro = DEFAULT_INTRO
    if path.exists():
        text = path.read_text(encoding="utf-8")
        intro = text.split(MARKER, 1)[0] if MARKER in text else text
    path.write_text(
        intro.rstrip("\n") + "\n\n" + MARKER + "\n\n" + generated.strip("\n") + "\n",
        encoding="utf-8",
    )
