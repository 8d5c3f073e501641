"""Privacy: a periodic job deleting stored questions older than OUTSOURCEBOT_RETENTION_DAYS."""

from __future__ import annotations

import asyncio
import logging
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
    deleted = core.store.delete_older_than(days)
    if deleted:
        log.info("retention: deleted %d row(s) older than %d days", deleted, days)
    return deleted


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
