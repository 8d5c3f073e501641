"""The client (adapters/discord/client.py): mentions and DMs, pings, the error boundary, shards, resuming, start-up."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters.discord.client import DiscordBot, run_bot
from bot.config import ConfigError
from bot.conversation.core import Core
from bot.messages import Reply
from bot.storage.store import Store
from tests.adapters.discord.harness import ALICE, BOB, BOT_USER, NO_PINGS, PRICING_QUESTION, ask, config_for, running
from tests.adapters.fake_discord import ADMIN_ROLE_ID, BOT_ID, GUILD_ID, FakeDiscord, bot_role_for, channel_for
from tests.conftest import make_core


async def test_a_mention_in_a_channel_is_answered_and_other_chatter_ignored(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake):
        await fake.send_message("just chatting about freelancer cost", ALICE)
        message_id = await fake.send_message(f"<@{BOT_ID}> {PRICING_QUESTION}?", ALICE, mentions=[BOT_USER])
        [sent] = await fake.wait_sent(1)
        await fake.send_message("and more chatter", BOB)
        await asyncio.sleep(0.2)
    assert len(fake.sent) == 1
    assert sent.route == "channel" and sent.channel_id == str(channel_for(GUILD_ID))
    assert str(sent.payload["message_reference"]["message_id"]) == message_id
    assert sent.payload["embeds"][0]["title"] == "Pricing and costs"
    assert sent.payload["allowed_mentions"] == NO_PINGS


async def test_a_direct_message_is_answered(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake):
        await fake.send_message("what is the chasm", ALICE, guild_id=None)
        [sent] = await fake.wait_sent(1)
    assert sent.channel_id == str(int(ALICE["id"]) + 7)
    assert sent.payload["embeds"][0]["title"] == "Crossing the chasm"


async def test_a_mention_of_the_bots_role_is_answered_like_a_mention(core: Core, fake: FakeDiscord) -> None:
    role = bot_role_for(GUILD_ID)
    async with running(core, fake) as bot:
        assert bot.get_guild(GUILD_ID) is not None and bot.get_guild(GUILD_ID).self_role.id == role  # type: ignore[union-attr]
        await fake.send_message(f"<@&{ADMIN_ROLE_ID}> is anyone around?", ALICE, mention_roles=[ADMIN_ROLE_ID])
        await fake.send_message(f"<@&{role}> what is the chasm", ALICE, mention_roles=[role])
        [sent] = await fake.wait_sent(1)
        await asyncio.sleep(0.2)
    assert len(fake.sent) == 1
    assert sent.route == "channel" and sent.payload["embeds"][0]["title"] == "Crossing the chasm"
    assert [row["question"] for row in core.store.db["questions"].rows] == ["what is the chasm"]


async def test_everyone_and_role_mentions_can_never_ping(core: Core, fake: FakeDiscord) -> None:
    sneaky = f"<@{BOT_ID}> @everyone @here <@&{ADMIN_ROLE_ID}> <@{BOB['id']}> what is the chasm"
    async with running(core, fake):
        await fake.send_message(sneaky, ALICE, mentions=[BOT_USER, BOB], mention_everyone=True)
        await fake.wait_sent(1)
        await fake.send_message("@everyone look at this", BOB, mention_everyone=True)  # not addressed to the bot
        await ask(fake, "@everyone @here what is the chasm")
    assert len(fake.sent) == 2
    for sent in fake.sent:
        assert sent.payload["allowed_mentions"] == NO_PINGS


async def test_a_429_is_waited_out_and_retried(core: Core, fake: FakeDiscord) -> None:
    fake.rate_limit("POST", r"/channels/\d+/messages$", times=1, retry_after=0.3)
    async with running(core, fake):
        await fake.send_message(f"<@{BOT_ID}> what is the chasm", ALICE, mentions=[BOT_USER])
        [sent] = await fake.wait_sent(1)
    posts = [r for r in fake.requests if r[0] == "POST" and r[1].endswith("/messages")]
    assert len(posts) == 2
    assert sent.payload["embeds"][0]["title"] == "Crossing the chasm"


async def test_an_error_in_one_handler_is_answered_politely(
    core: Core, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(event: Any, channel: Any = None) -> Reply:
        raise RuntimeError("index exploded")

    async with running(core, fake):
        with monkeypatch.context() as patch:
            patch.setattr(core, "handle", broken)
            failed = await fake.slash("ask", ALICE, {"question": "anything"})
            await fake.send_message(f"<@{BOT_ID}> anything", ALICE, mentions=[BOT_USER])
            await fake.wait_for(lambda: len(fake.sent) >= 2, what="two apologies")
        [answer] = await ask(fake, PRICING_QUESTION)  # the bot is still alive
    [apology] = fake.sent_for(failed)
    assert apology.ephemeral and "something went wrong" in apology.text
    assert "something went wrong" in fake.sent[1].text and fake.sent[1].route == "channel"
    assert answer.payload["embeds"][0]["title"] == "Pricing and costs"
    assert "index exploded" in caplog.text


async def test_two_shards_each_identify_with_their_shard_id(tiny_knowledge: Path, tmp_path: Path) -> None:
    guild_on_0 = next(g for g in range(GUILD_ID, GUILD_ID + 10**9, 1 << 22) if (g >> 22) % 2 == 0)
    guild_on_1 = guild_on_0 + (1 << 22)
    store = Store(None, "s")
    async with FakeDiscord(shards=2, guild_ids=(guild_on_0, guild_on_1)) as fake:
        core = make_core(tiny_knowledge, tmp_path / "data", store=store)
        async with running(core, fake) as bot:
            assert sorted(tuple(i["shard"]) for i in fake.identifies) == [(0, 2), (1, 2)]
            assert bot.shard_count == 2 and len(bot.guilds) == 2
            interaction = await fake.slash("ask", ALICE, {"question": PRICING_QUESTION}, guild_id=guild_on_1)
            await fake.wait_for(lambda: bool(fake.sent_for(interaction)), what="an answer via shard 1")
    assert fake.heartbeats >= 2  # each shard beats at once and gets op 11
    assert all(q.get("compress") == "zlib-stream" for q in fake.query_strings)
    assert all(i["intents"] & discord.Intents.members.flag == 0 for i in fake.identifies)


async def test_a_dropped_connection_resumes_and_replays_missed_events(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake):
        session = fake.sessions[0]
        await fake.reconnect(0)
        await fake.wait_for(lambda: session.socket is None, what="the old socket to close")
        await fake.send_message("what is the chasm", ALICE, guild_id=None)  # sent while disconnected
        await fake.wait_for(lambda: len(fake.resumes) == 1, what="RESUME")
        [sent] = await fake.wait_sent(1)
    assert fake.resumes[0]["session_id"] == session.session_id
    assert len(fake.identifies) == 1  # resumed, not re-identified
    assert sent.payload["embeds"][0]["title"] == "Crossing the chasm"


async def test_a_rejected_token_stops_start_up_with_a_clear_message(core: Core, fake: FakeDiscord) -> None:
    bot = DiscordBot(core, config_for(fake, token="wrong-token"))
    with pytest.raises(ConfigError, match="Discord rejected DISCORD_BOT_TOKEN"):
        await asyncio.wait_for(run_bot(bot), 10)


async def test_guild_ids_sync_commands_to_those_guilds_only(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake, guild_ids=(GUILD_ID,)):
        [sent] = await ask(fake, PRICING_QUESTION)
    assert "global" not in fake.commands
    assert {c["name"] for c in fake.commands[str(GUILD_ID)]} >= {"ask", "reload"}
    assert sent.payload["embeds"][0]["title"] == "Pricing and costs"
