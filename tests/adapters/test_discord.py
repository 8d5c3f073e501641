"""The Discord adapter end to end: the real discord.py client against a fake Discord on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.discord.client import DEFER_AFTER, DiscordBot, run_bot
from adapters.discord.config import DiscordConfig, load_discord_config
from adapters.discord.render import render_reply
from adapters.discord.views import build_view
from adapters.redaction import redacting
from adapters.serve import PLATFORMS, configured, serve_platforms
from bot.config import ConfigError
from bot.conversation.answers import expired_reply, refusal_reply
from bot.conversation.core import Core
from bot.messages import Reply, ReplyKind, Suggestion
from bot.replies.blocks import Block, BlockKind
from bot.storage.store import Store
from tests.adapters.fake_discord import (
    ADMIN_ROLE_ID,
    APP_ID,
    BOT_ID,
    GUILD_ID,
    TOKEN,
    FakeDiscord,
    admin_role_for,
    bot_role_for,
    channel_for,
    message_errors,
    same_name_role_for,
    user_payload,
)
from tests.conftest import make_core, write_note
from tests.fakes import HashingEmbedder

TEST_TIMEOUT = 30.0
ALICE = user_payload(111111111111111111, "alice")
BOB = user_payload(222222222222222222, "bob")
ADMIN = user_payload(333333333333333333, "admin")
BOT_USER = user_payload(BOT_ID, "outsourcebot", bot=True)
NO_PINGS: dict[str, list[str]] = {"parse": []}
PRICING_QUESTION = "how much does a freelancer cost"


# ----- harness ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches the internet: only 127.0.0.1 resolves, and the default gateway is a dead local port."""
    real_getaddrinfo = socket.getaddrinfo

    def local_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", "localhost", b"127.0.0.1", b"localhost"):
            raise OSError(f"test tried to reach {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)
    # run_bot points Route.BASE at the fake; monkeypatch restores discord.com afterwards.
    monkeypatch.setattr(discord.http.Route, "BASE", "http://127.0.0.1:9/api/v10")
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL("ws://127.0.0.1:9/"))


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A fresh fake Discord with one server."""
    async with FakeDiscord() as server:
        yield server


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


# ----- slash commands -----------------------------------------------------------------------------


async def test_ask_answers_with_an_embed_and_buttons(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake):
        assert {c["name"] for c in fake.commands["global"]} == {"ask", "topics", "forget", "about", "reload", "stats"}
        [sent] = await ask(fake, PRICING_QUESTION)
    assert sent.route == "callback" and sent.callback_type == 4 and not sent.ephemeral
    [embed] = sent.payload["embeds"]
    assert embed["title"] == "Pricing and costs"
    assert "hourly, fixed price or retainer" in embed["description"]
    assert "footer" not in embed  # a focused answer: the sources come with the rest of the note, one "more" away
    assert any(f["name"] == "Key points" for f in embed["fields"])
    answer_id = core.store.db["questions"].rows.__next__()["answer_id"]
    assert sent.custom_ids[:2] == [f"ob:fb:+:{answer_id}", f"ob:fb:-:{answer_id}"]
    assert "ob:t:contracts" in sent.custom_ids
    assert sent.payload["allowed_mentions"] == NO_PINGS
    assert fake.rejected == []


async def test_a_thumbs_up_press_is_stored(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake):
        [answer] = await ask(fake, PRICING_QUESTION)
        thumbs_up = answer.custom_ids[0]
        press = await fake.press(thumbs_up, BOB, on=answer)
        await fake.wait_for(lambda: bool(fake.sent_for(press)), what="the feedback acknowledgement")
    [ack] = fake.sent_for(press)
    assert ack.ephemeral and "👍" in ack.text
    assert core.store.stats().up == 1 and core.store.stats().down == 0


async def test_buttons_keep_working_after_a_restart(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake):
        [answer] = await ask(fake, PRICING_QUESTION)
    async with running(core, fake):  # a new process: nothing of the first run is in memory
        press = await fake.press(answer.custom_ids[1], BOB, on=answer)
        await fake.wait_for(lambda: bool(fake.sent_for(press)), what="the feedback acknowledgement")
    assert core.store.stats().down == 1
    assert len(fake.identifies) == 2


async def test_a_topic_button_answers_with_that_note(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake):
        [answer] = await ask(fake, PRICING_QUESTION)
        press = await fake.press("ob:t:contracts", ALICE, on=answer)
        await fake.wait_for(lambda: bool(fake.sent_for(press)), what="the topic answer")
    [topic] = fake.sent_for(press)
    [embed] = topic.payload["embeds"]
    assert embed["title"] == "Contracts"
    assert any(f["name"] == "Please note" and "Not legal or tax advice" in f["value"] for f in embed["fields"])
    assert any(cid.startswith("ob:fb:+:") for cid in topic.custom_ids)
    assert not topic.ephemeral


async def test_topics_lists_every_topic_privately_with_buttons(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake):
        interaction = await fake.slash("topics", ALICE)
        await fake.wait_for(lambda: bool(fake.sent_for(interaction)), what="/topics")
    [sent] = fake.sent_for(interaction)
    assert sent.ephemeral
    assert sorted(sent.custom_ids) == ["ob:t:chasm", "ob:t:contracts", "ob:t:pricing"]


async def test_forget_deletes_the_users_data_privately(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake):
        await ask(fake, PRICING_QUESTION)
        await ask(fake, "what is the chasm", user=BOB)
        interaction = await fake.slash("forget", ALICE)
        await fake.wait_for(lambda: bool(fake.sent_for(interaction)), what="/forget")
    [sent] = fake.sent_for(interaction)
    assert sent.ephemeral and "deleted everything stored about you" in sent.text
    remaining = {row["user_hash"] for row in core.store.db["questions"].rows}
    assert remaining == {core.store.hash_id("discord", BOB["id"])}


# ----- admin commands -----------------------------------------------------------------------------


async def test_reload_is_refused_politely_to_non_admins(core: Core, fake: FakeDiscord, tiny_knowledge: Path) -> None:
    write_note(
        tiny_knowledge,
        "retainers",
        "Retainers",
        ["what is a retainer", "how do retainers work", "monthly retainer hours"],
        "A retainer buys a block of hours each month.",
    )
    async with running(core, fake):
        interaction = await fake.slash("reload", BOB)
        await fake.wait_for(lambda: bool(fake.sent_for(interaction)), what="the refusal")
    [sent] = fake.sent_for(interaction)
    assert sent.ephemeral and sent.text == refusal_reply("reload").text  # the words come from the core's template
    assert "retainers" not in core.kb.notes


async def test_reload_by_an_admin_loads_the_new_notes(core: Core, fake: FakeDiscord, tiny_knowledge: Path) -> None:
    write_note(
        tiny_knowledge,
        "retainers",
        "Retainers",
        ["what is a retainer", "how do retainers work", "monthly retainer hours"],
        "A retainer buys a block of hours each month.",
    )
    async with running(core, fake):
        interaction = await fake.slash("reload", ADMIN)
        await fake.wait_for(lambda: bool(fake.sent_for(interaction)), timeout=15, what="the reload summary")
    [sent] = fake.sent_for(interaction)
    assert interaction in fake.sent_defers  # deferred first: a rebuild can outlast Discord's 3 seconds
    assert sent.route == "followup" and sent.ephemeral
    assert sent.text.startswith("Knowledge reloaded")
    assert "retainers" in core.kb.notes


async def test_stats_for_members_of_the_admin_role(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake, admin_ids=frozenset(), admin_role_ids=frozenset({ADMIN_ROLE_ID})):
        await ask(fake, PRICING_QUESTION)
        refused = await fake.slash("stats", BOB)
        allowed = await fake.slash("stats", BOB, roles=[ADMIN_ROLE_ID])
        await fake.wait_for(lambda: bool(fake.sent_for(refused)) and bool(fake.sent_for(allowed)), what="/stats")
    assert fake.sent_for(refused)[0].text == refusal_reply("stats").text
    [stats] = fake.sent_for(allowed)
    assert stats.ephemeral and "Questions: 1" in stats.text


async def test_markdown_in_users_questions_never_renders_in_stats(core: Core, fake: FakeDiscord) -> None:
    """A question is shown as typed: its masked link, bold or spoiler stay text in the /stats embed."""
    phish = "[your bot token leaked, rotate it here](https://evil.example/rotate)"
    async with running(core, fake):
        await ask(fake, phish)
        await ask(fake, "zqx ||fnord|| qwv")
        interaction = await fake.slash("stats", ADMIN)
        await fake.wait_for(lambda: bool(fake.sent_for(interaction)), what="/stats")
    [stats] = fake.sent_for(interaction)
    description = stats.payload["embeds"][0]["description"]
    assert stats.ephemeral and "Top unanswered questions" in description
    assert re.search(r"(?<!\\)\[[^\]]*\]\(", description) is None, "no masked link Discord would render"
    assert "\\[your bot token leaked, rotate it here](https://evil.example/rotate)" in description
    assert "\\|\\|fnord\\|\\|" in description  # a spoiler stays text too


# ----- mentions and DMs ---------------------------------------------------------------------------


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


# ----- faults -------------------------------------------------------------------------------------


@pytest.fixture
def long_core(tiny_knowledge: Path, tmp_path: Path, fake_embedder: HashingEmbedder) -> Core:
    """A core with a note whose key points overflow one embed field (the note itself is valid)."""
    path = write_note(
        tiny_knowledge,
        "checklist",
        "The hiring checklist",
        ["what is on the hiring checklist", "hiring checklist items", "checklist for hiring"],
        "Work through the checklist before you hire anyone.",
    )
    # A focused reply shows up to two points within about 110 words: these are few words but long
    # ones, so the two shown are over an embed field's 1,024 characters together. The question asked
    # is the note's own, so the opening answer leads and two of the three checks follow.
    points = "\n".join(f"- Check {i}: " + "verify-the-detail-" * 40 for i in range(3))
    path.write_text(
        path.read_text().replace("- A point.", points).replace("- Second point about The hiring checklist.\n", "")
    )
    return make_core(tiny_knowledge, tmp_path / "data", embedder=fake_embedder)


async def test_key_points_longer_than_a_field_are_split_across_fields(long_core: Core, fake: FakeDiscord) -> None:
    async with running(long_core, fake):
        [sent] = await ask(fake, "what is on the hiring checklist")
    assert fake.rejected == []
    names = [f["name"] for f in sent.payload["embeds"][0]["fields"]]
    assert names[:2] == ["Key points", "Key points (more)"]
    assert sent.text.count("Check ") == 2 and all(len(f["value"]) <= 1024 for f in sent.payload["embeds"][0]["fields"])


async def test_a_reply_longer_than_a_message_is_split_into_several(
    core: Core, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    paragraphs = "\n\n".join(f"Paragraph {i}: " + "long advice words " * 40 for i in range(14))
    huge = Reply(
        ReplyKind.ANSWER,
        [
            Block(BlockKind.HEADING, "A very long answer"),
            Block(BlockKind.PARAGRAPH, paragraphs),
            Block(BlockKind.BULLETS, items=("point " * 150,) * 12, label="Key points"),
            Block(BlockKind.SOURCES, items=("Test source",), label="Sources"),
            Block(BlockKind.SUGGESTIONS, "Related topics: Contracts", label="Related topics"),
        ],
        suggestions=[Suggestion("contracts", "Contracts")],
        answer_id="a1b2c3",
    )

    async def long_answer(event: Any, channel: Any = None) -> Reply:
        if channel is not None:
            await channel.send(huge)
        return huge

    monkeypatch.setattr(core, "handle", long_answer)
    async with running(core, fake):
        interaction = await fake.slash("ask", ALICE, {"question": "tell me everything"})
        await fake.wait_for(lambda: len(fake.sent_for(interaction)) >= 3, what="the split answer")
        await asyncio.sleep(0.3)
    parts = fake.sent_for(interaction)
    assert fake.rejected == []
    assert [p.route for p in parts] == ["callback"] + ["followup"] * (len(parts) - 1)
    assert "more below" in parts[0].payload["embeds"][0]["description"]
    assert [bool(p.custom_ids) for p in parts] == [False] * (len(parts) - 1) + [True]
    text = " ".join(p.text for p in parts)
    assert "Paragraph 13:" in text and "Sources: Test source" in parts[-1].text


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


async def test_a_per_user_rate_limit_answers_privately(tiny_knowledge: Path, tmp_path: Path, fake: FakeDiscord) -> None:
    strict = make_core(tiny_knowledge, tmp_path / "d", rate_limit=1)
    async with running(strict, fake):
        await ask(fake, PRICING_QUESTION)
        [limited] = await ask(fake, PRICING_QUESTION)
        [other_user] = await ask(fake, PRICING_QUESTION, user=BOB)
    assert limited.ephemeral and "faster than I can keep up" in limited.text
    assert other_user.payload["embeds"][0]["title"] == "Pricing and costs"


async def test_presses_forget_and_mentions_are_rate_limited_with_one_notice(
    tiny_knowledge: Path, tmp_path: Path, fake: FakeDiscord
) -> None:
    """Every kind of event passes the core's one pacing gate; a limited user gets one notice per window."""
    strict = make_core(tiny_knowledge, tmp_path / "d", rate_limit=2)
    async with running(strict, fake):
        [answer] = await ask(fake, PRICING_QUESTION, user=BOB)
        presses = [await fake.press(answer.custom_ids[i % 2], ALICE, on=answer) for i in range(12)]
        forgets = [await fake.slash("forget", BOB) for _ in range(6)]
        for _ in range(12):
            await fake.send_message(f"<@{BOT_ID}> what is the chasm", ADMIN, mentions=[BOT_USER])
        await fake.wait_for(
            lambda: sum(s.route == "channel" for s in fake.sent) >= 3, what="the mention answers and the notice"
        )
        await asyncio.sleep(1.0)  # room for replies that should not come
    pressed = [fake.sent_for(p) for p in presses]
    assert sum("Thanks" in s[0].text for s in pressed if s) == 2
    assert sum("faster than I can keep up" in s[0].text for s in pressed if s) == 1
    forgot = [fake.sent_for(f) for f in forgets]
    assert sum("deleted everything" in s[0].text for s in forgot if s) == 1  # BOB's /ask was his first event
    assert sum("faster than I can keep up" in s[0].text for s in forgot if s) == 1
    posts = [s for s in fake.sent if s.route == "channel"]
    assert len(posts) == 3, "two answers and one notice; the other nine mentions get nothing"
    assert [("faster than I can keep up" in p.text) for p in posts] == [False, False, True]


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


