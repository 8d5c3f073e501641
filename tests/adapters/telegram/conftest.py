"""Fixtures of the Telegram tests: a fresh fake Bot API server, and the bot long polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.telegram.handlers import TelegramApp
from bot.conversation.core import Core
from tests.adapters.fake_telegram import FakeTelegram
from tests.adapters.telegram.harness import ADMIN, bot_running


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """A fresh fake Bot API server; the admin has a private chat with the bot."""
    server = await FakeTelegram().start()
    server.private_chat(ADMIN)
    yield server
    await server.close()


@pytest.fixture
async def bot(core: Core, fake: FakeTelegram) -> AsyncIterator[TelegramApp]:
    """The bot over the tiny-knowledge core, long polling the fake."""
    async with bot_running(core, fake) as app:
        yield app
