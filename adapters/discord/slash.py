"""The slash commands: /ask, /topics, /forget, /about, and for admins /reload and /stats.

Each command only translates: it hands the work to the core's async forms (so
database work runs in a worker thread, never in the event loop) and the reply
to `DiscordBot.respond`, which defers when the core is slow. /reload and /stats
also carry `default_permissions(manage_guild=True)`, so Discord hides them from
members who cannot manage the server; the bot still checks `is_admin` itself,
because server owners can override those defaults.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from adapters.discord.render import render_text

if TYPE_CHECKING:
    from adapters.discord.client import DiscordBot

PLATFORM = "discord"
COMMANDS_TEXT = (
    "On Discord: /ask a question, /topics to browse, /about for this help, /forget to delete what I stored about you. "
    "You can also mention me in a channel or send me a direct message."
)


@app_commands.command(name="ask", description="Ask about outsourcing or Geoffrey Moore's strategy ideas")
@app_commands.describe(question="Your question, in plain words")
async def ask_command(interaction: discord.Interaction[DiscordBot], question: str) -> None:
    """/ask question: answer with an embed and buttons."""
    bot = interaction.client
    await bot.respond(interaction, bot.core.handle(bot.message_for(interaction.user, interaction.channel_id, question)))


@app_commands.command(name="topics", description="List the topics I can help with")
async def topics_command(interaction: discord.Interaction[DiscordBot]) -> None:
    """/topics: the list of topics, as pages of buttons, visible only to the asker."""
    await interaction.client.respond(interaction, interaction.client.core.topics_reply(), ephemeral=True)


@app_commands.command(name="forget", description="Delete everything I stored about you")
async def forget_command(interaction: discord.Interaction[DiscordBot]) -> None:
    """/forget: delete the user's stored questions and feedback; the confirmation is private."""
    bot = interaction.client
    await bot.respond(interaction, bot.core.forget_async(PLATFORM, str(interaction.user.id)), ephemeral=True)


@app_commands.command(name="about", description="What I do and how to use me")
async def about_command(interaction: discord.Interaction[DiscordBot]) -> None:
    """/about: the help text, visible only to the asker."""
    await interaction.client.respond(interaction, interaction.client.core.help_reply(COMMANDS_TEXT), ephemeral=True)


async def _admin_only(interaction: discord.Interaction[DiscordBot], command: str) -> bool:
    """True for an admin; anyone else gets the core's polite refusal, privately."""
    bot = interaction.client
    if bot.is_admin(interaction.user, interaction.guild_id):
        return True
    await bot.respond(interaction, bot.core.refusal(command), ephemeral=True)
    return False


@app_commands.command(name="reload", description="Maintainers: reload the knowledge notes")
@app_commands.default_permissions(manage_guild=True)
async def reload_command(interaction: discord.Interaction[DiscordBot]) -> None:
    """/reload (admins): reload the knowledge folder; a broken note keeps the old index in service."""
    bot = interaction.client
    if not await _admin_only(interaction, "reload"):
        return
    # An index rebuild can outlast Discord's 3 seconds: acknowledge before starting it.
    await interaction.response.defer(ephemeral=True, thinking=True)
    result = await bot.core.reload_async()
    await bot.send_to_interaction(interaction, render_text(result.summary()), None, ephemeral=True)


@app_commands.command(name="stats", description="Maintainers: usage figures and top unanswered questions")
@app_commands.default_permissions(manage_guild=True)
async def stats_command(interaction: discord.Interaction[DiscordBot]) -> None:
    """/stats (admins): headline usage figures."""
    bot = interaction.client
    if not await _admin_only(interaction, "stats"):
        return
    await bot.respond(interaction, bot.core.stats_async(), ephemeral=True)


SLASH_COMMANDS: tuple[app_commands.Command[Any, ..., None], ...] = (
    ask_command,
    topics_command,
    forget_command,
    about_command,
    reload_command,
    stats_command,
)
"""Every slash command, in the order they are registered."""