# ----- start-up and configuration -----------------------------------------------------------------


async def test_a_rejected_token_stops_start_up_with_a_clear_message(core: Core, fake: FakeDiscord) -> None:
    bot = DiscordBot(core, config_for(fake, token="wrong-token"))
    with pytest.raises(ConfigError, match="Discord rejected DISCORD_BOT_TOKEN"):
        await asyncio.wait_for(run_bot(bot), 10)


def test_a_missing_token_stops_start_up_with_a_clear_message() -> None:
    with pytest.raises(ConfigError, match="DISCORD_BOT_TOKEN is not set"):
        load_discord_config({})
    with pytest.raises(ConfigError, match="does not look like a Discord bot token"):
        load_discord_config({"DISCORD_BOT_TOKEN": "abc"})  # fails before the model is loaded
    shaped = "MTIzNDU2Nzg5MDEy.GaBcDe.abcdefghijklmnopqrstuvwxyz0123"
    with pytest.raises(ConfigError, match="not a Discord id"):
        load_discord_config({"DISCORD_BOT_TOKEN": shaped, "DISCORD_ADMIN_IDS": "alice"})
    config = load_discord_config(
        {
            "DISCORD_BOT_TOKEN": f" {shaped} ",
            "DISCORD_ADMIN_IDS": "1, 2",
            "DISCORD_GUILD_IDS": "3",
            "DISCORD_MESSAGE_CONTENT": "0",
            "DISCORD_ADMIN_ROLE_IDS": "4,5",
        }
    )
    assert (
        config.token == shaped
        and config.admin_ids == {1, 2}
        and config.guild_ids == (3,)
        and not config.message_content
    )
    assert config.admin_role_ids == {4, 5}
    with pytest.raises(ConfigError, match="DISCORD_ADMIN_ROLE_IDS has 'Mods'"):
        load_discord_config({"DISCORD_BOT_TOKEN": shaped, "DISCORD_ADMIN_ROLE_IDS": "Mods"})
    assert load_discord_config({"DISCORD_BOT_TOKEN": shaped, "DISCORD_ADMIN_ROLE": "Mods"}).admin_role_ids == set()
    assert "s3cret" not in repr(replace(config, token="s3cret"))


