"""The `outsourcebot bench` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXPECTED_MINUTES = 5
E2E_MINUTES = 2


def cmd_bench(args: argparse.Namespace) -> int:
    """Measure latency, throughput, cold start, memory and build times; print them (and write them with --write).

    Takes about 5 minutes on an idle 2-core machine (longer when busy; --no-encoders saves about one).
    The load average is reported beside the figures, with a warning when the machine is busy.
    `--only e2e` runs just `outsourcebot telegram` against the fake Bot API (about 2 minutes), and
    `--profile FILE` records the bot meanwhile with py-spy (FILE.svg: a flame graph; else collapsed stacks).

    Example: outsourcebot bench
             outsourcebot bench --write
             outsourcebot bench --json --output /tmp/bench.md --no-encoders
             outsourcebot bench --only e2e --chats 100 400 --profile /tmp/bot.svg
    """
    from dataclasses import asdict

    from bot.config import load_settings
    from bot.maintainers import bench, bench_markdown

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    only = getattr(args, "only", None)
    if only == "e2e":
        if args.write:
            say("--write keeps docs/benchmarks.md whole: give --only e2e an --output FILE instead")
            return 2
        from bot.maintainers import bench_e2e

        say(f"benchmarking Telegram end to end: about {E2E_MINUTES} minutes on an idle 2-core machine")
        profile = Path(args.profile) if args.profile else None
        try:
            result = bench_e2e.run_only(load_settings(), say, tuple(args.chats), profile)
        except RuntimeError as exc:
            say(f"error: {exc}")
            return 1
        markdown = bench_markdown.format_e2e_markdown(result)
    else:
        say(f"benchmarking: about {EXPECTED_MINUTES} minutes on an idle 2-core machine, longer when it is busy")
        result = bench.run_bench(load_settings(), say, encoders=not args.no_encoders, telegram=not args.no_telegram)
        markdown = bench_markdown.format_markdown(result)
    say(f"benchmark took {result.machine.get('seconds', 0) / 60:.1f} minutes")
    output = Path(args.output) if args.output else bench.DOCS_TABLE if args.write else None
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(markdown, encoding="utf-8")
        say(f"wrote {output}")
    print(json.dumps(asdict(result)) if args.json else markdown)
    return 0


def register(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add `bench` to the CLI."""
    parser = add(sub, "bench", cmd_bench)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--write", action="store_true", help="also write the table to docs/benchmarks.md")
    parser.add_argument("--output", help="write the table to this Markdown file instead (implies --write)")
    parser.add_argument(
        "--no-telegram", action="store_true", help="skip the end-to-end run of `outsourcebot telegram` against the fake"
    )
    parser.add_argument(
        "--no-encoders", action="store_true", help="skip the side-by-side encoder timings (no torch import)"
    )
    parser.add_argument(
        "--only", choices=("e2e",), help="run one part alone: e2e, `outsourcebot telegram` against the fake Bot API"
    )
    parser.add_argument(
        "--chats", type=int, nargs="+", default=[100, 400], help="with --only e2e: chats at once per run (100 400)"
    )
    parser.add_argument("--profile", help="with --only e2e: record the bot with py-spy into this file (.svg or stacks)")
