"""The slash commands: /ask, /topics, /forget, /about, and for admins /reload and /stats.

The commands are a cog that holds the client (and through it the core): each command only
translates the interaction to a core event and hands it to `DiscordBot.respond`, which
defers when the core is slow. /reload and /stats carry one `app_commands.check`, the admin
gate; a refused user gets the core's polite refusal (see `DiscordBot.on_app_command_error`).
They also carry `default_permissions(manage_guild=True)`, so Discord hides them from members
who cannot manage the server; the gate still runs, because server owners can override those
defaults.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.conversation.events import Command, CommandName, Forget
from bot.messages import Message

if TYPE_CHECKING:
    from adapters.discord.client import DiscordBot

PLATFORM = "discord"
COMMANDS_TEXT = (
    "On Discord: /ask a question, /topics to browse, /about for this help, /forget to delete what I stored about you. "
    "You can also mention me in a channel or send me a direct message."
)


def _is_admin(interaction: discord.Interaction[DiscordBot]) -> bool:
    return interaction.client.is_admin(interaction.user, interaction.guild_id)


admin_only = app_commands.check(_is_admin)
"""The admin gate: DISCORD_ADMIN_IDS users, or members of a DISCORD_ADMIN_ROLE_IDS role."""


class SlashCommands(commands.Cog):
    """Every slash command, around the client that serves them.

    Args:
        bot: The client; its `respond` sends the core's reply.
    """

    def __init__(self, bot: DiscordBot) -> None:
        self.bot = bot

    def _who(self, interaction: discord.Interaction[Any]) -> tuple[str, str]:
        chat = interaction.channel_id if interaction.channel_id is not None else interaction.user.id
        return str(interaction.user.id), str(chat)

    async def command(self, interaction: discord.Interaction[Any], name: CommandName, *, admin: bool) -> None:
        """Hand a command to the core, privately."""
        event = Command(name, *self._who(interaction), PLATFORM, admin=admin)
        await self.bot.respond(interaction, event, ephemeral=True)

    @app_commands.command(name="ask", description="Ask about outsourcing or Geoffrey Moore's strategy ideas")
    @app_commands.describe(question="Your question, in plain words")
    async def ask(self, interaction: discord.Interaction[Any], question: str) -> None:
        """/ask question: answer with an embed and buttons."""
        await self.bot.respond(interaction, Message(question, *self._who(interaction), PLATFORM))

    @app_commands.command(name="topics", description="List the topics I can help with")
    async def topics(self, interaction: discord.Interaction[Any]) -> None:
        """/topics: the list of topics, as pages of buttons, visible only to the asker."""
        await self.command(interaction, CommandName.TOPICS, admin=False)

    @app_commands.command(name="forget", description="Delete everything I stored about you")
    async def forget(self, interaction: discord.Interaction[Any]) -> None:
        """/forget: delete the user's stored questions and feedback; the confirmation is private."""
        await self.bot.respond(interaction, Forget(*self._who(interaction), PLATFORM), ephemeral=True)

    @app_commands.command(name="about", description="What I do and how to use me")
    async def about(self, interaction: discord.Interaction[Any]) -> None:
        """/about: the help text, visible only to the asker."""
        await self.command(interaction, CommandName.HELP, admin=False)

    @app_commands.command(name="reload", description="Maintainers: reload the knowledge notes")
    @app_commands.default_permissions(manage_guild=True)
    @admin_only
    async def reload(self, interaction: discord.Interaction[Any]) -> None:
        """/reload (admins): reload the knowledge folder; a broken note keeps the old index in service."""
        # An index rebuild can outlast Discord's 3 seconds: acknowledge before starting it.
        await self.bot.defer(interaction, ephemeral=True)
        await self.command(interaction, CommandName.RELOAD, admin=True)

    @app_commands.command(name="stats", description="Maintainers: usage figures and top unanswered questions")
    @app_commands.default_permissions(manage_guild=True)
    @admin_only
    async def stats(self, interaction: discord.Interaction[Any]) -> None:
        """/stats (admins): headline usage figures."""
        await self.command(interaction, CommandName.STATS, admin=True)


ADMIN_COMMANDS = {"reload": CommandName.RELOAD, "stats": CommandName.STATS}
"""The gated commands, by slash name (a refused one still reaches the core, which answers the refusal)."""