async def test_the_token_never_reaches_the_logs(
    core: Core, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # The CLI's logging set-up (run in-process by other tests) keeps the "discord" loggers at INFO.
    caplog.set_level(logging.DEBUG, logger="discord.http")
    async with running(core, fake):
        logging.getLogger("discord.http").debug("request with Authorization: Bot %s", TOKEN)
        await ask(fake, PRICING_QUESTION)
    assert "[REDACTED]" in caplog.text
    assert TOKEN not in caplog.text


async def test_guild_ids_sync_commands_to_those_guilds_only(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake, guild_ids=(GUILD_ID,)):
        [sent] = await ask(fake, PRICING_QUESTION)
    assert "global" not in fake.commands
    assert {c["name"] for c in fake.commands[str(GUILD_ID)]} >= {"ask", "reload"}
    assert sent.payload["embeds"][0]["title"] == "Pricing and costs"


# ----- serve ----------------------------------------------------------------------------------------


def test_serve_runs_the_platforms_whose_token_is_set() -> None:
    assert [p.name for p in configured(PLATFORMS, {"DISCORD_BOT_TOKEN": "x"})] == ["discord"]
    assert [p.name for p in configured(PLATFORMS, {"DISCORD_BOT_TOKEN": "x", "TELEGRAM_BOT_TOKEN": "1:y"})] == [
        "telegram",
        "discord",
    ]
    assert configured(PLATFORMS, {"DISCORD_BOT_TOKEN": " "}) == []


async def test_serve_shares_one_core_and_stops_every_platform(
    core: Core, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DISCORD_API_URL", fake.api_url)
    discord_platform = next(p for p in PLATFORMS if p.name == "discord")
    seen: list[Core] = []

    async def other_platform(shared: Core, stop: asyncio.Event) -> None:
        seen.append(shared)
        await stop.wait()

    stop = asyncio.Event()
    async with asyncio.timeout(TEST_TIMEOUT):
        serving = asyncio.create_task(
            serve_platforms(core, {"discord": discord_platform.prepare(), "other": other_platform}, stop)
        )
        await fake.wait_for(
            lambda: bool(fake.identifies) and "global" in fake.commands, what="the Discord bot to connect"
        )
        [answer] = await ask(fake, PRICING_QUESTION)
        stop.set()
        await serving
    assert seen == [core]
    assert answer.payload["embeds"][0]["title"] == "Pricing and costs"
    assert core.store.count("questions") == 1


# ----- rendering ----------------------------------------------------------------------------------

_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=9000)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    answer=_text,
    points=st.lists(st.text(min_size=1, max_size=1500), max_size=60),
    refs=st.lists(st.text(min_size=1, max_size=400), max_size=12),
    kind=st.sampled_from(["answer", "fallback", "help", "topics", "forgotten", "error"]),
)
def test_every_rendered_part_is_within_discords_limits(
    answer: str, points: list[str], refs: list[str], kind: str
) -> None:
    reply = Reply(
        ReplyKind(kind),
        [
            Block(BlockKind.HEADING, "T" * 300),
            Block(BlockKind.PARAGRAPH, answer or "x"),
            Block(BlockKind.BULLETS, items=tuple(points), label="Key points"),
            Block(BlockKind.DISCLAIMER, "Not advice."),
            Block(BlockKind.SOURCES, items=tuple(refs), label="Sources"),
            Block(BlockKind.SUGGESTIONS, label="Related topics"),
        ],
        suggestions=[Suggestion(f"n{i}", "topic " * 30) for i in range(30)],
        answer_id="abc123",
    )
    parts = render_reply(reply)
    view = build_view(reply)
    assert 1 <= len(parts) <= 6
    for number, part in enumerate(parts, 1):
        payload: dict[str, Any] = {"content": part.content, "embeds": [part.embed.to_dict()] if part.embed else []}
        if view is not None and number == len(parts):
            payload["components"] = view.to_components()
        assert message_errors(payload) == {}


