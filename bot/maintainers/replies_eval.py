"""Evaluation of whole replies: is the asked fact early, how long is the reply, do conversations hold.

Unlike `bot.maintainers.evaluation`, which ranks notes, this sends every case through the
core as a person would and reads the reply. Formats are in `docs/evaluation.md`:
`focus.jsonl` (a question, its note and an `expect` regex), `focus_heldout.jsonl` (the same
format, never tuned on), `conversations.jsonl` (a list of turns sent to one chat) and
`conversations_heldout.jsonl` (the same format, never tuned on).
"""

from __future__ import annotations

import json
import re
import statistics
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config import REPO_DIR
from bot.messages import Message, Reply

FOCUS_FILE = REPO_DIR / "tests" / "data" / "focus.jsonl"
HELDOUT_FOCUS_FILE = REPO_DIR / "tests" / "data" / "focus_heldout.jsonl"
CONVERSATIONS_FILE = REPO_DIR / "tests" / "data" / "conversations.jsonl"
HELDOUT_CONVERSATIONS_FILE = REPO_DIR / "tests" / "data" / "conversations_heldout.jsonl"
REPLY_SETS: dict[Path, str] = {
    FOCUS_FILE: "tuning",
    HELDOUT_FOCUS_FILE: "held-out",
    CONVERSATIONS_FILE: "tuning",
    HELDOUT_CONVERSATIONS_FILE: "held-out",
}
"""The sets `eval --replies` reports, each on its own: the bot is tuned on `focus.jsonl` and
`conversations.jsonl`; the held-out sets were written before tuning and are only measured."""
EXPECT_WORDS = 100
"""An `expect` pattern must match within this many words from the start of the reply."""
DECLINED_KINDS = frozenset({"fallback"})
SMALL_TALK_KINDS = frozenset({"help", "thanks", "acknowledgement"})

Answer = Callable[[Message], Reply]
"""Something that answers a message: `Core.answer`."""


@dataclass
class Turn:
    """One message of a case and what its reply should be."""

    say: str
    expected: str | None
    kind: str = "covered"
    expect: str | None = None


@dataclass
class Case:
    """A labelled case: one turn (`focus.jsonl`, `eval.jsonl`) or a conversation of several."""

    name: str
    turns: list[Turn]


@dataclass
class TurnResult:
    """How one turn's reply fared."""

    case: str
    say: str
    kind: str
    expected: str | None
    got: str | None
    reply_kind: str
    words: int
    held: bool
    focused: bool | None
    repeated: bool
    why: str = ""


@dataclass
class RepliesResult:
    """Figures over every turn of a set of cases.

    Attributes:
        turns: Every turn's result, in order.
        focused: Share of turns with an `expect` whose reply comes from the expected note and
            matches it within the first 100 words; None when no turn has an `expect`.
        held: Share of turns whose reply is what a person would expect (see `docs/evaluation.md`).
        median_words, p90_words: Length of the answers (replies from a note), in words.
        repeats: Turns whose reply repeats an earlier reply of the same conversation word for word.
        offtopic_declined: Share of `offtopic` turns declined (1.0 when there are none).
    """

    turns: list[TurnResult] = field(default_factory=list)
    focused: float | None = None
    held: float = 0.0
    median_words: float = 0.0
    p90_words: float = 0.0
    repeats: int = 0
    offtopic_declined: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        """The figures and every turn as JSON-ready data."""
        return {
            "focused": self.focused,
            "held": self.held,
            "median_words": self.median_words,
            "p90_words": self.p90_words,
            "repeats": self.repeats,
            "offtopic_declined": self.offtopic_declined,
            "turns": [t.__dict__ for t in self.turns],
        }


