"""What the bot does with each Telegram update: translate to the core, render the reply, send it."""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    BotCommand,
    MessageEntity,
    Update,
    User,
)
from telegram import Message as TelegramMessage
from telegram.constants import ChatType
from telegram.error import TimedOut
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from adapters.telegram.callbacks import parse_press, resolve_topic
from adapters.telegram.channels import AdminChannel, ChatChannel, PressChannel, send_reply
from adapters.telegram.config import TelegramConfig
from bot.conversation.answers import error_reply
from bot.conversation.core import Core
from bot.conversation.events import Command, CommandName, Event, Forget, MorePress, Rating, TopicPress
from bot.messages import Message

log = logging.getLogger(__name__)

PLATFORM = "telegram"

PUBLIC_COMMANDS = (
    BotCommand("start", "Greeting and how to ask"),
    BotCommand("help", "How to use the bot"),
    BotCommand("topics", "Topics I can help with"),
    BotCommand("ask", "Ask a question (in groups: /ask QUESTION)"),
    BotCommand("forget", "Delete what I store about you"),
)
ADMIN_COMMANDS = (
    BotCommand("reload", "Reload the knowledge notes (admins)"),
    BotCommand("stats", "Questions, answers and feedback (admins)"),
)
COMMANDS_TEXT = (
    "Commands: /topics lists what I know, /forget deletes what I store about you, /help shows this message. "
    "In a group, mention me, reply to me or write /ask followed by your question."
)
TelegramApp = Application[Any, Any, Any, Any, Any, Any]
"""The application with python-telegram-bot's default bot, context and data types."""
SENDER_CHAT_PREFIX = "chat:"
"""Marks a core user key that is a sender chat, not a user (they could share a number)."""


def question_in(message: TelegramMessage, bot_user: User) -> str | None:
    """The question a text message asks the bot, or None when it is not addressed to the bot.

    In a private chat every message is a question. In a group, only messages that mention
    the bot (the mention is removed) or reply to one of its messages are.

    Args:
        message: A text message.
        bot_user: The bot's own user (from getMe).

    Returns:
        The question text (possibly empty), or None to ignore the message.
    """
    text = message.text or ""
    if message.chat.type == ChatType.PRIVATE:
        return text
    replied = message.reply_to_message
    addressed = bool(replied and replied.from_user and replied.from_user.id == bot_user.id)
    mention = f"@{bot_user.username}".lower() if bot_user.username else None
    for entity, value in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
        if (entity.type == MessageEntity.MENTION and value.lower() == mention) or (
            entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_user.id
        ):
            addressed = True
            text = text.replace(value, " ")
    return text.strip() if addressed else None


