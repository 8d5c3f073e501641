"""Building, starting and stopping the python-telegram-bot `Application` around the core."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import BotCommandScopeChat
from telegram.error import InvalidToken, TelegramError
from telegram.ext import ApplicationBuilder

from adapters.redaction import install_redaction
from adapters.telegram.config import BOTFATHER_HINT, TelegramConfig
from adapters.telegram.handlers import ADMIN_COMMANDS, PUBLIC_COMMANDS, TelegramApp, TelegramHandlers
from adapters.telegram.retry import RetryingRateLimiter
from adapters.telegram.transport import CONNECTIONS, AiohttpRequest
from adapters.telegram.updates import ChatFairProcessor
from bot.config import ConfigError
from bot.conversation.core import Core

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
POLL_TIMEOUT = 30
"""Seconds a getUpdates long poll waits for news before asking again."""
CONCURRENT_UPDATES = 32
"""Updates the bot works on at once, one per chat (`updates.ChatFairProcessor`); later ones wait their turn, in order.
As many as the micro-batcher embeds in one model call keep it fed; more only wait inside the core, where
past `working.TYPING_DELAY` each costs a "typing" request too. In the end-to-end benchmark 256 at once (PTB's
`concurrent_updates(True)`) cost 13-16 ms of the bot's CPU per answer and 32 cost 11-13, for the same answers."""


def build_application(core: Core, config: TelegramConfig, limiter: RetryingRateLimiter | None = None) -> TelegramApp:
    """Build the bot application: the core's handlers on python-telegram-bot's network stack.

    Installs token redaction on the configured log handlers first, since python-telegram-bot
    logs URLs that contain the token.

    Args:
        core: The shared engine.
        config: Telegram settings.
        limiter: Retry policy for Bot API calls (tests pass a faster one).

    Returns:
        An application, not yet initialized; start it with `running` or `serve`.
    """
    install_redaction(config.secrets())
    app = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(config.api_url)
        .base_file_url(config.file_url)
        # Many users at once: answer concurrently so the core's micro-batcher can share model calls,
        # one update per chat at a time, so a busy group cannot hold every slot.
        .concurrent_updates(ChatFairProcessor(CONCURRENT_UPDATES))
        .rate_limiter(limiter or RetryingRateLimiter())
        # aiohttp, a small pool, the waiting outside it (transport.py); read and write wait 20 s, not 5: a
        # busy bot (or Bot API) passes 5 s while the post itself goes through, and a timed-out post is
        # neither resent nor apologised for (retry.py, handlers.py), so wait longer before calling it lost.
        .request(AiohttpRequest(CONNECTIONS, read_timeout=20.0, write_timeout=20.0))
        # The long poll, on a connection of its own, with PTB's own timeouts for it.
        .get_updates_request(AiohttpRequest(1, read_timeout=5.0, write_timeout=5.0, pool_timeout=1.0))
        .build()
    )
    TelegramHandlers(core, config).attach(app)
    return app


async def register_commands(app: TelegramApp, config: TelegramConfig) -> None:
    """Publish the command menu (setMyCommands): public commands for all, admin commands in admins' chats."""
    await app.bot.set_my_commands(list(PUBLIC_COMMANDS))
    for admin_id in sorted(config.admin_ids):
        try:
            await app.bot.set_my_commands(list(PUBLIC_COMMANDS + ADMIN_COMMANDS), scope=BotCommandScopeChat(admin_id))
        except TelegramError as exc:  # the admin has not started a chat with the bot yet
            log.info("could not set the admin command menu for %s: %s", admin_id, exc)


async def close_requests(app: TelegramApp) -> None:
    """Close the bot's HTTP clients after a failed start (getMe refused or unreachable).

    PTB closes them in `shutdown`, which it skips for an application whose `initialize` failed; the
    clients had opened their sessions by then, and aiohttp reports a session never closed.
    """
    for request in app.bot._request:  # (getUpdates, every other call): PTB has no public name for the first
        await request.shutdown()


async def start_bot(app: TelegramApp, config: TelegramConfig) -> None:
    """Check the token (getMe), publish the commands, and start receiving updates.

    Raises:
        ConfigError: When Telegram rejects the token; the message says where to get one (and not the token).
    """
    try:
        await app.initialize()
    except InvalidToken:
        await close_requests(app)
        # PTB's message repeats the token, so it is replaced rather than chained.
        raise ConfigError(f"Telegram rejected TELEGRAM_BOT_TOKEN. To get a valid one, {BOTFATHER_HINT}") from None
    except BaseException:
        await close_requests(app)
        raise
    await register_commands(app, config)
    await app.start()
    assert app.updater is not None
    if config.webhook_url:
        await app.updater.start_webhook(
            listen=config.webhook_listen,
            port=config.webhook_port,
            url_path=config.webhook_path,
            webhook_url=config.webhook_url,
            secret_token=config.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
        )
    else:
        await app.updater.start_polling(timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES)
    log.info("Telegram bot @%s is running (%s)", app.bot.username, config.mode)


async def stop_bot(app: TelegramApp) -> None:
    """Stop receiving updates, let handlers finish, and close the HTTP clients."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


@asynccontextmanager
async def running(app: TelegramApp, config: TelegramConfig) -> AsyncIterator[TelegramApp]:
    """Run the bot for the duration of a `with` block."""
    await start_bot(app, config)
    try:
        yield app
    finally:
        await stop_bot(app)


async def serve(core: Core, config: TelegramConfig) -> None:
    """Run the bot until SIGINT or SIGTERM (the `outsourcebot telegram` command)."""
    app = build_application(core, config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
            pass
    async with running(app, config):
        where = f"webhook {config.webhook_url}" if config.webhook_url else "long polling"
        print(
            f"outsourcebot is on Telegram as @{app.bot.username} ({where}). Press Ctrl+C to stop.",
            file=sys.stderr,
            flush=True,
        )
        await stop.wait()
    print("Stopped.", file=sys.stderr, flush=True)
