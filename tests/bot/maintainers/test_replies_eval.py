"""Judging whole replies: `expect` within the first 100 words, answer length, conversations that hold."""

from __future__ import annotations

import json
from pathlib import Path

from bot.conversation.core import Core
from bot.maintainers.replies_eval import (
    CONVERSATIONS_FILE,
    FOCUS_FILE,
    HELDOUT_CONVERSATIONS_FILE,
    HELDOUT_FOCUS_FILE,
    Turn,
    evaluate_replies,
    first_words,
    format_replies_report,
    judge_turn,
    load_reply_cases,
    summarise,
)
from bot.messages import Reply, ReplyKind, Source
from bot.replies.blocks import Block, BlockKind


def _answer(note: str, text: str) -> Reply:
    return Reply(
        ReplyKind.ANSWER,
        [Block(BlockKind.HEADING, "T"), Block(BlockKind.PARAGRAPH, text)],
        sources=[Source(note, "T", 0.9)],
        answered=True,
    )


def test_expect_must_match_within_the_first_hundred_words() -> None:
    early = _answer("va", "Rates are $5-15 an hour. " + "filler " * 200)
    late = _answer("va", "filler " * 120 + "Rates are $5-15 an hour.")
    turn = Turn("va rates", "va", "covered", r"\$5-15")
    assert judge_turn("c", turn, early, []).focused is True
    result = judge_turn("c", turn, late, [])
    assert result.focused is False and not result.held and "first 100 words" in result.why
    wrong_note = judge_turn("c", turn, _answer("other", "Rates are $5-15."), [])
    assert wrong_note.focused is False and "expected va, got answer from other" in wrong_note.why
    assert first_words("a  b\nc d", 3) == "a b c"


def test_a_repeated_answer_does_not_hold_but_a_repeated_decline_may() -> None:
    reply = _answer("va", "Same words.")
    turn = Turn("tell me more", "va", "more")
    assert judge_turn("c", turn, reply, [reply.body]).repeated
    assert not judge_turn("c", turn, reply, [reply.body]).held
    decline = Reply(ReplyKind.FALLBACK, [Block(BlockKind.PARAGRAPH, "I don't know.")])
    off = judge_turn("c", Turn("2+2", None, "offtopic"), decline, [decline.body])
    assert off.held and not off.repeated
    # Small talk must be small talk; an answer to "hi" does not hold.
    assert not judge_turn("c", Turn("hi", None, "smalltalk"), reply, []).held


def test_summary_figures() -> None:
    turns = [
        judge_turn("c", Turn("q", "va", "covered", "x"), _answer("va", "x " + "w " * n), [])
        for n in (10, 20, 30, 40, 200)
    ]
    result = summarise(turns)
    assert result.focused == 1.0 and result.held == 1.0
    assert result.median_words == 32  # title, "x" and 30 words
    assert result.p90_words == 202
    assert result.offtopic_declined == 1.0


def test_a_set_without_expect_has_no_focused_figure() -> None:
    # A set with no `expect` cannot show focus: "n/a", not a misleading 0.000.
    result = summarise([judge_turn("c", Turn("q", "va", "covered"), _answer("va", "some words"), [])])
    assert result.focused is None and result.held == 1.0
    assert "focused (expect within 100 words)  n/a" in format_replies_report("set", result)
    assert result.to_dict()["focused"] is None


def test_both_formats_load(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text(
        json.dumps({"question": "q1", "expected": "a", "expect": "x"})
        + "\n\n"
        + json.dumps({"name": "chat", "turns": [{"say": "hi", "expected": None, "kind": "smalltalk"}]})
        + "\n"
    )
    single, chat = load_reply_cases(path)
    assert single.turns == [Turn("q1", "a", "covered", "x")]
    assert chat.name == "chat" and chat.turns == [Turn("hi", None, "smalltalk", None)]


# ----- the sets, with the real model ---------------------------------------------------------------
# Floors slightly below what the bot reaches (docs/evaluation.md), so a regression fails.


def test_focused_answers_on_the_focus_set(real_core: Core) -> None:
    result = evaluate_replies(real_core.answer, load_reply_cases(FOCUS_FILE))
    assert result.focused is not None and result.focused >= 0.84, [t.why for t in result.turns if not t.held]
    assert result.median_words <= 120 and result.p90_words <= 180


def test_focused_answers_on_the_held_out_focus_set(real_core: Core) -> None:
    # Never tuned on (docs/evaluation.md): a floor below the figure reached, so a regression fails.
    result = evaluate_replies(real_core.answer, load_reply_cases(HELDOUT_FOCUS_FILE))
    missed = sum(not t.held for t in result.turns)  # counted, never listed
    assert result.focused is not None and result.focused >= 0.84, f"{missed} turns did not hold"
    assert result.median_words <= 120 and result.p90_words <= 180


def test_conversations_hold(real_core: Core) -> None:
    result = evaluate_replies(real_core.answer, load_reply_cases(CONVERSATIONS_FILE))
    assert result.held >= 0.84, [(t.say, t.why) for t in result.turns if not t.held]
    assert result.median_words <= 120 and result.p90_words <= 180
    assert result.repeats == 0
    assert result.offtopic_declined == 1.0


def test_held_out_conversations_hold(real_core: Core) -> None:
    # Never tuned on (docs/evaluation.md): a floor below the figure reached, so a regression fails.
    result = evaluate_replies(real_core.answer, load_reply_cases(HELDOUT_CONVERSATIONS_FILE))
    # Its misses are counted, never listed: nothing may be tuned on them.
    assert result.held >= 0.77, f"{sum(not t.held for t in result.turns)} turns did not hold"
    assert result.repeats == 0
    assert result.offtopic_declined == 1.0


def test_a_held_out_set_counts_its_misses_without_listing_them() -> None:
    # Nothing may be tuned on a held-out set: its report says how many turns missed, never which.
    missed = judge_turn("c", Turn("secret question", "va", "covered"), _answer("pricing", "some words"), [])
    result = summarise([missed])
    assert "secret question" in format_replies_report("set", result)
    report = format_replies_report("set", result, held_out=True)
    assert "not held: 1" in report and "secret question" not in report
