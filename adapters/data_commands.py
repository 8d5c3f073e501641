"""Users' stored data: `outsourcebot forget` (backup and restore are in `adapters.deploy_commands`).

Registered by `adapters.cli`; nothing heavy is imported until the command runs.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from adapters.cli_support import AddCommand, current_settings

log = logging.getLogger(__name__)


def cmd_forget(args: argparse.Namespace) -> int:
    """Delete everything stored about one user of one platform.

    The console's user is console-user; every `outsourcebot ask` run is the one user
    cli on platform cli, so `forget cli --platform cli` deletes the history of all of them.

    Example: outsourcebot forget 123456789 --platform telegram
             outsourcebot forget cli --platform cli
    """
    from bot.storage.retention import forget_user
    from bot.storage.store import Store

    settings = current_settings()
    count = forget_user(Store(settings.db_path, settings.salt), settings.data_dir, args.platform, args.user)
    print(f"Deleted {count} record(s) for {args.platform} user {args.user}.")
    return 0


def register(sub: Any, add: AddCommand) -> None:
    """Add `forget` to the CLI.

    Args:
        sub: The top-level subparsers.
        add: The CLI's helper that makes a command parser from a function and its docstring.
    """
    forget = add(sub, "forget", cmd_forget)
    forget.add_argument(
        "user", help="the user's platform id (the console's user is console-user; every `ask` run is cli)"
    )
    forget.add_argument(
        "--platform",
        default="telegram",
        choices=("telegram", "discord", "console", "cli"),
        help="where the user talked to the bot (default telegram)",
    )
