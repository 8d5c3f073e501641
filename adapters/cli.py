"""The `outsourcebot` command line: a thin layer over the library, its parser and dispatch.

The CLI is a front end like the chat adapters, so it lives in `adapters/`.
Every group of commands has a small module with `register(subparsers, add)`:
the ones every install has are in `CORE_COMMANDS` (`chat`/`ask`, `kb`, `forget`,
`eval`), registered first and in that order; each feature with commands of its
own (Telegram, Discord, maintainers' tools, the benchmark, deployment) is listed
in `COMMAND_MODULES`. None of them imports anything heavy at import time.

Heavy libraries (NumPy models, FAISS, torch) are imported only by the commands
that need them, so `--help` and `kb check` stay instant.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from adapters import chat_commands, data_commands, eval_commands, kb_commands
from adapters.cli_support import err

log = logging.getLogger(__name__)


PLATFORM_LOGGERS = ("telegram", "discord", "aiohttp", "websockets", "apscheduler")
"""Platform libraries that log whole updates (names, usernames, message text) at DEBUG."""
BLAS_THREADS = {"OPENBLAS_NUM_THREADS": "1"}
"""Set (unless already set) before NumPy loads. NumPy's OpenBLAS otherwise splits each matrix product over a
thread per core, whose waiting spins: the retrieval's one product per query (`index.matrix @ vector`) then cost
the core more CPU than it saved, and that thread took a fifth to a quarter of the Telegram bot's CPU under load.
With one thread, in alternating runs on 2 busy cores: the core alone answered 406-450 questions/s with 64 chats
instead of 259-286 (warm p50 4.6-5.9 ms instead of 5.1-6.1), and the bot end to end used 4.7-5.8 ms of CPU per
answer instead of 11-28. (FAISS's OpenMP threads are kept to one for the same reason, in bot/search/index.py.)"""
URL_LOGGERS = ("httpx", "httpcore", "urllib3")
"""HTTP libraries that log every request URL (Telegram's holds the token) at INFO."""
PLATFORM_DEBUG_VAR = "OUTSOURCEBOT_PLATFORM_DEBUG"


def setup_logging() -> None:
    """Configure logging from OUTSOURCEBOT_LOG_LEVEL (default WARNING).

    The bot's own modules log at that level and never log raw user or chat ids (salted
    hashes instead). The platform libraries stay at INFO or above, HTTP libraries at
    WARNING or above, whatever the level: at DEBUG they log users' names and messages.
    OUTSOURCEBOT_PLATFORM_DEBUG=1 lets their debug logs through, which is unsafe (see
    docs/telegram.md): for debugging a platform connection only.
    """
    level = os.environ.get("OUTSOURCEBOT_LOG_LEVEL", "WARNING").upper()
    numeric = getattr(logging, level, logging.WARNING)
    logging.basicConfig(level=numeric, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(numeric)
    unsafe = os.environ.get("OUTSOURCEBOT_PLATFORM_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")
    if unsafe:
        log.warning("%s is on: platform libraries log users' names and messages at DEBUG", PLATFORM_DEBUG_VAR)
    for name in PLATFORM_LOGGERS:
        logging.getLogger(name).setLevel(numeric if unsafe else max(logging.INFO, numeric))
    for name in (*URL_LOGGERS, "sentence_transformers", "transformers"):
        logging.getLogger(name).setLevel(numeric if unsafe else max(logging.WARNING, numeric))


# ----- parser -----------------------------------------------------------------------------------


def _add(sub: Any, name: str, func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
    doc = inspect.cleandoc(func.__doc__ or "")
    summary, _, rest = doc.partition("\n")
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=summary,
        description=summary,
        epilog=rest.strip(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=func)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="outsourcebot",
        description="Curated advice on outsourcing and Geoffrey Moore's strategy ideas, on the console, Telegram and Discord.",
        epilog="Example: outsourcebot chat",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for commands in CORE_COMMANDS:
        commands.register(sub, _add)
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if not exc.name or not module_name.startswith(exc.name):
                raise
            continue
        module.register(sub, _add)
    return parser


CORE_COMMANDS = (chat_commands, kb_commands, data_commands, eval_commands)
"""The commands every install has, in the order `--help` lists them; `kb` comes before the modules adding to it."""
COMMAND_MODULES = (
    "adapters.telegram.commands",
    "adapters.discord.commands",
    "adapters.serve",
    "adapters.maintainer_commands",
    "adapters.bench_commands",
    "adapters.deploy_commands",
)


# Libraries of the optional extras (pyproject.toml), for a one-line hint when one is missing.
OPTIONAL_EXTRAS = {
    "matplotlib": "report",
    "telegram": "telegram",
    "discord": "discord",
    "torch": "reference",
    "sentence_transformers": "reference",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: Arguments (default sys.argv[1:]).

    Returns:
        The exit code.
    """
    for name, value in BLAS_THREADS.items():  # before any command imports NumPy
        os.environ.setdefault(name, value)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        if args.command == "kb":
            parser.parse_args(["kb", "--help"])
        parser.print_help()
        return 0 if args.command is None else 2
    setup_logging()
    from bot.config import ConfigError

    try:
        return int(args.func(args))
    except ConfigError as exc:
        err(f"configuration error: {exc}")
        return 2
    except KeyboardInterrupt:
        return 130
    except ModuleNotFoundError as exc:
        extra = OPTIONAL_EXTRAS.get((exc.name or "").partition(".")[0])
        if extra is None:
            log.debug("command failed", exc_info=True)
            err(f"error: {type(exc).__name__}: {exc}")
            return 1
        err(f"error: this command needs the {extra!r} extra: pip install 'outsourcebot[{extra}]'")
        return 2
    except BrokenPipeError:
        # The reader went away (`outsourcebot ask ... | head`): stop quietly, and keep Python
        # from failing again while flushing stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        from adapters.startup import network_hint

        log.debug("command failed", exc_info=True)
        err(f"error: {type(exc).__name__}: {exc}")
        hint = network_hint(exc)
        if hint:
            err(hint)
        return 1


if __name__ == "__main__":
    sys.exit(main())
