"""The console front end: a multi-turn chat in the terminal, no tokens needed."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator
from typing import TextIO

from bot.conversation.core import Core
from bot.conversation.events import Command, CommandName, Forget, Rating, TopicPress
from bot.messages import Message, Reply, ReplyKind, Suggestion
from bot.replies.blocks import BlockKind

log = logging.getLogger(__name__)

COMMANDS = (
    "Commands: /topics to list topics, a number to open a suggested topic, "
    "/good or /bad to rate the last answer, /forget to delete your data, /quit to leave."
)

NUMBERED_KINDS = (ReplyKind.ANSWER, ReplyKind.FALLBACK, ReplyKind.TOPICS)
PLATFORM = "console"


def render_reply(reply: Reply) -> str:
    """Render a reply for the terminal, numbering its suggestions."""
    numbered = bool(reply.suggestions) and reply.kind in NUMBERED_KINDS
    lines = [reply.body if numbered else reply.text]
    listing = reply.block(BlockKind.BULLETS)
    if numbered and reply.kind == ReplyKind.TOPICS and listing is not None:
        lines = [f"{listing.label}:"]  # the numbered list below replaces the bulleted one
    if numbered:
        lines.append("")
        lines.append(f"{reply.suggestion_label or 'Topics'}:")
        lines += [f"  [{i}] {s.title}" for i, s in enumerate(reply.suggestions, 1)]
    if numbered or reply.also_asked:
        start = len(reply.suggestions) if numbered else 0
        lines += [f"  [{i}] {s.title}" for i, s in enumerate(reply.also_asked, start + 1)]
    if reply.more is not None:
        lines.append(f'({reply.more.title}: type "more")')
    if reply.answer_id and reply.kind in (ReplyKind.ANSWER, ReplyKind.FALLBACK):
        lines.append("(Was this helpful? /good or /bad)")
    return "\n".join(lines)


def choices(reply: Reply) -> list[Suggestion]:
    """The topics a number picks after `reply`: its suggestions when numbered, then its "You also asked" ones."""
    numbered = reply.suggestions if reply.kind in NUMBERED_KINDS else []
    return [*numbered, *reply.also_asked]


@contextlib.contextmanager
def own_terminal() -> Iterator[None]:
    """Under another program (make), take the terminal's foreground so Ctrl-C reaches the chat alone.

    The terminal sends Ctrl-C's SIGINT to its whole foreground process group; under `make chat`
    that includes make, which then prints "make: *** [Makefile] Interrupt" after the chat's own
    goodbye. Moving the chat into a process group of its own, made the foreground one, keeps make
    out of it (a job-control shell does the same for each job). Started by the shell itself, the
    chat already leads its own group and nothing changes.
    """
    import signal

    fd = sys.stdin.fileno() if sys.stdin.isatty() else -1
    if fd < 0 or os.getpgrp() == os.getpid() or os.tcgetpgrp(fd) != os.getpgrp():
        yield
        return
    previous = os.getpgrp()
    old_ttou = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # a background group may not set the foreground
    old_tstp = signal.signal(signal.SIGTSTP, signal.SIG_IGN)  # make can't resume a chat stopped on its own
    try:
        os.setpgid(0, 0)
        os.tcsetpgrp(fd, os.getpgrp())
    except OSError:
        log.debug("could not take the terminal's foreground", exc_info=True)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.tcsetpgrp(fd, previous)
        signal.signal(signal.SIGTTOU, old_ttou)
        signal.signal(signal.SIGTSTP, old_tstp)


@contextlib.contextmanager
def ctrl_c_ends_the_chat() -> Iterator[None]:
    """Ctrl-C at the prompt ends the chat even when whatever started it ignores SIGINT.

    A command a shell without job control starts in the background (`make test &` in a script,
    a CI step), and everything that command starts, inherits SIGINT ignored; Python then sets no
    KeyboardInterrupt handler and Ctrl-C at the prompt would be echoed and do nothing. A person
    at a terminal pressing Ctrl-C means it, so on a terminal the chat takes Python's handler back.
    """
    import signal

    if not sys.stdin.isatty():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


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
    stream = out or sys.stdout

    def say(text: str) -> None:
        print(text, file=stream, flush=True)

    core.platform_commands[PLATFORM] = COMMANDS
    say(core.answer(Command(CommandName.HELP, user, user, PLATFORM)).text)
    numbered: Reply | None = None  # the reply whose suggestions were shown with numbers
    rated: Reply | None = None  # the last reply that can be rated
    while True:
        try:
            line = read("\nyou> ").strip()
        except (EOFError, KeyboardInterrupt):
            say("\nBye!")
            return
        command = line.lower()
        if command in ("/quit", "/exit", "quit", "exit"):
            say("Bye!")
            return
        if command in ("/help", "/start"):
            reply = core.answer(Command(CommandName.HELP, user, user, PLATFORM))
        elif command == "/topics":
            reply = core.answer(Command(CommandName.TOPICS, user, user, PLATFORM))
        elif command == "/forget":
            reply = core.answer(Forget(user, user, PLATFORM))
        elif command in ("/good", "/bad", "+", "-"):
            if rated is None or not rated.answer_id:
                say("There is no answer to rate yet.")
                continue
            rating = Rating(rated.answer_id, 1 if command in ("/good", "+") else -1, user, user, PLATFORM)
            say(core.answer(rating).text)
            continue
        elif command.isdigit() and numbered is not None and 1 <= int(command) <= len(choices(numbered)):
            reply = core.answer(TopicPress(choices(numbered)[int(command) - 1].id, user, user, PLATFORM))
        elif command.isdigit() and numbered is not None:
            say(f"Pick a number from 1 to {len(choices(numbered))}, or type a question.")
            continue
        elif command.isdigit() and len(command) <= 2:
            # A pick before any numbered list: a hint, not a question to log as unanswered.
            say("There is no numbered list to pick from yet: type a question, or /topics for the list.")
            continue
        elif command.startswith("/"):
            say(f"Unknown command {line.split()[0]!r}. {COMMANDS}")
            continue
        else:
            try:
                reply = core.answer(Message(line, user, user, PLATFORM))
            except Exception:  # the error boundary: one bad message never ends the chat
                log.exception("console: failed to answer")
                reply = Reply.of(
                    ReplyKind.ERROR, "Sorry, something went wrong on my side while answering. Please try again."
                )
        if reply.kind == ReplyKind.SILENT:  # rate-limited, and the notice was already shown
            continue
        say("\nbot> " + render_reply(reply))
        if reply.kind in NUMBERED_KINDS:
            numbered = reply
        if reply.answer_id:
            rated = reply
