"""The Discord client: mentions and DMs, buttons, sending, one error boundary.

The slash commands live in `adapters.discord.slash` (a cog the client holds), the
buttons in `adapters.discord.views`; both hand their work back to `DiscordBot`, which
turns it into one core event (`Core.handle`) and renders the reply once.

The client is an `AutoShardedClient`, so a bot in thousands of servers needs no
changes: Discord's `/gateway/bot` says how many shards to open. It asks for the
`guilds`, `guild_messages` and `dm_messages` intents, never the privileged
members intent. The privileged message content intent is requested only so
mentions in channels and direct messages can be read (DISCORD_MESSAGE_CONTENT=0
turns the request off; see docs/discord.md); slash commands and buttons work
without it.

Every send passes `allowed_mentions=AllowedMentions.none()` (and the client has
it as its default), so a question holding `@everyone`, `@here` or a role mention
can never ping anyone. Rate limits (HTTP 429) are left to discord.py, which
waits them out and retries.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from typing import Any

import discord
from discord import app_commands

from adapters.discord.channels import TOPICS_PAGE, InteractionChannel, MessageChannel
from adapters.discord.config import DiscordConfig
from adapters.discord.render import Part, render_text
from adapters.discord.slash import ADMIN_COMMANDS, COMMANDS_TEXT, PLATFORM, SlashCommands
from adapters.discord.views import DYNAMIC_ITEMS
from adapters.redaction import redacting
from bot.config import ConfigError
from bot.conversation.core import Core
from bot.conversation.events import Command, CommandName, Event, MorePress, Rating, TopicPress
from bot.messages import Message
from bot.replies.render import render

log = logging.getLogger(__name__)


def _not_about_voice(record: logging.LogRecord) -> bool:
    # discord.py warns at every start that voice libraries are missing; this bot sends no voice.
    return "voice will NOT be supported" not in record.getMessage()


logging.getLogger("discord.client").addFilter(_not_about_voice)

__all__ = ["COMMANDS_TEXT", "PLATFORM", "DiscordBot", "make_intents", "point_rest_api_at", "run_bot", "run_discord"]

NO_MENTIONS = discord.AllowedMentions.none()
DEFER_AFTER = 1.0
"""Seconds to wait for an answer before deferring: Discord voids an interaction not answered within 3 s,
and the defer itself is a round trip that can take a second on a busy day."""

PUBLIC_DEFER = "outsourcebot.public_defer"
"""`Interaction.extras` key: set while a public "thinking..." response waits for its first follow-up."""


def make_intents(config: DiscordConfig) -> discord.Intents:
    """The gateway intents the bot needs: no members intent; message content only when configured."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = config.message_content
    return intents