def test_serve_drives_telegram_through_its_public_entry_points() -> None:
    pytest.importorskip("telegram")
    import inspect

    from adapters.telegram import app

    assert list(inspect.signature(app.build_application).parameters)[:2] == ["core", "config"]
    assert list(inspect.signature(app.running).parameters) == ["app", "config"]


# ----- review fixes: admins, the event loop, paging, deferral, role mentions, redaction ---------------


async def test_the_admin_role_of_one_server_grants_nothing_in_another(core: Core) -> None:
    other_guild = GUILD_ID + (1 << 22)  # a server anyone could create, with a role of the same name
    async with FakeDiscord(guild_ids=(GUILD_ID, other_guild)) as fake:
        async with running(core, fake, admin_ids=frozenset(), admin_role_ids=frozenset({ADMIN_ROLE_ID})):
            faked = await fake.slash("stats", BOB, guild_id=other_guild, roles=[admin_role_for(other_guild)])
            trusted = await fake.slash("stats", BOB, guild_id=GUILD_ID, roles=[admin_role_for(GUILD_ID)])
            await fake.wait_for(
                lambda: bool(fake.sent_for(faked)) and bool(fake.sent_for(trusted)), what="/stats twice"
            )
        async with running(core, fake):  # no admin roles; ADMIN is in DISCORD_ADMIN_IDS
            unlisted = await fake.slash("stats", BOB, guild_id=GUILD_ID, roles=[admin_role_for(GUILD_ID)])
            by_id = await fake.slash("reload", ADMIN, guild_id=other_guild)
            await fake.wait_for(
                lambda: bool(fake.sent_for(unlisted)) and bool(fake.sent_for(by_id)),
                timeout=15,
                what="/stats and /reload",
            )
    refusal = refusal_reply("stats").text
    assert fake.sent_for(faked)[0].text == refusal
    assert "Questions: 0" in fake.sent_for(trusted)[0].text
    assert fake.sent_for(unlisted)[0].text == refusal
    assert fake.sent_for(by_id)[0].text.startswith("Knowledge reloaded")  # DISCORD_ADMIN_IDS work in any server
    permissions = {c["name"]: c["default_member_permissions"] for c in fake.commands["global"]}
    manage_guild = str(discord.Permissions(manage_guild=True).value)
    assert str(permissions["reload"]) == str(permissions["stats"]) == manage_guild
    assert permissions["ask"] is None and permissions["topics"] is None


