"""Privacy: deleting a user's data (`/forget`) and a periodic job deleting questions older than OUTSOURCEBOT_RETENTION_DAYS.

Both reach every file the bot writes in its data folder: the database (and its
write-ahead log) and the saved reports; see docs/data-and-privacy.md.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.storage.store import Store


class RunningCore(Protocol):
    """What retention needs of the running core: its settings and its store."""

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> Store: ...


log = logging.getLogger(__name__)


def purge_expired(core: RunningCore) -> int:
    """Delete stored questions (and their unanswered rows) past the retention period, once.

    A retention of 0 days or less keeps everything.

    Args:
        core: The running core (its settings say how many days to keep).

    Returns:
        How many rows were deleted.
    """
    days = core.settings.retention_days
    if days <= 0:
        log.debug("retention disabled (OUTSOURCEBOT_RETENTION_DAYS=%s)", days)
        return 0
    from bot.storage.saved_reports import purge_reports
    from bot.storage.store import retention_cutoff

    cutoff = retention_cutoff(days)
    deleted = core.store.delete_older_than(days)
    if deleted:
        log.info("retention: deleted %d row(s) older than %d days", deleted, days)
    # Saved reports quote unanswered questions: those quoting an expired one go too.
    purge_reports(core.settings.data_dir, asked_before=cutoff)
    return deleted


def forget_user(store: Store, data_dir: Path, platform: str, user: str) -> int:
    """Delete every row about one user, and the saved reports that may quote their questions.

    Args:
        store: The database.
        data_dir: The data folder (its `reports/` are checked).
        platform: The user's platform.
        user: The platform's user id.

    Returns:
        How many rows were deleted.
    """
    from bot.storage.saved_reports import purge_reports

    first = store.first_unanswered(platform, user)
    count = store.forget_user(platform, user)
    if first is not None:
        purge_reports(data_dir, asked_since=first)
    return count


async def retention_job(core: RunningCore, every: float = 3600, stop: asyncio.Event | None = None) -> None:
    """Run `purge_expired` now and then every `every` seconds, until `stop` is set or the task is cancelled.

    The deletion runs in a worker thread; an error is logged and the job tries
    again next time, never ending the bot.

    Args:
        core: The running core.
        every: Seconds between two runs.
        stop: Set it to end the job cleanly.
    """
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            await asyncio.to_thread(purge_expired, core)
        except Exception:
            log.exception("retention run failed; trying again in %s s", every)
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except TimeoutError:
            pass
