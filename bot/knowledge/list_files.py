"""The maintained YAML lists beside the notes (`abbreviations.yaml`, `not-covered.yaml`): loaded and checked alike.

A list is optional: missing, it is served empty; broken, it is served empty and logged, and
`kb check` reports it as a `path:1: message` line. Each list module supplies only its parser.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


def load_list(path: Path, parse: Callable[[str, str], T], empty: T, missing: str) -> T:
    """Parse a list file; `empty` (logged) when it is missing or broken.

    Args:
        path: The file.
        parse: Parses (text, origin) and raises ValueError with the problem.
        empty: What to serve instead.
        missing: What the bot does without the list, for the log line ("questions are searched as typed").
    """
    try:
        return parse(path.read_text(encoding="utf-8"), str(path))
    except OSError:
        log.info("no %s at %s; %s", path.name, path, missing)
    except ValueError as exc:
        log.error("%s ignored: %s", path.name, exc)
    return empty


def check_list(path: Path, parse: Callable[[str, str], object]) -> str | None:
    """The problem with a list file as a `path:1: message` line, or None (also when the file is absent)."""
    if not path.is_file():
        return None
    try:
        parse(path.read_text(encoding="utf-8"), str(path))
    except (OSError, ValueError) as exc:
        return f"{path}:1: {str(exc).removeprefix(f'{path}: ')}"
    return None
