"""The console front end: a multi-turn chat in the terminal, no tokens needed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TextIO

from bot.conversation.core import Core
from bot.messages import Message, Reply

log = logging.getLogger(__name__)

COMMANDS = (
    "Commands: /topics to list topics, a number to open a suggested topic, "
    "/good or /bad to rate the last answer, /forget to delete your data, /quit to leave."
)

NUMBERED_KINDS = ("answer", "fallback", "topics")


def render_reply(reply: Reply) -> str:
    """Render a reply for the terminal, numbering its suggestions."""
    numbered = bool(reply.suggestions) and reply.kind in NUMBERED_KINDS
    lines = [reply.body if numbered else reply.text]
    if numbered and reply.kind == "topics":
        lines = [reply.text.splitlines()[0]]  # the numbered list below replaces the bulleted one
    if numbered:
        lines.append("")
        lines.append(f"{reply.suggestion_label or 'Topics'}:")
        lines += [f"  [{i}] {s.title}" for i, s in enumerate(reply.suggestions, 1)]
    if reply.answer_id and reply.kind in ("answer", "fallback"):
        lines.append("(Was this helpful? /good or /bad)")
    return "\n".join(lines)


def run_console(
    core: Core,
    read: Callable[[str], str] = input,
    out: TextIO | None = None,
    user: str = "console-user",
) -> None:
    """Run a conversation until /quit or end of input.

    Args:
        core: The shared engine.
        read: Prompt-and-read function (input() by default).
        out: Where replies are written (stdout by default).
        user: The console user's id.
    """
    import sys

    stream = out or sys.stdout

    def say(text: str) -> None:
        print(text, file=stream, flush=True)

    say(core.help_reply(COMMANDS).text)
    numbered: Reply | None = None  # the reply whose suggestions were shown with numbers
    rated: Reply | None = None  # the last reply that can be rated
    while True:
        try:
            line = read("\nyou> ").strip()
        except (EOFError, KeyboardInterrupt):
            say("\nBye!")
            return
        command = line.lower()
        message = Message(line, user, user, "console")
        if command in ("/quit", "/exit", "quit", "exit"):
            say("Bye!")
            return
        if command in ("/help", "/start"):
            reply = core.help_reply(COMMANDS)
        elif command == "/topics":
            reply = core.topics_reply()
        elif command == "/forget":
            reply = core.forget("console", user)
        elif command in ("/good", "/bad", "+", "-"):
            if rated is None or not rated.answer_id:
                say("There is no answer to rate yet.")
                continue
            say(core.feedback(rated.answer_id, "console", user, 1 if command in ("/good", "+") else -1))
            continue
        elif command.isdigit() and numbered is not None and 1 <= int(command) <= len(numbered.suggestions):
            reply = core.answer_note(message, numbered.suggestions[int(command) - 1].id)
        elif command.isdigit() and numbered is not None:
            say(f"Pick a number from 1 to {len(numbered.suggestions)}, or type a question.")
            continue
        elif command.startswith("/"):
            say(f"Unknown command {line.split()[0]!r}. {COMMANDS}")
            continue
        else:
            try:
                reply = core.answer(message)
            except Exception:  # the error boundary: one bad message never ends the chat
                log.exception("console: failed to answer")
                reply = Reply("error", "Sorry, something went wrong on my side while answering. Please try again.")
        say("\nbot> " + render_reply(reply))
        if reply.kind in NUMBERED_KINDS:
            numbered = reply
        if reply.answer_id:
            rated = reply
