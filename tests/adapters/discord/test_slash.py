"""The slash commands (adapters/discord/slash.py): /ask, /topics, /forget, and /reload and /stats for admins only."""

from __future__ import annotations

from pathlib import Path

import discord

from bot.conversation.answers import refusal_reply
from bot.conversation.core import Core
from tests.adapters.discord.harness import ADMIN, ALICE, BOB, NO_PINGS, PRICING_QUESTION, ask, running
from tests.adapters.fake_discord import ADMIN_ROLE_ID, GUILD_ID, FakeDiscord, admin_role_for, same_name_role_for
from tests.conftest import write_note


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
