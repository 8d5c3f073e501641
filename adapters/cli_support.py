"""What the command modules of `outsourcebot` share: stderr lines, settings, a started core, progress.

Nothing heavy is imported here: the settings and the core are loaded only when a command
asks for them, so `--help` stays instant.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

AddCommand = Callable[[Any, str, Callable[[argparse.Namespace], int]], argparse.ArgumentParser]
"""The CLI's helper that makes a command parser from a function and its docstring (`adapters.cli._add`)."""


def err(text: str) -> None:
    """Print a line to standard error (standard output stays for replies and data)."""
    print(text, file=sys.stderr, flush=True)


def current_settings() -> Any:
    """The checked settings (raises `bot.config.ConfigError`, which `main` reports)."""
    from bot.config import load_settings

    return load_settings()


def progress(label: str) -> Callable[[int, int], None]:
    """A (done, total) callback: a counter redrawn in place on a terminal, else one line at the end."""

    def show(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{label}: {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)
        elif done == total:
            print(f"{label}: {done}/{total}", file=sys.stderr, flush=True)

    return show


def started_core(**overrides: Any) -> Any:
    """Start the core on the settings with `overrides` (say, `rate_limit=0`), saying each step on stderr."""
    import dataclasses

    from adapters.startup import start_core

    return start_core(dataclasses.replace(current_settings(), **overrides), say=err)
