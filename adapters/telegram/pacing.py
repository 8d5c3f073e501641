"""Pacing the bot's work: per-user admission, per-chat order, and the "typing" indicator.

A message is admitted (the per-user rate limit) before it takes its chat's lock or shows
"typing", so a flooding user costs the bot one dictionary look-up per extra message, not a
place in a queue, a "typing" call and a reply each.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.conversation.core import Core

log = logging.getLogger(__name__)

TYPING_REFRESH = 4.5
"""Telegram shows "typing" for 5 seconds; refresh it a little sooner while the core works."""
PRUNE_NOTICES_AT = 10_000
"""Forget users whose notice has lapsed once this many are remembered, so memory stays bounded."""


class Admission:
    """The per-user rate limit, checked as soon as a message arrives, and its once-a-window notice.

    Messages are counted once, with `Core.admit`; the handlers then pass `admitted=True`
    to the core so it does not count them again.

    Args:
        core: The shared core (its limit and window come from the settings).
        platform: The platform name the limit is kept under.
        clock: Monotonic seconds.
    """

    def __init__(self, core: Core, platform: str = "telegram", clock: Callable[[], float] = time.monotonic) -> None:
        self.core = core
        self.limiter = core.limiter
        self.platform = platform
        self._clock = clock
        self._quiet_until: dict[str, float] = {}

    def check(self, user: str) -> float:
        """Count one message from `user`.

        Returns:
            0 when the message may be served, else the seconds until the next one may.
        """
        return self.core.admit(self.platform, user)

    def notice_due(self, user: str) -> bool:
        """True once per rate window for a limited user: send the notice now; False: drop silently."""
        now = self._clock()
        if self._quiet_until.get(user, 0.0) > now:
            log.debug("dropping a message from rate-limited user %s", user)
            return False
        if len(self._quiet_until) >= PRUNE_NOTICES_AT:
            self._quiet_until = {u: t for u, t in self._quiet_until.items() if t > now}
        self._quiet_until[user] = now + self.limiter.window
        return True


class ChatLocks:
    """One lock per chat, so a chat's answers arrive in the order its questions did."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        """Hold `chat_id`'s lock for the block (the lock is dropped when nobody waits for it)."""
        lock, users = self._locks.get(chat_id, (asyncio.Lock(), 0))
        self._locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[chat_id]
            if users <= 1:
                del self._locks[chat_id]
            else:
                self._locks[chat_id] = (lock, users - 1)


@asynccontextmanager
async def typing(bot: ExtBot[Any], chat_id: int) -> AsyncIterator[None]:
    """Show "typing" in the chat until the block ends (best effort: failures are only logged)."""
    done = asyncio.Event()

    async def keep_typing() -> None:
        while not done.is_set():
            try:
                # No retries: a late "typing" is worse than none.
                await bot.send_chat_action(chat_id, ChatAction.TYPING, rate_limit_args=0)
            except TelegramError as exc:
                log.debug("could not show typing in chat %s: %s", chat_id, exc)
                return
            try:
                await asyncio.wait_for(done.wait(), TYPING_REFRESH)
            except TimeoutError:
                pass

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        done.set()
        # The first action was sent while the core worked; waiting for it keeps it from landing after the answer.
        await task
