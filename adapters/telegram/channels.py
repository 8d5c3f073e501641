"""Where a reply goes on Telegram: a chat, an admin's private chat, or the button press that asked.

The core hands every reply to the channel its event came with (`Core.handle(event, channel)`);
each channel renders the reply's blocks once as Telegram HTML (`render`) and sends it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext

from telegram import Bot, CallbackQuery, Chat, LinkPreviewOptions, ReplyParameters
from telegram import Message as TelegramMessage
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden

from adapters.telegram.render import render_reply, without_feedback
from adapters.telegram.working import typing
from bot.messages import Reply, ReplyKind

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
PRIVATE_ADMIN_KINDS = (ReplyKind.STATS, ReplyKind.RELOAD)
"""Admin output that is only ever sent in a private chat with the admin."""
ADMIN_SENT_PRIVATELY = "I sent you the answer in our private chat."
ADMIN_START_FIRST = (
    "Admin output is only sent privately. Open a chat with @{bot}, press Start, then run the command again."
)
PRESS_ACKNOWLEDGED = (ReplyKind.FEEDBACK, ReplyKind.RATE_LIMITED, ReplyKind.EXPIRED)
"""Replies to a button press shown as the press's own little notice, not as a message."""


async def send_reply(bot: Bot, chat: Chat, reply: Reply, reply_to: int | None = None) -> list[TelegramMessage]:
    """Send a core reply as one or more HTML messages, as plain text if Telegram rejects the HTML.

    Args:
        bot: The bot.
        chat: Where to send.
        reply: What the core answered.
        reply_to: Message to reply to (used in groups, so the answer is threaded under the question).

    Returns:
        The messages sent.
    """
    rendered = render_reply(reply)
    sent: list[TelegramMessage] = []
    last = len(rendered.chunks) - 1
    for number, chunk in enumerate(rendered.chunks):
        keyboard = rendered.keyboard if number == last else None
        threading = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to and number == 0 else None
        try:
            sent.append(
                await bot.send_message(
                    chat.id,
                    chunk.html,
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard,
                    reply_parameters=threading,
                    link_preview_options=NO_PREVIEW,
                )
            )
        except BadRequest as exc:
            if "can't parse entities" not in exc.message.lower():
                raise
            log.warning(
                "Telegram rejected the HTML of a %s reply (%s); sending it as plain text", reply.kind, exc.message
            )
            sent.append(
                await bot.send_message(
                    chat.id,
                    chunk.plain,
                    reply_markup=keyboard,
                    reply_parameters=threading,
                    link_preview_options=NO_PREVIEW,
                )
            )
    return sent


class ChatChannel:
    """Where the reply to a message goes: its chat (threaded under the question in groups), with "typing"."""

    def __init__(self, bot: Bot, chat: Chat, reply_to: int | None = None, *, typing: bool = False) -> None:
        self.bot = bot
        self.chat = chat
        self.reply_to = reply_to
        self.typing = typing

    def working(self) -> AbstractAsyncContextManager[None]:
        """Show "typing" while the core answers a question."""
        return typing(self.bot, self.chat.id) if self.typing else nullcontext()  # type: ignore[arg-type]

    async def send(self, reply: Reply) -> None:
        """Send the reply as HTML messages."""
        await send_reply(self.bot, self.chat, reply, self.reply_to)


class AdminChannel:
    """Where admin output asked for in a group goes: the admin's private chat, never the group.

    /stats quotes users' questions (with whatever personal data they hold) and /reload lists
    file paths; every member of a group would see them. The group gets a one-line pointer, or,
    when the admin never started a private chat with the bot (so it may not write first), how to.
    """

    def __init__(self, bot: Bot, group: Chat, admin_id: int, reply_to: int | None) -> None:
        self.bot = bot
        self.group = group
        self.admin_id = admin_id
        self.reply_to = reply_to

    def working(self) -> AbstractAsyncContextManager[None]:
        """Nothing to show in the group while the core works."""
        return nullcontext()

    async def send(self, reply: Reply) -> None:
        """Send the output privately and point to it in the group; refusals and notices stay in the group."""
        if reply.kind not in PRIVATE_ADMIN_KINDS:
            await send_reply(self.bot, self.group, reply, self.reply_to)
            return
        try:
            await send_reply(self.bot, Chat(self.admin_id, ChatType.PRIVATE), reply)
        except (Forbidden, BadRequest) as exc:  # never started a chat with the bot, or blocked it
            log.info("could not send %s output to an admin privately: %s", reply.kind, exc.message)
            note = ADMIN_START_FIRST.format(bot=self.bot.username)
        else:
            note = ADMIN_SENT_PRIVATELY
        await send_reply(self.bot, self.group, Reply.of(ReplyKind.ACKNOWLEDGEMENT, note), self.reply_to)


class PressChannel:
    """Where the reply to a button press goes: a short notice on the press itself, or a message in its chat.

    A press must always be answered (answerCallbackQuery), or its button keeps spinning; `close`
    answers it when the core stayed silent.
    """

    def __init__(self, bot: Bot, query: CallbackQuery, *, early: bool = False) -> None:
        self.bot = bot
        self.query = query
        self.early = early
        self.answered = False

    @asynccontextmanager
    async def working(self) -> AsyncIterator[None]:
        """An admitted topic press is answered at once, so its button stops spinning while the core works."""
        if self.early:
            await self._acknowledge(None)
        yield

    async def send(self, reply: Reply) -> None:
        """Thanks, notices and "expired" go on the press; answers go to the chat."""
        if reply.kind in PRESS_ACKNOWLEDGED:
            await self._acknowledge(reply.text)
            if reply.kind == ReplyKind.FEEDBACK:
                await self._drop_feedback_buttons()
            return
        await self._acknowledge(None)
        message = self.query.message
        assert message is not None
        await send_reply(self.bot, message.chat, reply)

    async def close(self) -> None:
        """Answer the press if nothing did (a silenced press)."""
        await self._acknowledge(None)

    async def _acknowledge(self, text: str | None) -> None:
        if not self.answered:
            self.answered = True
            await self.query.answer(text)

    async def _drop_feedback_buttons(self) -> None:
        """In a private chat the rating buttons go once pressed; in a group they stay, so every member can rate."""
        message = self.query.message
        if isinstance(message, TelegramMessage) and message.chat.type == ChatType.PRIVATE:
            try:
                await self.query.edit_message_reply_markup(without_feedback(message.reply_markup))
            except BadRequest as exc:  # already edited, or too old to edit: the rating is stored anyway
                log.info("could not remove the feedback buttons: %s", exc.message)
