"""What a chat shows while the core works: Telegram's "typing" indicator."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import ExtBot

log = logging.getLogger(__name__)

TYPING_REFRESH = 4.5
"""Telegram shows "typing" for 5 seconds; refresh it a little sooner while the core works."""
TYPING_DELAY = 0.5
"""Show "typing" only when the answer takes longer than this (seconds). Most answers take a few
milliseconds: a "typing" for those is an extra API call per message (half the bot's requests
under load) for an indicator nobody would see."""


@asynccontextmanager
async def typing(bot: ExtBot[Any], chat_id: int) -> AsyncIterator[None]:
    """Show "typing" in the chat from `TYPING_DELAY` seconds on until the block ends (best effort: failures are only logged).

    A quick answer costs one timer, cancelled: the task that sends "typing" starts only when the delay passes.
    """
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    task: asyncio.Task[None] | None = None

    async def keep_typing() -> None:
        while not done.is_set():
            try:
                # No retries: a late "typing" is worse than none.
                await bot.send_chat_action(chat_id, ChatAction.TYPING, rate_limit_args=0)
            except TelegramError as exc:
                log.debug("could not show typing: %s", exc)
                return
            try:
                await asyncio.wait_for(done.wait(), TYPING_REFRESH)
            except TimeoutError:
                pass

    def start() -> None:
        nonlocal task
        task = loop.create_task(keep_typing())

    timer = loop.call_later(TYPING_DELAY, start)
    try:
        yield
    finally:
        timer.cancel()
        done.set()
        if task is not None:
            # A "typing" already under way was sent while the core worked; waiting for it keeps it from landing after the answer.
            await task
