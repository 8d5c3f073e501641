"""What the bot does with each Telegram update: translate to the core, render the reply, send it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Bot, BotCommand, Chat, LinkPreviewOptions, MessageEntity, ReplyParameters, Update, User
from telegram import Message as TelegramMessage
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from adapters.telegram.callbacks import parse_press, resolve_topic
from adapters.telegram.config import TelegramConfig
from adapters.telegram.pacing import Admission, ChatLocks, typing
from adapters.telegram.render import render_reply, without_feedback
from bot.conversation.core import Core
from bot.messages import Message, Reply
from bot.replies.render import render

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
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

Produce = Callable[[], Awaitable[Reply]]
"""Makes the reply to an admitted update (runs under the chat's lock)."""


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
                "Telegram rejected the HTML of a %s reply in chat %s (%s); sending it as plain text",
                reply.kind,
                chat.id,
                exc.message,
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


class TelegramHandlers:
    """The bot's handlers, around one core.

    Every update that makes the bot work goes the same way: the user's rate limit first
    (`Admission`), then the chat's lock (answers in order), then the core, then the reply.

    Args:
        core: The shared engine; the handlers only translate and render.
        config: Telegram settings (admin ids).
    """

    def __init__(self, core: Core, config: TelegramConfig) -> None:
        self.core = core
        self.config = config
        self.admission = Admission(core, PLATFORM)
        self._locks = ChatLocks()

    def attach(self, app: Application) -> None:
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

    # ----- helpers -------------------------------------------------------------------------------

    def _message(self, update: Update, text: str) -> Message:
        user, chat = update.effective_user, update.effective_chat
        return Message(text, str(user.id if user else ""), str(chat.id if chat else ""), PLATFORM)

    @staticmethod
    def _user(update: Update) -> str:
        return str(update.effective_user.id) if update.effective_user else ""

    @staticmethod
    def _reply_to(message: TelegramMessage) -> int | None:
        return None if message.chat.type == ChatType.PRIVATE else message.message_id

    async def _serve(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, produce: Produce, typing_shown: bool = False
    ) -> None:
        """Admit the message, then, in the chat's turn, make the reply (showing "typing" if asked) and send it."""
        message = update.effective_message
        assert message is not None
        user, reply_to = self._user(update), self._reply_to(message)
        wait = self.admission.check(user)
        if wait > 0:
            if self.admission.notice_due(user):
                async with self._locks.hold(message.chat_id):
                    await send_reply(context.bot, message.chat, self.core.rate_limited_reply(wait), reply_to)
            return
        async with self._locks.hold(message.chat_id):
            if typing_shown:
                async with typing(context.bot, message.chat_id):
                    reply = await produce()
            else:
                reply = await produce()
            await self._deliver(context.bot, message.chat, user, reply, reply_to)

    async def _deliver(self, bot: Bot, chat: Chat, user: str, reply: Reply, reply_to: int | None = None) -> None:
        """Send a reply, except a "please wait" the user has already had in this window."""
        if reply.kind == "rate_limited" and not self.admission.notice_due(user):
            return
        await send_reply(bot, chat, reply, reply_to)

    async def _answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
        if not question.strip():  # an empty /ask or a bare mention: how to ask, with this platform's commands
            await self._serve(update, context, self._constant(self.core.help_reply(COMMANDS_TEXT)))
            return
        await self._serve(
            update, context, lambda: self.core.handle(self._message(update, question), admitted=True), typing_shown=True
        )

    @staticmethod
    def _constant(reply: Reply) -> Produce:
        async def produce() -> Reply:
            return reply

        return produce

    async def _admin(self, update: Update, context: ContextTypes.DEFAULT_TYPE, command: str, produce: Produce) -> None:
        user = update.effective_user
        if self.config.is_admin(user.id if user else None):
            await self._serve(update, context, produce)
            return
        log.info("refused /%s to non-admin user %s", command, user.id if user else "?")
        await self._serve(update, context, self._constant(self.core.refusal(command)))

    # ----- handlers ------------------------------------------------------------------------------

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start and /help (and unknown commands in a private chat): the greeting, how to ask, popular topics."""
        await self._serve(update, context, self._constant(self.core.help_reply(COMMANDS_TEXT)))

    async def on_topics(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/topics: every topic as a button; pressing one answers it."""
        await self._serve(update, context, self._constant(self.core.topics_reply()))

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
        user = self._user(update)
        await self._serve(update, context, lambda: self.core.forget_async(PLATFORM, user))

    async def on_reload(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/reload (admins): reload the knowledge; a broken note keeps the previous index and is reported."""

        async def reload() -> Reply:
            return Reply("reload", (await self.core.reload_async()).summary())

        await self._admin(update, context, "reload", reload)

    async def on_stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/stats (admins): questions, answered share, feedback, top unanswered questions."""
        await self._admin(update, context, "stats", self.core.stats_async)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An inline button: 👍/👎 records feedback and acknowledges it; a topic button answers that topic.

        In a private chat the rating buttons go once pressed; in a group they stay, so every
        member can rate.
        """
        query = update.callback_query
        assert query is not None
        press = parse_press(query.data)
        message = query.message
        user = str(query.from_user.id)
        if press is not None and press.kind == "feedback":
            await query.answer(await self.core.rate(press.value, PLATFORM, user, press.rating))
            if isinstance(message, TelegramMessage) and message.chat.type == ChatType.PRIVATE:
                try:
                    await query.edit_message_reply_markup(without_feedback(message.reply_markup))
                except BadRequest as exc:  # already edited, or too old to edit: the rating is stored anyway
                    log.info("could not remove the feedback buttons: %s", exc.message)
            return
        note_id = resolve_topic(press, self.core.kb.notes) if press is not None else None
        if note_id is None or message is None:
            await query.answer(self.core.expired_button_reply().text)
            return
        wait = self.admission.check(user)
        if wait > 0:
            # The press must be answered either way, or the button keeps spinning.
            await query.answer(self.core.rate_limited_reply(wait).text if self.admission.notice_due(user) else None)
            return
        await query.answer()
        async with self._locks.hold(message.chat.id):
            reply = await self.core.press_topic(self._message(update, ""), note_id, admitted=True)
            await self._deliver(context.bot, message.chat, user, reply)

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
        try:
            await send_reply(context.bot, chat, Reply("error", render("error")))
        except Exception as exc:  # the chat may be gone or the bot blocked; nothing more to do
            log.warning("could not tell chat %s about the error in update %s: %s", chat.id, update_id, exc)
