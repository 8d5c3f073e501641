"""The fake Discord (tests/adapters/fake_discord.py) rejects what Discord rejects, over HTTP."""

from __future__ import annotations

import discord
import pytest

from bot.conversation.core import Core
from tests.adapters.discord.harness import running
from tests.adapters.fake_discord import GUILD_ID, FakeDiscord, channel_for


async def test_the_fake_rejects_content_over_2000_characters_over_http(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake) as bot:
        channel = bot.get_channel(channel_for(GUILD_ID))
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as rejected:
            await channel.send("x" * 2001)
        await channel.send("x" * 2000)
    assert rejected.value.status == 400 and rejected.value.code == 50035
    assert fake.rejected == [("channel", {"content": "Must be 2000 or fewer in length."})]
    assert [len(s.payload["content"]) for s in fake.sent] == [2000]
