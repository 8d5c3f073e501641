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


def embedding_progress(label: str = "  embedding") -> Callable[[int, int], None]:
    """A (done, total) callback for index builds: a counter redrawn in place on a terminal, else a line per quarter.

    Args:
        label: What the counter is of.

    Returns:
        The callback (it writes to standard error).
    """
    shown: set[int] = set()

    def show(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{label}: {done}/{total} texts", end="" if done < total else "\n", file=sys.stderr, flush=True)
            return
        quarter = 4 * done // max(total, 1)
        if quarter not in shown and (quarter > 0 or done == total):
            shown.add(quarter)
            print(f"{label}: {done}/{total} texts", file=sys.stderr, flush=True)

    return show


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
    core = Core.start(settings, embedder=embedder, say=say, progress=embedding_progress())
    say(f"Ready: {len(core.kb.notes)} notes in {time.perf_counter() - started:.1f} s")
    return core


# Exceptions (by class name, anywhere in the chain) that mean a platform's servers were not reached:
# httpx's and aiohttp's connection errors, python-telegram-bot's wrappers of them, DNS failures.
NETWORK_ERRORS = frozenset(
    {
        "ConnectError",
        "ConnectTimeout",
        "ClientConnectorError",
        "ClientConnectorDNSError",
        "ServerDisconnectedError",
        "NetworkError",
        "TimedOut",
        "gaierror",
    }
)


def network_hint(exc: BaseException) -> str | None:
    """A one-line "check your network" hint when an exception means the network failed, else None.

    Args:
        exc: The exception a platform command ended with.

    Returns:
        The hint, or None for any other failure.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if any(cls.__name__ in NETWORK_ERRORS for cls in type(current).__mro__):
            return (
                "check your network: the platform's servers could not be reached "
                "(no connection, a DNS failure, or a proxy or firewall in the way)"
            )
        current = current.__cause__ or current.__context__
    return None