async def test_a_role_with_the_admin_roles_name_grants_nothing(core: Core, fake: FakeDiscord) -> None:
    """Only the configured role id counts: a second "Outsource Admins" role in the same server is just a name."""
    async with running(core, fake, admin_ids=frozenset(), admin_role_ids=frozenset({ADMIN_ROLE_ID})):
        same_name = await fake.slash("stats", BOB, roles=[same_name_role_for(GUILD_ID)])
        by_id = await fake.slash("stats", ALICE, roles=[ADMIN_ROLE_ID])
        await fake.wait_for(lambda: bool(fake.sent_for(same_name)) and bool(fake.sent_for(by_id)), what="/stats")
    [sent] = fake.sent_for(same_name)
    assert sent.text == refusal_reply("stats").text
    assert "Questions: 0" in fake.sent_for(by_id)[0].text


class Gate:
    """Holds one blocking store call until the test opens it, noting whether it was opened in time.

    The test opens it from the event loop. If the bot made the call in the event loop
    itself, the test cannot run until the call gives up waiting: `opened_in_time` is False.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: object, name: str, patience: float = 4.0) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()
        self.opened_in_time: list[bool] = []
        real = getattr(owner, name)

        def held(*args: Any, **kwargs: Any) -> Any:
            self.entered.set()
            self.opened_in_time.append(self.opened.wait(patience))
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, held)


@pytest.mark.parametrize(
    ("store_call", "act"),
    [
        ("record_feedback", lambda fake: fake.press("ob:fb:+:abc123", ALICE)),
        ("record_question", lambda fake: fake.press("ob:t:contracts", ALICE)),
        ("forget_user", lambda fake: fake.slash("forget", ALICE)),
        ("stats", lambda fake: fake.slash("stats", ADMIN)),
    ],
    ids=["thumbs-up", "topic-button", "forget", "stats"],
)
async def test_database_work_never_blocks_the_event_loop(
    core: Core, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch, store_call: str, act: Any
) -> None:
    async with running(core, fake):
        gate = Gate(monkeypatch, core.store, store_call)
        try:
            interaction = await act(fake)
            await fake.wait_for(gate.entered.is_set, what=f"the bot to call store.{store_call}")
            # The loop stays free while the database works, so the bot defers before Discord's 3 s run out.
            await fake.wait_for(lambda: interaction in fake.sent_defers, what="a defer while the database works")
        finally:
            gate.opened.set()
        await fake.wait_for(lambda: bool(fake.sent_for(interaction)), what="the reply after the database work")
    assert gate.opened_in_time == [True]
    [reply] = fake.sent_for(interaction)
    assert reply.route == "followup" and reply.replaced_defer


@pytest.fixture
def big_core(tmp_path: Path, fake_embedder: HashingEmbedder) -> Core:
    """A core with 40 notes: more topics than one message has room for buttons."""
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(40):
        write_note(
            folder,
            f"topic-{i:02d}",
            f"Topic {i:02d}",
            [f"question {i} one", f"question {i} two", f"question {i} three"],
            f"Answer {i}.",
        )
    return make_core(folder, tmp_path / "data", embedder=fake_embedder)


async def test_topics_are_paged_so_every_topic_gets_a_button(big_core: Core, fake: FakeDiscord) -> None:
    async with running(big_core, fake):
        interaction = await fake.slash("topics", ALICE)
        await fake.wait_for(lambda: bool(fake.sent_for(interaction)), what="/topics")
        [first] = fake.sent_for(interaction)
        press = await fake.press("ob:tp:1", ALICE, on=first)
        await fake.wait_for(lambda: bool(fake.sent_for(press)), what="page 2")
        [second] = fake.sent_for(press)
    async with running(big_core, fake):  # the page buttons survive a restart like the others
        again = await fake.press("ob:tp:0", ALICE)
        await fake.wait_for(lambda: bool(fake.sent_for(again)), what="page 1 after a restart")
        last = await fake.press("ob:t:topic-39", ALICE)
        await fake.wait_for(lambda: bool(fake.sent_for(last)), what="the last topic's answer")
    assert fake.rejected == []
    assert first.ephemeral and second.route == "update" and second.callback_type == 7
    topic_ids = [c for c in first.custom_ids + second.custom_ids if c.startswith("ob:t:")]
    assert sorted(topic_ids) == [f"ob:t:topic-{i:02d}" for i in range(40)]
    assert [c for c in first.custom_ids if c.startswith("ob:tp:")] == ["ob:tp:1"]
    assert [c for c in second.custom_ids if c.startswith("ob:tp:")] == ["ob:tp:0"]
    assert fake.sent_for(again)[0].custom_ids == first.custom_ids
    assert fake.sent_for(last)[0].payload["embeds"][0]["title"] == "Topic 39"


async def test_a_button_whose_topic_is_gone_says_it_expired(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake):
        press = await fake.press("ob:t:removed-note", ALICE)
        await fake.wait_for(lambda: bool(fake.sent_for(press)), what="the expired-button reply")
    [sent] = fake.sent_for(press)
    assert sent.ephemeral and sent.text == expired_reply().text
    assert core.store.count("questions") == 0


def slowly(monkeypatch: pytest.MonkeyPatch, core: Core, fail: bool = False) -> None:
    """Make core.handle take longer than the bot waits before deferring (and optionally fail after that)."""
    real = core.handle

    async def slow(event: Any, channel: Any = None) -> Reply:
        await asyncio.sleep(DEFER_AFTER + 0.5)
        if fail:
            raise RuntimeError("index exploded late")
        return await real(event, channel)

    monkeypatch.setattr(core, "handle", slow)


async def test_an_apology_after_a_public_defer_stays_private(
    core: Core, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    slowly(monkeypatch, core, fail=True)
    async with running(core, fake):
        interaction = await fake.slash("ask", ALICE, {"question": PRICING_QUESTION})
        await fake.wait_for(lambda: bool(fake.sent_for(interaction)), what="the apology")
    assert interaction in fake.sent_defers and not fake._interactions[interaction]["ephemeral"]  # "thinking..." for all
    assert fake.deleted_originals == [interaction]
    [apology] = fake.sent_for(interaction)
    assert apology.route == "followup" and apology.payload["flags"] & 64 and not apology.replaced_defer
    assert "something went wrong" in apology.text
    webhook = f"/api/v10/webhooks/{APP_ID}/itoken-{interaction}"
    assert fake.requests.index(("DELETE", f"{webhook}/messages/@original")) < fake.requests.index(("POST", webhook))


async def test_a_rate_limit_notice_after_a_public_defer_stays_private(
    tiny_knowledge: Path, tmp_path: Path, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    strict = make_core(tiny_knowledge, tmp_path / "d", rate_limit=1)
    slowly(monkeypatch, strict)
    async with running(strict, fake):
        [answer] = await ask(fake, PRICING_QUESTION)
        [limited] = await ask(fake, PRICING_QUESTION)
    _first, second = fake.sent_defers
    assert answer.replaced_defer and not answer.ephemeral  # a public answer simply fills in "thinking..."
    assert answer.payload["embeds"][0]["title"] == "Pricing and costs"
    assert fake.deleted_originals == [second]
    assert limited.interaction_id == second and limited.payload["flags"] & 64 and not limited.replaced_defer
    assert "faster than I can keep up" in limited.text


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


def test_serve_never_prints_a_token_from_a_failing_platform(
    core: Core, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from adapters.cli import main
    from adapters.discord import client

    caplog.set_level(logging.DEBUG)

    async def failing_run_bot(bot: DiscordBot) -> None:
        raise RuntimeError(f"could not connect to wss://gateway.example/?token={TOKEN}")

    monkeypatch.setenv("DISCORD_BOT_TOKEN", TOKEN)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setattr(client, "run_bot", failing_run_bot)  # the Discord platform's runner fails, quoting the token
    monkeypatch.setattr(Core, "start", classmethod(lambda cls, *args, **kwargs: core))
    monkeypatch.setattr("bot.config.load_settings", lambda: core.settings)
    assert main(["serve"]) == 1
    err = capsys.readouterr().err
    assert (
        "error: discord failed first: RuntimeError: could not connect to wss://gateway.example/?token=[REDACTED]" in err
    )
    assert TOKEN not in err and TOKEN not in caplog.text


def test_the_token_filter_scrubs_stack_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    logger = logging.getLogger("discord.client")
    with redacting([TOKEN]):
        record = logger.makeRecord(
            logger.name,
            logging.WARNING,
            __file__,
            1,
            "connecting",
            (),
            None,
            sinfo=f'Stack (most recent call last):\n  File "x.py", line 1, in start\n    login("{TOKEN}")',
        )
        logger.handle(record)
    assert "connecting" in caplog.text and 'login("[REDACTED]")' in caplog.text
    assert TOKEN not in caplog.text


async def test_serve_runs_telegram_and_discord_for_real_on_one_core(
    core: Core, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("telegram")
    from adapters.redaction import install_redaction, remove_redaction
    from tests.adapters.fake_telegram import TOKEN as TELEGRAM_TOKEN
    from tests.adapters.fake_telegram import FakeTelegram

    telegram_user = 1001
    telegram = await FakeTelegram().start()
    for name, value in {
        "DISCORD_BOT_TOKEN": TOKEN,
        "DISCORD_API_URL": fake.api_url,
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_API_URL": telegram.base_url,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    stop = asyncio.Event()
    try:
        runners = {p.name: p.prepare() for p in configured(PLATFORMS)}
        assert list(runners) == ["telegram", "discord"]
        async with asyncio.timeout(TEST_TIMEOUT):
            serving = asyncio.create_task(serve_platforms(core, runners, stop))
            await fake.wait_for(
                lambda: bool(fake.identifies) and "global" in fake.commands, what="the Discord bot to connect"
            )
            [answer] = await ask(fake, PRICING_QUESTION)
            telegram.push_private(telegram_user, "what is the chasm")
            [reply] = await telegram.wait_for(lambda: telegram.sent_to(telegram_user))
            stop.set()
            await serving
    finally:
        stop.set()
        remove_redaction(install_redaction([TELEGRAM_TOKEN]))
        await telegram.close()
    assert answer.payload["embeds"][0]["title"] == "Pricing and costs"
    assert "Crossing the chasm" in reply["text"]
    assert core.store.count("questions") == 2
    assert {row["platform"] for row in core.store.db["questions"].rows} == {"discord", "telegram"}


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
