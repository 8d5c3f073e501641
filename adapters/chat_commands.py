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
from bot.messages import Reply, ReplyKind

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
    testing). The rate limit is for chat users, not for the command line. Lines
    are read as the chat reads them: /topics, /help, /good and /bad are commands,
    and a number opens a topic from the last numbered list.

    Example: outsourcebot ask "how much does a virtual assistant cost?"
             echo "what is the chasm" | outsourcebot ask --json
             outsourcebot ask --json --separate < questions.txt
    """
    import uuid

    from adapters.console import COMMANDS, QUIT, Turns, render_reply

    core = started_core(rate_limit=0)
    core.platform_commands["cli"] = COMMANDS

    def conversation() -> Turns:
        return Turns(core, "cli", f"cli-{uuid.uuid4().hex}", platform="cli")

    turns = conversation()
    questions = [args.question] if args.question is not None else (line.rstrip("\n") for line in sys.stdin)
    for question in questions:
        if args.separate:
            turns = conversation()
        if args.question is None and question.strip().lower() in QUIT:
            break
        reply = turns.take(question)
        if args.json:
            print(json.dumps(_as_json(question, reply), ensure_ascii=False), flush=True)
        else:
            print((reply if isinstance(reply, str) else render_reply(reply)) + "\n", flush=True)
    return 0


def _as_json(question: str, reply: Reply | str) -> dict[str, Any]:
    """One line of `ask --json`; a hint (a number with no list, nothing to rate) is a reply with no note."""
    if isinstance(reply, str):
        reply = Reply.of(ReplyKind.HELP, reply)
    return {
        "question": question,
        "answered": reply.answered,
        "text": reply.text,
        "sources": [{"id": s.id, "title": s.title, "score": s.score} for s in reply.sources],
        "suggestions": [{"id": s.id, "title": s.title} for s in reply.suggestions],
        "also_asked": [{"id": s.id, "label": s.title} for s in reply.also_asked],
        "answer_id": reply.answer_id,
    }


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
