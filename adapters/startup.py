"""Starting the core from a command: one line per set-up step, with where data lives and how long each took."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.conversation.core import Core


def say_stderr(line: str) -> None:
    """Print a progress line to standard error (standard output stays for replies and data)."""
    print(line, file=sys.stderr, flush=True)


def start_core(settings: Settings, say: Callable[[str], None] = say_stderr) -> Core:
    """Load the encoder, the index and the store, saying what each step does.

    The first lines name the data folder and the notes folder, so two bots on one account
    never share a database by surprise (each bot gets its own `OUTSOURCEBOT_DATA_DIR`).

    Args:
        settings: Checked settings.
        say: Where the progress lines go.

    Returns:
        A ready core.
    """
    from bot.conversation.core import Core
    from bot.search.embedder import make_embedder

    say(f"Data folder: {settings.data_dir} (index, model cache, database; set OUTSOURCEBOT_DATA_DIR to move it)")
    say(f"Notes: {settings.knowledge_dir}")
    started = time.perf_counter()
    say(f"Loading the {settings.encoder} encoder (the first run also writes its model graph)...")
    embedder = make_embedder(settings.encoder, settings.model_cache_dir)
    say(f"  encoder ready in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    core = Core.start(settings, embedder=embedder, say=say)
    say(f"Ready: {len(core.kb.notes)} notes in {time.perf_counter() - started:.1f} s")
    return core
