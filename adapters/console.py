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


QUIT = ("/quit", "/exit", "quit", "exit")


class Turns:
    """What one typed line means in a terminal conversation, shared by `chat` and `ask`.

    A line is a command (/help, /topics, /forget, /good, /bad), a number that opens a topic
    from the last numbered list, or a question. The numbered list and the answer to rate are
    remembered between lines, so `ask` replaying a conversation reads lines as the chat does.

    Args:
        core: The shared engine.
        user: The user's id.
        chat: The conversation's id.
        platform: The platform name the core sees ("console" for `chat`, "cli" for `ask`).
    """

    def __init__(self, core: Core, user: str, chat: str, platform: str = PLATFORM) -> None:
        self.core = core
        self.user = user
        self.chat = chat
        self.platform = platform
        self.numbered: Reply | None = None  # the reply whose suggestions were shown with numbers
        self.rated: str | None = None  # the id of the last answer, which /good and /bad rate

    def take(self, line: str) -> Reply | str:
        """Answer one typed line.

        Args:
            line: What was typed, without the newline.

        Returns:
            The reply, or a short hint (a plain string) when the line needs no answer from the
            core: a number with no list to pick from, a rating with nothing to rate, an unknown
            command.
        """
        who = (self.user, self.chat, self.platform)
        line = line.strip()
        command = line.lower()
        reply: Reply
        if command in ("/help", "/start"):
            reply = self.core.answer(Command(CommandName.HELP, *who))
        elif command == "/topics":
            reply = self.core.answer(Command(CommandName.TOPICS, *who))
        elif command == "/forget":
            reply = self.core.answer(Forget(*who))
        elif command in ("/good", "/bad", "+", "-"):
            if self.rated is None:
                return "There is no answer to rate yet."
            return self.core.answer(Rating(self.rated, 1 if command in ("/good", "+") else -1, *who))
        elif command.isdigit() and self.numbered is not None and 1 <= int(command) <= len(choices(self.numbered)):
            reply = self.core.answer(TopicPress(choices(self.numbered)[int(command) - 1].id, *who))
        elif command.isdigit() and self.numbered is not None:
            return f"Pick a number from 1 to {len(choices(self.numbered))}, or type a question."
        elif command.isdigit() and len(command) <= 2:
            # A pick before any numbered list: a hint, not a question to log as unanswered.
            return "There is no numbered list to pick from yet: type a question, or /topics for the list."
        elif command.startswith("/"):
            return f"Unknown command {line.split()[0]!r}. {COMMANDS}"
        else:
            try:
                reply = self.core.answer(Message(line, *who))
            except Exception:  # the error boundary: one bad message never ends the conversation
                log.exception("console: failed to answer")
                reply = Reply.of(
                    ReplyKind.ERROR, "Sorry, something went wrong on my side while answering. Please try again."
                )
        if reply.kind in NUMBERED_KINDS:
            self.numbered = reply
        if reply.answer_id:
            self.rated = reply.answer_id
        return reply


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
    turns = Turns(core, user, user)
    while True:
        try:
            line = read("\nyou> ").strip()
        except (EOFError, KeyboardInterrupt):
            say("\nBye!")
            return
        if line.lower() in QUIT:
            say("Bye!")
            return
        reply = turns.take(line)
        if isinstance(reply, str):
            say(reply)
        elif reply.kind == ReplyKind.FEEDBACK:  # a rating's thanks reads as a note, not a turn
            say(reply.text)
        elif reply.kind != ReplyKind.SILENT:  # SILENT: rate-limited, and the notice was already shown
            say("\nbot> " + render_reply(reply))
