"""Command-line options shared by the benchmark scripts, and running one scenario alone."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from .infra import Servers, private_servers
from .report import Table, render_table
from .targets import Env

Scenario = Callable[[Env, float], Coroutine[Any, Any, list[Table]]]


def options(prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the hub and the baseline in this process's event loop "
        "(default: each in its own process, as a hall runs it)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="run each hub under cProfile, writing DIR/<hall>.prof",
    )
    parser.add_argument(
        "--patience",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="before each measurement, wait up to this long for the machine's CPUs to be "
        "quiet (default 30; 0: do not wait)",
    )
    parser.add_argument(
        "--attempts",
        type=int,
        default=3,
        metavar="N",
        help="measure again, up to N runs in all, while other processes and the host took over "
        "a quarter of a core during a measurement; keep the least disturbed run (default 3)",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply every request count by this (e.g. 0.1 for a smoke run)",
    )
    return parser


def scaled(count: int, scale: float, least: int = 20) -> int:
    return max(least, round(count * scale))


def make_env(args: argparse.Namespace, servers: Servers) -> Env:
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
        args.profile = args.profile.resolve()
    return Env(
        servers,
        in_process=args.in_process,
        profile_dir=args.profile,
        patience_s=args.patience,
        attempts=args.attempts,
    )


def standalone(prog: str, description: str, scenario: Scenario) -> None:
    """Start private servers, run one scenario, print its tables (BENCHMARKS.md untouched)."""
    args = options(prog, description).parse_args()
    started = time.monotonic()
    with private_servers() as servers:
        env = make_env(args, servers)
        tables = asyncio.run(scenario(env, args.scale))
    for table in tables:
        print(render_table(table))
    print(f"({time.monotonic() - started:.0f} s)")
