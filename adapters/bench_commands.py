"""The `outsourcebot bench` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cmd_bench(args: argparse.Namespace) -> int:
    """Measure latency, throughput, cold start, memory and build times; write docs/benchmarks.md.

    Example: outsourcebot bench
             outsourcebot bench --json --output /tmp/bench.md --no-encoders
    """
    from dataclasses import asdict

    from bot.config import REPO_DIR, load_settings
    from bot.maintainers.bench import format_markdown, run_bench

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    result = run_bench(load_settings(), say, encoders=not args.no_encoders)
    markdown = format_markdown(result)
    output = Path(args.output) if args.output else REPO_DIR / "docs" / "benchmarks.md"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(markdown, encoding="utf-8")
    say(f"wrote {output}")
    print(json.dumps(asdict(result)) if args.json else markdown)
    return 0


def register(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add `bench` to the CLI."""
    parser = add(sub, "bench", cmd_bench)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--output", help="Markdown file to write (default docs/benchmarks.md)")
    parser.add_argument(
        "--no-encoders", action="store_true", help="skip the side-by-side encoder timings (no torch import)"
    )
