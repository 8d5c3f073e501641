"""The one pacing gate every event passes: the per-user rate limit, its once-a-window notice, per-chat order.

An event is admitted (one dictionary look-up) before it takes its chat's turn or shows any
sign of work, so a flooding user costs the bot almost nothing per extra message: one polite
notice per window, then silence.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from bot.conversation.ratelimit import RateLimiter

log = logging.getLogger(__name__)

PRUNE_NOTICES_AT = 10_000
"""Forget users whose notice has lapsed once this many are remembered, so memory stays bounded."""


class ChatTurns:
    """One lock per chat, so a chat's replies go out in the order its events arrived."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, platform: str, chat: str) -> AsyncIterator[None]:
        """Hold the chat's lock for the block (the lock is dropped when nobody waits for it)."""
        key = (platform, chat)
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class Pacing:
    """The per-user limit on every kind of event, its notice, and the chats' turns.

    Args:
        limit: Events allowed per user in a window (0 disables the limit).
        window: Window length in seconds.
        clock: Monotonic seconds (for the notices; the limiter keeps its own clock).
        name: How logs name a (platform, user): a salted hash, never the raw id.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        name: Callable[[str, str], str] = lambda platform, user: f"a {platform} user",
    ) -> None:
        self.limiter = RateLimiter(limit, window)
        self.turns = ChatTurns()
        self._clock = clock
        self._name = name
        self._quiet_until: dict[str, float] = {}

    def admit(self, platform: str, user: str) -> float:
        """Count one event from a user.

        Returns:
            0 when the event may be served, else the seconds until the next one may.
        """
        return self.limiter.check(f"{platform}:{user}")

    def notice_due(self, platform: str, user: str) -> bool:
        """True once per rate window for a limited user: send the notice now; False: drop silently."""
        key, now = f"{platform}:{user}", self._clock()
        if self._quiet_until.get(key, 0.0) > now:
            log.debug("dropping a message from rate-limited user (%s)", self._name(platform, user))
            return False
        if len(self._quiet_until) >= PRUNE_NOTICES_AT:
            self._quiet_until = {u: t for u, t in self._quiet_until.items() if t > now}
        self._quiet_until[key] = now + self.limiter.window
        return True
