"""Where a Discord reply goes: the channel of a mention or DM, or an interaction's response.

The core hands each reply to one of these (`bot.conversation.events.Channel`); they render it
once and send it, deferring an interaction that the core is slow to answer.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord.render import render_reply
from adapters.discord.views import build_topics_view, build_view
from bot.messages import Reply, ReplyKind

if TYPE_CHECKING:
    from adapters.discord.client import DiscordBot

log = logging.getLogger(__name__)

PERSONAL_KINDS = (
    ReplyKind.FORGOTTEN,
    ReplyKind.RATE_LIMITED,
    ReplyKind.ERROR,
    ReplyKind.REFUSED,
    ReplyKind.EXPIRED,
    ReplyKind.FEEDBACK,
)
"""Reply kinds only the asker should see (sent as ephemeral interaction replies)."""

TOPICS_PAGE = "outsourcebot.topics_page"
"""`Interaction.extras` key: the page a ◀/▶ press asks for (its reply swaps the buttons, not a new message)."""


class MessageChannel:
    """Where the reply to a mention or DM goes: its channel, as a reply to it, with "typing"."""

    def __init__(self, bot: DiscordBot, message: discord.Message) -> None:
        self.bot = bot
        self.message = message

    def working(self) -> AbstractAsyncContextManager[None]:
        """Show "typing" while the core answers."""
        return self.message.channel.typing()

    async def send(self, reply: Reply) -> None:
        """Render once and send."""
        await self.bot.send_to_channel(self.message, render_reply(reply), build_view(reply))


class InteractionChannel:
    """Where the reply to an interaction goes: its response (or follow-ups after a defer).

    `defer` and `send` take turns, so a slow answer's "thinking..." never races the answer itself.
    """

    def __init__(self, bot: DiscordBot, interaction: discord.Interaction[Any], ephemeral: bool | None) -> None:
        self.bot = bot
        self.interaction = interaction
        self.ephemeral = ephemeral
        self.sent = False
        self._turn = asyncio.Lock()

    def working(self) -> AbstractAsyncContextManager[None]:
        """Nothing to show: a slow answer is deferred ("thinking...") instead."""
        return nullcontext()

    async def defer(self) -> None:
        """Acknowledge the interaction with "thinking..." unless it is answered already."""
        async with self._turn:
            if not self.interaction.response.is_done():
                await self.bot.defer(self.interaction, ephemeral=bool(self.ephemeral))

    async def send(self, reply: Reply) -> None:
        """Render once and answer the interaction; a topics page press swaps its buttons instead."""
        async with self._turn:
            self.sent = True
            page = self.interaction.extras.get(TOPICS_PAGE)
            if page is not None and reply.kind == ReplyKind.TOPICS and not self.interaction.response.is_done():
                await self.interaction.response.edit_message(view=build_topics_view(reply, page))
                return
            private = self.ephemeral if self.ephemeral is not None else reply.kind in PERSONAL_KINDS
            view = None if reply.kind == ReplyKind.RATE_LIMITED else build_view(reply)
            await self.bot.send_to_interaction(self.interaction, render_reply(reply), view, ephemeral=private)

    async def close(self) -> None:
        """Acknowledge an interaction the core stayed silent on (a rate-limited user who had the notice)."""
        async with self._turn:
            if self.sent:
                return
            if not self.interaction.response.is_done():
                await self.interaction.response.defer(ephemeral=True, thinking=True)
            try:
                await self.interaction.delete_original_response()
            except discord.HTTPException as exc:
                log.info("could not withdraw the silent response: %s", exc)
