"""Live knowledge: poll the knowledge folder and reload the core when a note changes.

Platform adapters start the watcher (and the retention job) next to their
event loop with `start_background_jobs`; see docs/maintainers.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from bot.knowledge.notes import note_files

if TYPE_CHECKING:
    from bot.conversation.core import Core, ReloadResult

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_INTERVAL = 3.0


def folder_fingerprint(folder: Path) -> str:
    """A cheap fingerprint of a knowledge folder from the names, sizes and mtimes of its note files.

    Args:
        folder: The knowledge folder.

    Returns:
        A hex digest that changes when a note file is added, removed or rewritten
        ("" when the folder cannot be read).
    """
    digest = hashlib.sha256()
    try:
        for path in note_files(folder):
            try:
                stat = path.stat()
            except OSError:  # deleted between listing and stat: the next poll sees it gone
                continue
            digest.update(f"{path.relative_to(folder)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    except OSError as exc:
        log.warning("cannot read the knowledge folder %s: %s", folder, exc)
        return ""
    return digest.hexdigest()


async def _sleep_or_stop(seconds: float, stop: asyncio.Event) -> bool:
    """Wait `seconds` or until `stop` is set; True when stopped."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True


async def watch_knowledge(
    core: Core,
    interval: float = DEFAULT_INTERVAL,
    stop: asyncio.Event | None = None,
    on_reload: Callable[[ReloadResult], None] | None = None,
) -> None:
    """Reload the core whenever the knowledge folder changes, until `stop` is set or the task is cancelled.

    The folder is polled every `interval` seconds; a change runs `core.reload` in a
    worker thread, so answering goes on meanwhile. A refused reload (a broken note)
    keeps the previous index and is logged; the next edit tries again. A reload
    that raises (a full disk) is retried at every poll until it runs. No error
    here ever ends the task.

    Args:
        core: The running core.
        interval: Seconds between two looks at the folder.
        stop: Set it to end the watcher cleanly.
        on_reload: Called with each reload's result (to tell admins), in the event loop.
    """
    stop = stop or asyncio.Event()
    folder = core.settings.knowledge_dir
    seen = await asyncio.to_thread(folder_fingerprint, folder)
    log.info("watching %s for note changes every %.1f s", folder, interval)
    failing = False
    while not await _sleep_or_stop(interval, stop):
        try:
            current = await asyncio.to_thread(folder_fingerprint, folder)
            if not current or current == seen:
                continue
            log.info("knowledge folder changed; reloading" if not failing else "retrying the knowledge reload")
            result = await asyncio.to_thread(core.reload)
            # Only a reload that ran to the end (done or refused) marks this version as seen:
            # one that raised (a full disk, say) is tried again at the next poll.
            seen, failing = current, False
            if result.ok:
                log.info("%s", result.summary())
            else:
                log.error("%s", result.summary())
            if on_reload is not None:
                on_reload(result)
        except Exception as exc:
            # A failed reload must never take the bot down; the old index stays in service.
            if not failing:
                log.exception("reloading the knowledge failed; the previous index stays in service")
            else:
                log.warning("reloading the knowledge failed again (%s: %s); retrying", type(exc).__name__, exc)
            failing = True
    log.info("knowledge watcher stopped")


def start_background_jobs(
    core: Core,
    stop: asyncio.Event | None = None,
    *,
    watch_interval: float = DEFAULT_INTERVAL,
    retention_every: float = 3600.0,
) -> list[asyncio.Task[None]]:
    """Start the knowledge watcher and the retention job as tasks of the running event loop.

    Call it from inside the adapter's event loop (PTB `post_init`, discord.py
    `setup_hook`, an aiohttp `on_startup`); keep the returned tasks and, at
    shutdown, set `stop` (or cancel them) and await them.

    Args:
        core: The running core.
        stop: Ends both jobs when set.
        watch_interval: Seconds between two looks at the knowledge folder.
        retention_every: Seconds between two retention runs.

    Returns:
        The two tasks.
    """
    from bot.storage.retention import retention_job

    return [
        asyncio.create_task(watch_knowledge(core, watch_interval, stop), name="outsourcebot-watch-knowledge"),
        asyncio.create_task(retention_job(core, retention_every, stop), name="outsourcebot-retention"),
    ]


async def run_with_background_jobs(core: Core, main: Awaitable[T], watch_interval: float = DEFAULT_INTERVAL) -> T:
    """Await `main` (a platform's run coroutine) with the watcher and retention job running beside it.

    The jobs are stopped and awaited when `main` ends, however it ends.

    Args:
        core: The running core.
        main: The coroutine that serves the platform(s).
        watch_interval: Seconds between two looks at the knowledge folder.

    Returns:
        Whatever `main` returns.
    """
    stop = asyncio.Event()
    tasks = start_background_jobs(core, stop, watch_interval=watch_interval)
    try:
        return await main
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