class DiscordBot(discord.AutoShardedClient):
    """outsourcebot on Discord; translates between Discord and the shared core.

    Args:
        core: The shared engine (may serve other platforms in the same process).
        config: Checked Discord settings.
        **options: Passed to `discord.AutoShardedClient` (tests pass `guild_ready_timeout`).
    """

    def __init__(self, core: Core, config: DiscordConfig, **options: Any) -> None:
        options.setdefault("allowed_mentions", NO_MENTIONS)
        super().__init__(intents=make_intents(config), **options)
        self.core = core
        self.config = config
        self.tree: app_commands.CommandTree[DiscordBot] = app_commands.CommandTree(self)
        self.tree.error(self.on_app_command_error)
        self.commands = SlashCommands(self)
        for command in self.commands.get_app_commands():
            self.tree.add_command(command)
        core.platform_commands[PLATFORM] = COMMANDS_TEXT

    # ----- start-up ------------------------------------------------------------------------

    async def setup_hook(self) -> None:
        """Register the persistent buttons and sync slash commands (to DISCORD_GUILD_IDS when set)."""
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """Publish the slash commands: to each configured guild at once, else globally."""
        if not self.config.guild_ids:
            synced = await self.tree.sync()
            log.info("synced %d global slash commands", len(synced))
            return
        for guild_id in self.config.guild_ids:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            try:
                synced = await self.tree.sync(guild=guild)
            except discord.HTTPException as exc:
                # One server that removed the bot must not stop the others.
                log.error("could not sync slash commands to guild %s: %s", guild_id, exc)
            else:
                log.info("synced %d slash commands to guild %s", len(synced), guild_id)

    async def on_ready(self) -> None:
        """Log who we are once every shard is ready."""
        log.info("Discord ready as %s in %d servers on %s shard(s)", self.user, len(self.guilds), self.shard_count)

    # ----- translation ---------------------------------------------------------------------

    def message_for(self, user: discord.abc.User, chat_id: int | None, text: str) -> Message:
        """The neutral message for text from a Discord user in a channel (or DM)."""
        return Message(text, str(user.id), str(chat_id if chat_id is not None else user.id), PLATFORM)

    def is_admin(self, user: discord.abc.User, guild_id: int | None) -> bool:
        """True for DISCORD_ADMIN_IDS users, and for members of a DISCORD_ADMIN_ROLE_IDS role.

        Roles are compared by id, never by name: anyone who may manage roles (in the
        operator's server, or in a server of their own that the bot joined) can make a
        role called "Outsource Admins", but Discord gives each role its own id.

        Args:
            user: Who ran the command (a `Member` in a server).
            guild_id: The server it was run in; None in a direct message.
        """
        if user.id in self.config.admin_ids:
            return True
        if not self.config.admin_role_ids or guild_id is None:
            return False
        if not isinstance(user, discord.Member) or user.guild.id != guild_id:
            return False
        return any(role.id in self.config.admin_role_ids for role in user.roles)

    # ----- sending -------------------------------------------------------------------------

    def chat_of(self, user: discord.abc.User, chat_id: int | None) -> str:
        """The conversation id of a channel (or of a DM with `user`)."""
        return str(chat_id if chat_id is not None else user.id)

    async def respond(
        self, interaction: discord.Interaction[Any], event: Event, *, ephemeral: bool | None = None
    ) -> None:
        """Answer an interaction through the core, deferring first when the core is slow.

        Args:
            interaction: The slash command or button press.
            event: The core event it stands for.
            ephemeral: Force private (True) or public (False); by default personal kinds are private.
        """
        channel = InteractionChannel(self, interaction, ephemeral)
        task = asyncio.ensure_future(self.core.handle(event, channel))
        try:
            done, _ = await asyncio.wait({task}, timeout=DEFER_AFTER)
            if not done:
                await channel.defer()
            await task
        finally:
            task.cancel()  # a no-op once done; stops orphaned work when the defer itself failed
        await channel.close()

    async def defer(self, interaction: discord.Interaction[Any], *, ephemeral: bool) -> None:
        """Acknowledge an interaction with "thinking...", remembering when everyone can see it."""
        await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        if not ephemeral:
            interaction.extras[PUBLIC_DEFER] = True

    async def withdraw_public_defer(self, interaction: discord.Interaction[Any]) -> None:
        """Delete a public "thinking..." response, so a private reply does not land in it.

        The first follow-up after a defer replaces the deferred message and keeps its
        visibility whatever flags it carries: an apology would be shown to everyone.
        """
        if not interaction.extras.pop(PUBLIC_DEFER, False):
            return
        try:
            await interaction.delete_original_response()
        except discord.HTTPException as exc:
            log.warning("could not delete the deferred response: %s", exc)

    async def send_to_interaction(
        self, interaction: discord.Interaction[Any], parts: list[Part], view: discord.ui.View | None, *, ephemeral: bool
    ) -> None:
        """Send parts as the interaction's response and follow-ups; buttons go under the last part."""
        if ephemeral:
            await self.withdraw_public_defer(interaction)
        for number, part in enumerate(parts, 1):
            kwargs: dict[str, Any] = {"ephemeral": ephemeral, "allowed_mentions": NO_MENTIONS}
            if part.content:
                kwargs["content"] = part.content
            if part.embed is not None:
                kwargs["embed"] = part.embed
            if view is not None and number == len(parts):
                kwargs["view"] = view
            if not interaction.response.is_done():
                await interaction.response.send_message(**kwargs)
            else:
                await interaction.followup.send(**kwargs)
                interaction.extras.pop(PUBLIC_DEFER, None)

    async def send_to_channel(self, message: discord.Message, parts: list[Part], view: discord.ui.View | None) -> None:
        """Answer a message in its channel: the first part as a reply to it, buttons under the last part."""
        reference = message.to_reference(fail_if_not_exists=False)
        for number, part in enumerate(parts, 1):
            kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
            if part.content:
                kwargs["content"] = part.content
            if part.embed is not None:
                kwargs["embed"] = part.embed
            if number == 1:
                kwargs["reference"] = reference
            if view is not None and number == len(parts):
                kwargs["view"] = view
            await message.channel.send(**kwargs)

    # ----- events --------------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        """Answer direct messages and messages that mention the bot or its role; ignore everything else."""
        me = self.user
        if me is None or message.author.bot or message.author.id == me.id:
            return
        # Picking the bot in the @ menu often inserts its managed role (<@&id>) rather than the user.
        role = message.guild.self_role if message.guild is not None else None
        mentioned = me.id in message.raw_mentions or (role is not None and role.id in message.raw_role_mentions)
        if message.guild is not None and not mentioned:
            # `mentioned_in` would also be true for @everyone: answering those would be noise.
            return
        text = re.sub(rf"<@!?{me.id}>", " ", message.content)
        if role is not None:
            text = text.replace(f"<@&{role.id}>", " ")
        question = self.message_for(message.author, message.channel.id, text.strip())
        await self.core.handle(question, MessageChannel(self, message))

    async def on_feedback_press(self, interaction: discord.Interaction[Any], answer_id: str, rating: int) -> None:
        """Store a 👍/👎 against the answer and thank the presser privately."""
        try:
            user, chat = str(interaction.user.id), self.chat_of(interaction.user, interaction.channel_id)
            await self.respond(interaction, Rating(answer_id, rating, user, chat, PLATFORM), ephemeral=True)
        except Exception as exc:
            await self.fail_politely(interaction, exc, "feedback button")

    async def on_topic_press(self, interaction: discord.Interaction[Any], note_id: str) -> None:
        """Answer with the note behind a topic button, privately when the button was on a private message."""
        try:
            private = bool(interaction.message and interaction.message.flags.ephemeral)
            user, chat = str(interaction.user.id), self.chat_of(interaction.user, interaction.channel_id)
            await self.respond(
                interaction, TopicPress(note_id, user, chat, PLATFORM), ephemeral=True if private else None
            )
        except Exception as exc:
            await self.fail_politely(interaction, exc, "topic button")

    async def on_more_press(self, interaction: discord.Interaction[Any], note_id: str) -> None:
        """Show the parts of a note not yet shown in this conversation, privately when the button was private."""
        try:
            private = bool(interaction.message and interaction.message.flags.ephemeral)
            user, chat = str(interaction.user.id), self.chat_of(interaction.user, interaction.channel_id)
            await self.respond(
                interaction, MorePress(note_id, user, chat, PLATFORM), ephemeral=True if private else None
            )
        except Exception as exc:
            await self.fail_politely(interaction, exc, "more button")

    async def on_topics_page(self, interaction: discord.Interaction[Any], page: int) -> None:
        """Swap the topic buttons on the pressed message for another page of them."""
        try:
            user, chat = str(interaction.user.id), self.chat_of(interaction.user, interaction.channel_id)
            interaction.extras[TOPICS_PAGE] = page
            await self.respond(interaction, Command(CommandName.TOPICS, user, chat, PLATFORM), ephemeral=True)
        except Exception as exc:
            await self.fail_politely(interaction, exc, "topics page button")

    # ----- the error boundary --------------------------------------------------------------

    async def fail_politely(
        self, target: discord.Interaction[Any] | discord.Message | None, error: BaseException, where: str
    ) -> None:
        """Log an error from one handler and tell the user politely; the bot keeps running."""
        log.error("error in %s: %s: %s", where, type(error).__name__, error, exc_info=error)
        parts = render_text(render("error"))
        try:
            if isinstance(target, discord.Interaction):
                await self.send_to_interaction(target, parts, None, ephemeral=True)
            elif isinstance(target, discord.Message) and not target.author.bot:
                await self.send_to_channel(target, parts, None)
        except discord.HTTPException as exc:
            log.warning("could not send the apology either: %s", exc)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """Event handlers' errors (mentions, DMs) end here."""
        error = sys.exc_info()[1] or RuntimeError("unknown error")
        target = next((a for a in args if isinstance(a, (discord.Interaction, discord.Message))), None)
        await self.fail_politely(target, error, event_method)

    async def on_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Slash commands' errors end here; a failed admin check gets the core's polite refusal."""
        name = interaction.command.name if interaction.command else "unknown command"
        if isinstance(error, app_commands.CheckFailure) and name in ADMIN_COMMANDS:
            user, chat = str(interaction.user.id), self.chat_of(interaction.user, interaction.channel_id)
            await self.respond(interaction, Command(ADMIN_COMMANDS[name], user, chat, PLATFORM), ephemeral=True)
            return
        original = getattr(error, "original", error)
        await self.fail_politely(interaction, original, f"/{name}")


# ----- running ----------------------------------------------------------------------------------


def point_rest_api_at(api_url: str | None) -> None:
    """Send REST calls to `api_url` (a rate-limit proxy, or a test fake) instead of discord.com."""
    if api_url:
        discord.http.Route.BASE = api_url


async def run_bot(bot: DiscordBot) -> None:
    """Log in, connect every shard and serve until closed; the token never reaches the logs.

    Raises:
        ConfigError: When Discord rejects the token or the message content intent is not enabled.
    """
    point_rest_api_at(bot.config.api_url)
    with redacting([bot.config.token]):
        async with bot:
            try:
                await bot.start(bot.config.token)
            except discord.LoginFailure:
                raise ConfigError(
                    "Discord rejected DISCORD_BOT_TOKEN; copy a fresh token from the developer portal "
                    "(your application > Bot > Reset Token) into .env"
                ) from None
            except discord.PrivilegedIntentsRequired:
                raise ConfigError(
                    "Discord refused the message content intent; switch on 'Message Content Intent' under "
                    "Bot > Privileged Gateway Intents in the developer portal, or set DISCORD_MESSAGE_CONTENT=0"
                ) from None


async def run_discord(core: Core, config: DiscordConfig) -> None:
    """Run the Discord bot on a shared core until it is closed or cancelled.

    Args:
        core: The shared engine.
        config: Checked Discord settings.
    """
    await run_bot(DiscordBot(core, config))
