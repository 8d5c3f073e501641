"""The console adapter, driven by a scripted reader and a StringIO."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from adapters.console import COMMANDS, render_reply, run_console
from bot.config import REPO_DIR
from bot.conversation.core import Core
from bot.messages import Message, Reply, ReplyKind, Source, Suggestion
from bot.replies.blocks import Block, BlockKind
from tests.adapters.samples import OFFER, TWO_QUESTIONS


def script(lines: Iterable[str]) -> tuple[Callable[[str], str], list[str]]:
    """A `read` function that returns the lines in turn, then raises EOFError; and the prompts it saw."""
    pending = list(lines)
    prompts: list[str] = []

    def read(prompt: str) -> str:
        prompts.append(prompt)
        if not pending:
            raise EOFError
        return pending.pop(0)

    return read, prompts


def converse(core: Core, *lines: str) -> tuple[str, list[str]]:
    read, prompts = script(lines)
    out = io.StringIO()
    run_console(core, read=read, out=out, user="tester")
    return out.getvalue(), prompts


def turns(output: str) -> list[str]:
    return output.split("\nbot> ")


def test_a_whole_conversation(core: Core) -> None:
    output, prompts = converse(core, "what goes in a freelance contract", "1", "/good", "/topics", "/forget", "/quit")
    parts = turns(output)
    assert parts[0].startswith("Hi! I'm outsourcebot") and COMMANDS in parts[0]
    answer = parts[1]
    assert answer.startswith("Contracts\n")
    assert "Related topics:\n  [1] Pricing and costs" in answer
    assert "(Was this helpful? /good or /bad)" in answer
    assert parts[2].startswith("Pricing and costs\n")  # the numbered suggestion opened its note
    assert "Thanks for the 👍" in parts[2]
    assert parts[3].startswith("Here are the topics I can help with:")
    assert "  [2] Crossing the chasm" in parts[3]
    assert parts[4].startswith("Done: I deleted everything stored about you")
    assert output.rstrip().endswith("Bye!")
    assert len(prompts) == 6
    assert core.store.count("questions") == 0 and core.store.count("feedback") == 0


def test_rating_is_stored_for_the_last_answer(core: Core) -> None:
    output, _ = converse(core, "do I need an NDA", "/bad")
    assert "Maintainers review answers rated 👎" in output
    [row] = list(core.store.db["feedback"].rows)
    assert row["rating"] == -1 and row["note_id"] == "contracts"


def test_rating_before_any_answer(core: Core) -> None:
    output, _ = converse(core, "/good")
    assert "There is no answer to rate yet." in output


def test_eof_ends_politely(core: Core) -> None:
    output, prompts = converse(core, "do I need an NDA")
    assert output.rstrip().endswith("Bye!")
    assert len(prompts) == 2


def test_keyboard_interrupt_ends_politely(core: Core) -> None:
    def read(prompt: str) -> str:
        raise KeyboardInterrupt

    out = io.StringIO()
    run_console(core, read=read, out=out)
    assert out.getvalue().rstrip().endswith("Bye!")


def test_empty_line_gets_help(core: Core) -> None:
    output, _ = converse(core, "   ", "/help")
    parts = turns(output)
    assert "Just ask a question" in parts[1] and "Just ask a question" in parts[2]


def test_a_number_opens_only_a_suggestion_that_was_shown_numbered(core: Core) -> None:
    # The help reply's popular topics are not numbered, so "1" after it opens no hidden topic: it gets a
    # hint, and is not stored as a question (nor as an unanswered one).
    output, _ = converse(core, "   ", "1")
    assert list(core.store.db["questions"].rows) == []
    assert "[1]" not in turns(output)[1]
    assert "no numbered list to pick from yet" in output


def test_rating_goes_to_the_latest_answer_even_without_suggestions(core: Core) -> None:
    output, _ = converse(core, "do I need an NDA", "visionaries and pragmatists", "/good")
    latest = turns(output)[2]
    assert latest.startswith("Crossing the chasm\n") and "[1]" not in latest
    [row] = list(core.store.db["feedback"].rows)
    assert row["note_id"] == "chasm"


def test_fallback_offers_numbered_popular_topics(core: Core) -> None:
    output, _ = converse(core, "zqx fnord blorp", "1")
    parts = turns(output)
    assert "Popular topics:\n  [1] " in parts[1]
    first = parts[1].split("  [1] ", 1)[1].splitlines()[0]
    assert parts[2].startswith(first + "\n")


def test_an_error_while_answering_does_not_end_the_chat(core: Core, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    real = core.answer

    def broken(event: object) -> Reply:
        if isinstance(event, Message):  # questions fail; commands still work
            raise RuntimeError("boom")
        return real(event)  # type: ignore[arg-type]

    monkeypatch.setattr(core, "answer", broken)
    output, prompts = converse(core, "do I need an NDA", "/topics")
    assert "Sorry, something went wrong" in output
    assert "Here are the topics" in output
    assert len(prompts) == 3


def test_render_reply_numbers_suggestions() -> None:
    reply = Reply(
        ReplyKind.ANSWER,
        [
            Block(BlockKind.HEADING, "Title"),
            Block(BlockKind.PARAGRAPH, "Body"),
            Block(BlockKind.SUGGESTIONS, "Did you mean: A, B", label="Did you mean"),
        ],
        suggestions=[Suggestion("a", "A"), Suggestion("b", "B")],
        sources=[Source("x", "X", 0.9)],
        answer_id="id1",
        answered=True,
    )
    assert render_reply(reply) == "Title\n\nBody\n\nDid you mean:\n  [1] A\n  [2] B\n(Was this helpful? /good or /bad)"
    assert render_reply(Reply.of(ReplyKind.HELP, "hello", suggestions=[Suggestion("a", "A")])) == "hello"


def test_unknown_commands_and_out_of_range_numbers_are_not_questions(core: Core) -> None:
    import io

    from adapters.console import run_console

    lines = iter(["what is the chasm", "99", "/unknown", "/topics", "/quit"])
    out = io.StringIO()
    run_console(core, read=lambda prompt: next(lines), out=out)
    text = out.getvalue()
    assert "Pick a number from 1 to" in text
    assert "Unknown command '/unknown'" in text
    assert core.store.count("questions") == 1, "only the real question was recorded"
    topics_part = text.split("Here are the topics")[1]
    assert "• " not in topics_part and "[1]" in topics_part, "topics are listed once, numbered"


def test_a_number_before_any_list_is_a_hint_not_a_question(core: Core) -> None:
    output, _ = converse(core, "2", "/quit")
    assert "no numbered list to pick from yet" in output
    assert core.store.db["unanswered"].count == 0
    assert core.store.db["questions"].count == 0


def _wait_until_reading(fd: int, timeout: float = 30.0) -> None:
    """Wait until the terminal's foreground process is blocked reading its standard input.

    A Ctrl-C that lands after the prompt is printed but before the read starts sets Python's
    signal flag with nothing to interrupt, so the chat would wait for a line: a race of the
    test's instant keystroke, not of a person's. On Linux /proc says when the read has begun
    (syscall 0, read, on fd 0); elsewhere a short pause stands in.
    """
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            syscall = Path(f"/proc/{os.tcgetpgrp(fd)}/syscall").read_text()
        except OSError:
            time.sleep(0.5)
            return
        if syscall.startswith("0 0x0 "):
            return
        time.sleep(0.05)


def _pty_chat(argv: list[str], env: dict[str, str], keys: bytes, sigint: str = "default") -> tuple[int, str]:
    """Run argv on a new pseudo-terminal, send keys once the prompt shows, and return (exit status, screen).

    `sigint="ignored"` starts argv with SIGINT ignored, as a shell without job control starts a
    background command (and so everything the test run starts, when it was started that way).
    """
    import pty
    import select
    import signal
    import time

    pid, fd = pty.fork()
    if pid == 0:  # the child: a session leader with the terminal, as a shell gives a job
        signal.signal(signal.SIGINT, signal.SIG_IGN if sigint == "ignored" else signal.SIG_DFL)
        os.execvpe(argv[0], argv, env)
    screen, sent, deadline = b"", False, time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: every process holding the terminal has gone
            break
        if not chunk:
            break
        screen += chunk
        if not sent and b"you> " in screen:
            _wait_until_reading(fd)
            os.write(fd, keys)
            sent = True
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), screen.decode(errors="replace")


@pytest.mark.parametrize("sigint", ["default", "ignored"])
def test_ctrl_c_in_make_chat_ends_the_chat_without_makes_interrupt(
    tiny_knowledge: Path, tmp_path: Path, sigint: str
) -> None:
    """Ctrl-C at the prompt of `make chat` says goodbye and exits 0; make prints no "Interrupt" line.

    Also when make was started with SIGINT ignored: then the test failed whenever the suite itself
    had been started in the background by a script (1 full run in 2), and so would a person's chat.
    """
    if not (REPO_DIR / ".venv" / "bin" / "outsourcebot").exists():
        pytest.fail("no .venv/bin/outsourcebot: run `make install`")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTSOURCEBOT_")}
    env.update(
        OUTSOURCEBOT_DATA_DIR=str(tmp_path / "data"),
        OUTSOURCEBOT_KNOWLEDGE_DIR=str(tiny_knowledge),
        OUTSOURCEBOT_ENCODER="numpy",
        OUTSOURCEBOT_THRESHOLD="0.3",
    )
    # The real target; -o keeps make from reinstalling anything.
    argv = ["make", "--no-print-directory", "-C", str(REPO_DIR), "-o", ".venv/.installed-serve", "chat"]
    status, screen = _pty_chat(argv, env, b"\x03", sigint)
    assert "Bye!" in screen, screen
    assert "Interrupt" not in screen and "Error" not in screen, screen
    assert status == 0, screen


# ----- a message asking two things ----------------------------------------------------------------


def test_console_numbers_the_other_question_and_its_number_answers_it(core: Core) -> None:
    output, _ = converse(core, TWO_QUESTIONS, "2", "/quit")
    first, second = turns(output)[1:3]
    assert first.startswith("Pricing and costs")
    assert "[1] Contracts" in first and f"[2] {OFFER}" in first, first
    assert second.startswith("Crossing the chasm"), "the number pressed the offered topic"


def test_one_question_offers_nothing_else(core: Core) -> None:
    output, _ = converse(core, "how much does a freelancer cost?", "/quit")
    assert "You also asked" not in output
