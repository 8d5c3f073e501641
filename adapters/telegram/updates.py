"""Which updates the bot works on at once: a bounded number, taken fairly across chats.

python-telegram-bot's own processor takes one of its slots before an update's handler
runs; an update whose chat is already busy then waits inside the core for that chat's
turn (replies in a chat go out in order) while holding the slot. A busy group with 40
messages in flight could so hold every slot, and a private chat's question would wait
for the whole group. Here an update first waits for its chat's turn, holding nothing,
and takes a working slot only when it is next in its chat: at most `working` updates
are worked on at once, at most one of them per chat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

QUEUED = 4096
"""Updates accepted at once by python-telegram-bot (each a task waiting its turn); a bound, not a goal."""


class _ChatTurn:
    """One chat's place in line: its lock and how many of its updates hold or wait for it."""

    __slots__ = ("lock", "pending")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.pending = 0


class ChatFairProcessor(BaseUpdateProcessor):
    """Works on at most `working` updates at once, one per chat at a time, in each chat's arrival order.

    Args:
        working: Updates worked on at once, across all chats.
        queued: Updates accepted at once (PTB's own limit, above `working`).
    """

    __slots__ = ("_chats", "_slots", "_working")

    def __init__(self, working: int, queued: int = QUEUED) -> None:
        super().__init__(max(queued, working))
        self._slots = working
        self._working = asyncio.Semaphore(working)
        self._chats: dict[object, _ChatTurn] = {}

    @staticmethod
    def chat_of(update: object) -> object:
        """The chat an update belongs to, or None (no chat: it only waits for a working slot)."""
        if isinstance(update, Update) and update.effective_chat is not None:
            return update.effective_chat.id
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's turn (asyncio locks wake waiters first come, first served), then a slot, then run."""
        chat = self.chat_of(update)
        if chat is None:
            async with self._working:
                await coroutine
            return
        turn = self._chats.setdefault(chat, _ChatTurn())
        turn.pending += 1
        try:
            async with turn.lock, self._working:
                await coroutine
        finally:
            turn.pending -= 1
            if not turn.pending:
                del self._chats[chat]  # nobody else waits for this chat: keep turns for busy chats only

    @property
    def working(self) -> int:
        """Updates worked on at once, across all chats."""
        return self._slots

    @property
    def busy_chats(self) -> int:
        """Chats with an update being worked on or waiting (for tests and diagnostics)."""
        return len(self._chats)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free: PTB waits for the updates in flight itself."""
