"""Talking to the bot from a terminal: `outsourcebot chat` and `outsourcebot ask`.

Registered by `adapters.cli`; nothing heavy is imported until a command runs.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from adapters.cli_support import AddCommand, started_core

log = logging.getLogger(__name__)


def cmd_chat(args: argparse.Namespace) -> int:
    """Chat with the bot in the terminal.

    Example: outsourcebot chat
    """
    from adapters.console import ctrl_c_ends_the_chat, own_terminal, run_console

    with own_terminal(), ctrl_c_ends_the_chat():
        run_console(started_core())
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    """Ask one question (or one per line from standard input with no QUESTION).

    Each run is a conversation of its own: lines read from standard input share
    it (so a follow-up line reads the line before), and nothing carries over to
    the next run; with --separate each line is a conversation of its own (batch
    testing). The rate limit is for chat users, not for the command line.

    Example: outsourcebot ask "how much does a virtual assistant cost?"
             echo "what is the chasm" | outsourcebot ask --json
             outsourcebot ask --json --separate < questions.txt
    """
    import uuid

    from bot.messages import Message

    core = started_core(rate_limit=0)
    chat = f"cli-{uuid.uuid4().hex}"
    questions = [args.question] if args.question is not None else (line.rstrip("\n") for line in sys.stdin)
    for question in questions:
        if args.separate:
            chat = f"cli-{uuid.uuid4().hex}"
        reply = core.answer(Message(question, "cli", chat, "cli"))
        if args.json:
            print(
                json.dumps(
                    {
                        "question": question,
                        "answered": reply.answered,
                        "text": reply.text,
                        "sources": [{"id": s.id, "title": s.title, "score": s.score} for s in reply.sources],
                        "suggestions": [{"id": s.id, "title": s.title} for s in reply.suggestions],
                        "also_asked": [{"id": s.id, "label": s.title} for s in reply.also_asked],
                        "answer_id": reply.answer_id,
                    },
                    ensure_ascii=False,
                ),
                flush=True,
            )
        else:
            print(reply.text + "\n", flush=True)
    return 0


def register(sub: Any, add: AddCommand) -> None:
    """Add `chat` and `ask` to the CLI.

    Args:
        sub: The top-level subparsers.
        add: The CLI's helper that makes a command parser from a function and its docstring.
    """
    add(sub, "chat", cmd_chat)
    ask = add(sub, "ask", cmd_ask)
    ask.add_argument("question", nargs="?", help="the question (omit to read one per line from stdin)")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.add_argument("--separate", action="store_true", help="each standard-input line is a conversation of its own")
