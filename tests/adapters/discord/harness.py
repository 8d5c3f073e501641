"""What the Discord tests share: the users, running the bot against the fake, asking it with /ask."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from adapters.discord.client import DiscordBot, run_bot
from adapters.discord.config import DiscordConfig
from bot.conversation.core import Core
from tests.adapters.fake_discord import BOT_ID, TOKEN, FakeDiscord, user_payload

TEST_TIMEOUT = 30.0
ALICE = user_payload(111111111111111111, "alice")
BOB = user_payload(222222222222222222, "bob")
ADMIN = user_payload(333333333333333333, "admin")
BOT_USER = user_payload(BOT_ID, "outsourcebot", bot=True)
NO_PINGS: dict[str, list[str]] = {"parse": []}
PRICING_QUESTION = "how much does a freelancer cost"


def config_for(fake: FakeDiscord, **overrides: Any) -> DiscordConfig:
    """Discord settings pointing at the fake."""
    return replace(
        DiscordConfig(token=TOKEN, api_url=fake.api_url, admin_ids=frozenset({int(ADMIN["id"])})), **overrides
    )


@asynccontextmanager
async def running(core: Core, fake: FakeDiscord, **overrides: Any) -> AsyncIterator[DiscordBot]:
    """Run the bot against the fake until the block ends (bounded in time)."""
    async with asyncio.timeout(TEST_TIMEOUT):
        bot = DiscordBot(core, config_for(fake, **overrides), guild_ready_timeout=0.05)
        task = asyncio.create_task(run_bot(bot))
        ready = asyncio.create_task(bot.wait_until_ready())
        await asyncio.wait({task, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            ready.cancel()
            await task  # raise the start-up error
        assert bot.is_ready(), "the bot did not become ready"
        try:
            yield bot
        finally:
            await bot.close()
            await asyncio.wait_for(task, 5)


async def ask(fake: FakeDiscord, question: str, user: dict[str, Any] = ALICE) -> list[Any]:
    """Run /ask and return what the bot sent for it."""
    before = len(fake.sent)
    interaction = await fake.slash("ask", user, {"question": question})
    await fake.wait_for(
        lambda: len(fake.sent_for(interaction)) >= 1 and len(fake.sent) > before, what="the /ask answer"
    )
    await asyncio.sleep(0.05)  # let any follow-up parts land
    return fake.sent_for(interaction)