def command_argument(message: TelegramMessage) -> str:
    """The text after a command (`/ask how much?` -> `how much?`), line breaks kept."""
    parts = (message.text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


class TelegramHandlers:
    """The bot's handlers, around one core.

    Every update becomes one core event (`Core.handle`), which paces it (the user's rate
    limit, the chat's turn) and hands the reply back through a channel that renders it.

    Args:
        core: The shared engine; the handlers only translate and render.
        config: Telegram settings (admin ids).
    """

    def __init__(self, core: Core, config: TelegramConfig) -> None:
        self.core = core
        self.config = config
        core.platform_commands[PLATFORM] = COMMANDS_TEXT

    def attach(self, app: TelegramApp) -> None:
        """Register every handler and the error handler on `app`."""
        new = filters.UpdateType.MESSAGE
        for name, callback in (
            ("start", self.on_start),
            ("help", self.on_start),
            ("topics", self.on_topics),
            ("ask", self.on_ask),
            ("forget", self.on_forget),
            ("reload", self.on_reload),
            ("stats", self.on_stats),
        ):
            app.add_handler(CommandHandler(name, callback, filters=new))
        app.add_handler(MessageHandler(new & filters.TEXT & ~filters.COMMAND, self.on_text))
        app.add_handler(MessageHandler(new & filters.COMMAND & filters.ChatType.PRIVATE, self.on_start))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_error_handler(self.on_error)

    # ----- translation ---------------------------------------------------------------------------

    @staticmethod
    def _who(update: Update) -> tuple[str, str]:
        """The (user, chat) an update is from, as the core keys them.

        A message sent on behalf of a chat (an anonymous group admin, a linked channel) comes
        from one account Telegram shares among all of them (GroupAnonymousBot, 1087968824), so
        it is keyed by its `sender_chat` instead: each group's anonymous admins get their own
        rate limit and their own `/forget`, and never another group's.
        """
        user, chat = update.effective_user, update.effective_chat
        message = update.effective_message
        sender = message.sender_chat if message is not None else None
        who = f"{SENDER_CHAT_PREFIX}{sender.id}" if sender is not None else str(user.id if user else "")
        return who, str(chat.id if chat else "")

    async def _serve(self, update: Update, context: ContextTypes.DEFAULT_TYPE, event: Event) -> None:
        """Hand one event to the core; its reply goes to the message's chat."""
        message = update.effective_message
        assert message is not None
        reply_to = None if message.chat.type == ChatType.PRIVATE else message.message_id
        question = isinstance(event, Message) and bool(event.text.strip())
        await self.core.handle(event, ChatChannel(context.bot, message.chat, reply_to, typing=question))

    async def _command(self, update: Update, context: ContextTypes.DEFAULT_TYPE, name: CommandName) -> None:
        user, chat = self._who(update)
        sender = update.effective_user
        admin = self.config.is_admin(sender.id if sender else None)
        command = Command(name, user, chat, PLATFORM, admin=admin)
        message = update.effective_message
        if admin and sender and message and message.chat.type != ChatType.PRIVATE:
            await self.core.handle(command, AdminChannel(context.bot, message.chat, sender.id, message.message_id))
            return
        await self._serve(update, context, command)

    async def _answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
        user, chat = self._who(update)
        # An empty /ask or a bare mention is a greeting: the core answers with how to ask.
        await self._serve(update, context, Message(question, user, chat, PLATFORM))

    # ----- handlers ------------------------------------------------------------------------------

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start and /help (and unknown commands in a private chat): the greeting, how to ask, popular topics."""
        await self._command(update, context, CommandName.HELP)

    async def on_topics(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/topics: every topic as a button; pressing one answers it."""
        await self._command(update, context, CommandName.TOPICS)

    async def on_ask(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/ask QUESTION (also /ask@botname): answer QUESTION, in any chat; a bare /ask gets the help."""
        assert update.effective_message is not None
        await self._answer(update, context, command_argument(update.effective_message))

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A text message: a question in a private chat; in a group only when addressed to the bot."""
        message = update.effective_message
        assert message is not None
        question = question_in(message, context.bot.bot)
        if question is not None:
            await self._answer(update, context, question)

    async def on_forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/forget: delete everything stored about the user and confirm."""
        await self._serve(update, context, Forget(*self._who(update), PLATFORM))

    async def on_reload(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/reload (admins): reload the knowledge; a broken note keeps the previous index and is reported."""
        await self._command(update, context, CommandName.RELOAD)

    async def on_stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/stats (admins): questions, answered share, feedback, top unanswered questions."""
        await self._command(update, context, CommandName.STATS)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An inline button: 👍/👎 records feedback; a topic button answers that topic; "More on" shows the rest."""
        query = update.callback_query
        assert query is not None
        press = parse_press(query.data)
        user, chat = str(query.from_user.id), str(query.message.chat.id if query.message else "")
        event: Event
        note_id = None
        if press is not None and press.kind == "feedback":
            event = Rating(press.value, press.rating, user, chat, PLATFORM)
        else:
            # A topic that is gone (or data that is not ours) reaches the core as an unknown note: "expired".
            note_id = resolve_topic(press, self.core.kb.notes) if press is not None and query.message else None
            more = press is not None and press.kind == "more" and note_id is not None
            event = (
                MorePress(note_id or "", user, chat, PLATFORM)
                if more
                else TopicPress(note_id or "", user, chat, PLATFORM)
            )
        channel = PressChannel(context.bot, query, early=note_id is not None)
        try:
            await self.core.handle(event, channel)
        finally:
            await channel.close()

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The one error boundary: log the failure with the update id and apologise in the chat."""
        update_id = update.update_id if isinstance(update, Update) else None
        error = context.error
        log.error(
            "update %s failed: %s: %s",
            update_id,
            type(error).__name__,
            error,
            exc_info=(type(error), error, error.__traceback__) if error else None,
        )
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            return
        if isinstance(error, TimedOut):
            # Telegram did not answer in time, but the reply may well have arrived (the retrying
            # limiter does not resend posts for the same reason): an apology would follow an answer.
            return
        try:
            await send_reply(context.bot, chat, error_reply())
        except Exception as exc:  # the chat may be gone or the bot blocked; nothing more to do
            who = self.core.log_name(PLATFORM, str(chat.id))
            log.warning("could not tell the chat of %s about the error in update %s: %s", who, update_id, exc)
