"""The `outsourcebot discord` command. Imports nothing heavy until the command runs."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from typing import Any


def cmd_discord(args: argparse.Namespace) -> int:
    """Run the bot on Discord (slash commands, mentions and direct messages).

    Needs DISCORD_BOT_TOKEN in the environment or .env; see docs/discord.md.

    Example: outsourcebot discord
    """
    from adapters.discord.config import load_discord_config

    config = load_discord_config()  # before loading the model: a missing token fails at once

    from adapters.discord.client import run_discord
    from adapters.startup import start_core
    from bot.config import load_settings
    from bot.conversation.watch import run_with_background_jobs

    core = start_core(load_settings())
    print("Connecting to Discord. Press Ctrl+C to stop.", file=sys.stderr, flush=True)
    asyncio.run(run_with_background_jobs(core, run_discord(core, config)))
    return 0


def register(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the `discord` command to the CLI."""
    add(sub, "discord", cmd_discord)
