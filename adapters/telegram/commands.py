"""The `outsourcebot telegram` command. Imports nothing heavy until the command runs."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from typing import Any


def cmd_telegram(args: argparse.Namespace) -> int:
    """Run the bot on Telegram (long polling, or a webhook when TELEGRAM_WEBHOOK_URL is set).

    Needs TELEGRAM_BOT_TOKEN (from @BotFather) in the environment or .env; see docs/telegram.md.

    Example: outsourcebot telegram
    """
    from adapters.redaction import install_redaction
    from adapters.telegram.config import load_telegram_config

    config = load_telegram_config()  # before loading the model: a missing token fails at once
    redactor = install_redaction(config.secrets())

    from telegram.error import TelegramError

    from adapters.startup import network_hint, start_core
    from adapters.telegram.app import serve
    from bot.config import load_settings
    from bot.conversation.watch import run_with_background_jobs

    core = start_core(load_settings())
    try:
        asyncio.run(run_with_background_jobs(core, serve(core, config)))
    except TelegramError as exc:
        # Exception texts from the HTTP layer can contain the request URL, and with it the token.
        print(f"error: Telegram: {redactor.redact(str(exc))}", file=sys.stderr, flush=True)
        hint = network_hint(exc)
        if hint:
            print(hint, file=sys.stderr, flush=True)
        return 1
    return 0


def register(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the `telegram` command to the CLI."""
    add(sub, "telegram", cmd_telegram)