def load_reply_cases(path: Path) -> list[Case]:
    """Read a JSONL file of single questions (`question`) or conversations (`turns`)."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if "turns" in row:
            turns = [Turn(t["say"], t.get("expected"), t.get("kind", "covered"), t.get("expect")) for t in row["turns"]]
            cases.append(Case(str(row.get("name") or f"line {number}"), turns))
        else:
            kind = "covered" if row.get("expected") else "offtopic"
            cases.append(Case(f"line {number}", [Turn(row["question"], row.get("expected"), kind, row.get("expect"))]))
    return cases


def word_count(text: str) -> int:
    """Words in a text, as a reader counts them (whitespace-separated)."""
    return len(text.split())


def first_words(text: str, count: int = EXPECT_WORDS) -> str:
    """The first `count` words of a text, joined by single spaces."""
    return " ".join(text.split()[:count])


def _from(reply: Reply) -> str | None:
    return reply.sources[0].id if reply.answered and reply.sources else None


def _note_matches(got: str | None, expected: str | None) -> bool:
    return got is not None and expected is not None and (got == expected or got.startswith(f"{expected}/"))


def judge_turn(case: str, turn: Turn, reply: Reply, earlier: list[str]) -> TurnResult:
    """Decide whether one reply holds, given the earlier replies' texts in its conversation.

    A turn holds when its reply comes from the expected note (or, for no note, is a decline
    or small talk), matches `expect` within the first 100 words when given, and does not
    repeat an earlier reply of the conversation word for word.
    """
    text = reply.body
    got = _from(reply)
    kind = str(reply.kind)
    # Only answers count as repeats: two declines in one chat may well read the same.
    repeated = got is not None and text in earlier
    why = ""
    if turn.expected is None:
        right = kind in (SMALL_TALK_KINDS if turn.kind == "smalltalk" else DECLINED_KINDS | SMALL_TALK_KINDS)
        if not right:
            why = f"expected a decline or small talk, got {kind} from {got}"
    else:
        right = _note_matches(got, turn.expected)
        if not right:
            why = f"expected {turn.expected}, got {kind} from {got}"
    focused = None
    if turn.expect is not None:
        focused = right and turn.expected is not None and bool(re.search(turn.expect, first_words(text), re.I))
        if right and not focused:
            why = f"{turn.expect!r} not in the first {EXPECT_WORDS} words"
    if repeated and not why:
        why = "repeats an earlier reply word for word"
    held = right and focused is not False and not repeated
    return TurnResult(
        case, turn.say, turn.kind, turn.expected, got, kind, word_count(text), held, focused, repeated, why
    )


def _percentile(values: list[int], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    # Nearest rank: the smallest value with at least `share` of the values at or below it.
    rank = max(1, -(-len(ordered) * share // 1))
    return float(ordered[int(rank) - 1])


def summarise(turns: list[TurnResult]) -> RepliesResult:
    """Aggregate turn results into the set's figures."""
    with_expect = [t for t in turns if t.focused is not None]
    answers = [t.words for t in turns if t.got is not None]
    offtopic = [t for t in turns if t.kind == "offtopic"]
    return RepliesResult(
        turns=turns,
        focused=sum(bool(t.focused) for t in with_expect) / len(with_expect) if with_expect else None,
        held=sum(t.held for t in turns) / len(turns) if turns else 0.0,
        median_words=float(statistics.median(answers)) if answers else 0.0,
        p90_words=_percentile(answers, 0.9),
        repeats=sum(t.repeated for t in turns),
        offtopic_declined=sum(t.held for t in offtopic) / len(offtopic) if offtopic else 1.0,
    )


def evaluate_replies(answer: Answer, cases: list[Case], platform: str = "eval") -> RepliesResult:
    """Send every case through `answer`, each case in a fresh chat, and judge the replies.

    Args:
        answer: Answers one message (`Core.answer`, with no rate limit).
        cases: From `load_reply_cases`.
        platform: The platform name the messages carry.

    Returns:
        The figures and every turn's result.
    """
    results = []
    for case in cases:
        chat = f"{platform}-{uuid.uuid4().hex}"
        earlier: list[str] = []
        for turn in case.turns:
            reply = answer(Message(turn.say, "evaluator", chat, platform))
            results.append(judge_turn(case.name, turn, reply, earlier))
            earlier.append(reply.body)
    return summarise(results)


def format_replies_report(name: str, result: RepliesResult, held_out: bool = False) -> str:
    """Human-readable figures for one set, and the turns that did not hold (only counted for a held-out set)."""
    lines = [
        f"{name}: {len(result.turns)} turns",
        f"  focused (expect within {EXPECT_WORDS} words)  "
        + (f"{result.focused:.3f}" if result.focused is not None else "n/a (no turn has an expect)"),
        f"  turns held                          {result.held:.3f}",
        f"  answer words median / p90           {result.median_words:.0f} / {result.p90_words:.0f}",
        f"  verbatim repeats                    {result.repeats}",
        f"  off-topic declined                  {result.offtopic_declined:.3f}",
    ]
    missed = [t for t in result.turns if not t.held]
    if missed and held_out:  # a held-out set's misses are never listed: nothing may be tuned on them
        lines.append(f"  not held: {len(missed)} (held out: counted, not listed)")
    elif missed:
        lines.append(f"  not held ({len(missed)}):")
        lines += [f"    [{t.case}] {t.say!r} ({t.kind}): {t.why}" for t in missed]
    return "\n".join(lines)
