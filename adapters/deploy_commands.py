"""Running the bot for real: `outsourcebot backup` and `outsourcebot restore`.

Registered by `adapters.cli` through `COMMAND_MODULES`. See docs/deploy.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

AddCommand = Callable[[Any, str, Callable[[argparse.Namespace], int]], argparse.ArgumentParser]


def cmd_backup(args: argparse.Namespace) -> int:
    """Copy the database and its salt into the folder DEST, safely while the bot runs.

    Uses SQLite's online backup API: one consistent snapshot, the bot keeps answering.
    The index and model cache are not copied (they are rebuilt from the notes).

    Example: outsourcebot backup /var/backups/outsourcebot/shop-a
    """
    from bot.config import load_settings
    from bot.storage.backup import backup

    settings = load_settings()
    result = backup(settings.data_dir, args.dest, salt_from_env=bool(settings.salt))
    if args.json:
        print(json.dumps({"database": str(result.database), "salt": str(result.salt or ""), "rows": result.rows}))
    else:
        print(f"Backed up {settings.data_dir} to {args.dest}: {result.summary()}")
        if result.salt is None:
            print("The salt is set by OUTSOURCEBOT_SALT, so keep that setting with the backup.", file=sys.stderr)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Put a backup folder's database and salt into the data folder (stop the bot first).

    The backup is checked (SQLite integrity check) before anything is replaced; a data
    folder that already holds questions is replaced only with --force. Migrations of a
    backup from an older version run at the bot's next start.

    Example: outsourcebot restore /var/backups/outsourcebot/shop-a
    """
    from bot.config import load_settings
    from bot.storage.backup import restore

    settings = load_settings()
    result = restore(args.source, settings.data_dir, force=args.force, salt_from_env=bool(settings.salt))
    print(f"Restored {args.source} into {settings.data_dir}: {result.summary()}")
    return 0


def register(sub: Any, add: AddCommand) -> None:
    """Add `backup` and `restore` to the CLI.

    Args:
        sub: The top-level subparsers.
        add: The CLI's helper that makes a command parser from a function and its docstring.
    """
    backup = add(sub, "backup", cmd_backup)
    backup.add_argument("dest", type=Path, metavar="DEST", help="the backup folder (created if missing)")
    backup.add_argument("--json", action="store_true", help="machine-readable output")
    restore = add(sub, "restore", cmd_restore)
    restore.add_argument("source", type=Path, metavar="SOURCE", help="a folder written by `outsourcebot backup`")
    restore.add_argument("--force", action="store_true", help="replace a database that already holds questions")
