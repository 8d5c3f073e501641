"""Focused replies: which parts of a note a reply shows, "more" that never repeats, the short version."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation import continuing, focus
from bot.conversation.core import Core
from bot.conversation.smalltalk import brevity, wants_more
from bot.knowledge.notes import parse_note
from bot.knowledge.passages import one_line
from bot.messages import Message, ReplyKind
from bot.search.retrieval import Candidate
from tests.conftest import make_core

VA_NOTE = """---
id: va
title: Virtual assistants
questions: [what does a VA do, should I hire a VA, where to find a VA]
related: [other]
sources: ["Test source"]
updated: 2026-11-27
---
Yes. A virtual assistant works remotely on admin jobs such as email, calendars and research.

## Key points

- Where to look: marketplaces, specialist agencies, or referrals from other owners.
- Cost: helpers in Manila charge five to fifteen dollars an hour.
- Onboarding: record screen videos of each task and keep a checklist.
- Access: share logins through a password manager.

## Red flags

- Asking for your bank password.
- Disappearing for days without a word.

## Example

A bakery owner handed her VA the wholesale order emails and won back six hours a week.

## For a small business

Start with ten paid hours on one routine job and add more once it runs smoothly.
"""

OTHER_NOTE = """---
id: other
title: Other topic
questions: [first other question, second other question, third other question]
sources: ["Test source"]
updated: 2026-11-27
---
Something unrelated about pottery kilns.

## Key points

- Kilns get hot.
"""


@pytest.fixture
def va_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "va.md").write_text(VA_NOTE)
    (folder / "other.md").write_text(OTHER_NOTE)
    return folder


@pytest.fixture
def va_core(va_folder: Path, tmp_path: Path) -> Core:
    return make_core(va_folder, tmp_path / "data", threshold=0.2)


def _note(folder: Path):  # type: ignore[no-untyped-def]
    note, problems = parse_note(folder / "va.md")
    assert note is not None and not problems
    return note


def test_every_part_of_a_note_has_a_name_and_a_text(va_folder: Path) -> None:
    note = _note(va_folder)
    names = focus.part_names(note)
    assert names == ["answer", "point:0", "point:1", "point:2", "point:3", "section:1", "section:2", "section:3"]
    red_flags = focus.part_of(note, "section:1")
    assert red_flags is not None and red_flags.heading == "Red flags"
    assert red_flags.bullets == ("Asking for your bank password.", "Disappearing for days without a word.")
    assert focus.part_of(note, "point:9") is None and focus.part_of(note, "section:x") is None


def test_a_first_answer_leads_with_the_passage_that_matched(va_folder: Path) -> None:
    note = _note(va_folder)
    asked_cost = Candidate("va", 1, 1, 1, 0, (("point:1", 0.8), ("answer", 0.5), ("point:2", 0.4)))
    parts = focus.first_answer(asked_cost, note)
    # The cost point leads; the opening "Yes." was written for another question and is left for "more".
    assert [p.name for p in parts][:2] == ["point:1", "point:2"]
    assert "answer" not in [p.name for p in parts]
    assert len(parts) <= 1 + focus.MAX_POINTS
    assert sum(p.words for p in parts) <= focus.WORD_BUDGET + focus.WORD_BUDGET // 3
    general = Candidate("va", 1, 1, 1, 0, (("answer", 0.7), ("point:1", 0.4)))
    assert focus.first_answer(general, note)[0].name == "answer"
    # Points the chat has seen are not offered again under the passage.
    again = focus.first_answer(asked_cost, note, frozenset({"point:2"}))
    assert "point:2" not in [p.name for p in again] and again[0].name == "point:1"


def test_more_shows_what_fits_the_request_and_never_the_same_part_twice(va_folder: Path) -> None:
    note = _note(va_folder)
    shown = frozenset({"answer", "point:0"})
    example = continuing.more_parts(note, shown, "give me an example")
    assert example[0].heading == "Example"
    for_me = continuing.more_parts(note, shown, "what does that mean for a bakery")
    assert for_me[0].heading == "For a small business"
    seen = set(shown)
    while parts := continuing.more_parts(note, frozenset(seen), "tell me more"):
        names = [p.name for p in parts]
        assert not seen & set(names)
        assert sum(1 for n in names if n.startswith("section:")) <= 1
        seen |= set(names)
    assert seen == set(focus.part_names(note))


def test_one_line_summary_skips_a_bare_yes(va_folder: Path) -> None:
    summary = one_line(_note(va_folder))
    assert summary.startswith("Yes. A virtual assistant works remotely")
    assert summary.endswith("research.")


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        ("tl;dr", ""),
        ("in one sentence pls", ""),
        ("explain like I'm busy", ""),
        ("short version", ""),
        ("core vs context in one sentence pls", "core vs context"),
    ],
)
def test_brevity_requests(text: str, rest: str) -> None:
    assert brevity(text) == (True, rest)


@pytest.mark.parametrize("text", ["how much does it cost?", "what is a short-term contract", "explain the chasm"])
def test_questions_that_are_not_brevity_requests(text: str) -> None:
    assert brevity(text) == (False, text)


@pytest.mark.parametrize(
    "text", ["what does that mean for a bakery", "what does that mean for me?", "give me an example", "go on"]
)
def test_requests_for_more(text: str) -> None:
    assert wants_more(text)


def test_a_conversation_never_repeats_and_says_when_everything_was_shown(va_core: Core) -> None:
    chat = "focus-chat"
    first = va_core.answer(Message("what do helpers in Manila charge an hour", "u", chat))
    assert first.kind == ReplyKind.ANSWER and first.sources[0].id == "va"
    assert "five to fifteen dollars" in first.body
    assert "Sources" not in first.body  # one "more" away, with the rest of the note
    assert len(first.body.split()) < len(va_core.kb.notes["va"].answer.split()) + 80
    replies = [first.body]
    for _ in range(8):
        reply = va_core.answer(Message("tell me more", "u", chat))
        assert reply.kind == ReplyKind.ANSWER and reply.sources[0].id == "va"
        if "That's everything I have on Virtual assistants" in reply.body:
            break
        assert reply.body not in replies
        replies.append(reply.body)
    else:
        pytest.fail("'tell me more' never reached the end of the note")
    shown = "\n".join(replies)
    for text in ("wholesale order emails", "Asking for your bank password.", "ten paid hours", "password manager"):
        assert text in shown
    assert "Sources" in replies[-1]  # the last part of the note comes with its sources
    # The note's one-line summary on request; the summary is not a part, so "more" is unaffected.
    brief = va_core.answer(Message("tl;dr", "u", chat))
    assert brief.sources[0].id == "va" and one_line(va_core.kb.notes["va"]) in brief.body
    assert len(brief.body.split()) < 30
    # Asked again once everything was shown: the passage that answers, briefly, said to be a repeat.
    again = va_core.answer(Message("what do helpers in Manila charge an hour", "u", chat))
    assert again.sources[0].id == "va" and "five to fifteen dollars" in again.body
    assert "as above" in again.body and again.body not in replies
    assert len(again.body.split()) < len(first.body.split())


def test_a_part_said_again_is_cut_to_its_first_sentences() -> None:
    long = focus.Part("answer", "", " ".join(["This sentence has exactly eight words in it."] * 6))
    short = continuing.briefly(long)
    assert short.text == " ".join(["This sentence has exactly eight words in it."] * 4)
    items = focus.Part("section:1", "Red flags", "", tuple(f"flag {i} " + "word " * 10 for i in range(5)))
    assert len(continuing.briefly(items).bullets) == 3 and continuing.briefly(items).heading == "Red flags"


def test_example_request_shows_the_example_section(va_core: Core) -> None:
    chat = "example-chat"
    va_core.answer(Message("should I hire a VA", "u", chat))
    reply = va_core.answer(Message("give me an example", "u", chat))
    assert reply.body.index("Example:") < reply.body.index("wholesale order emails")


def test_an_example_asked_for_once_it_was_shown_is_given_again_briefly(va_core: Core, va_folder: Path) -> None:
    note = _note(va_folder)
    example = next(n for n in focus.part_names(note) if focus.part_of(note, n).heading == "Example")  # type: ignore[union-attr]
    assert continuing.shown_example(note, frozenset({"answer", example}), "give me an example") is not None
    assert continuing.shown_example(note, frozenset({"answer"}), "give me an example") is None, "not shown yet"
    assert continuing.shown_example(note, frozenset({"answer", example}), "tell me more") is None
    chat = "example-again"
    va_core.answer(Message("should I hire a VA", "u", chat))
    first = va_core.answer(Message("give me an example", "u", chat))
    again = va_core.answer(Message("give me an example", "u", chat))
    assert "Example:" in first.body and again.answer.startswith("Example:"), "the example, not the next part"
    assert "as above" in again.body and again.body != first.body


def test_a_follow_up_asking_for_a_passage_already_shown_gets_it_again(va_folder: Path) -> None:
    note = _note(va_folder)
    shown = frozenset({"answer", "point:0", "section:1"})  # the red flags were shown by "tell me more"
    asked = Candidate("va", 1, 1, 1, 0, (("answer", 0.6), ("point:2", 0.5), ("section:1", 0.4), ("point:3", 0.3)))
    question = "and what about bank passwords?"
    assert focus.asked_again(note, question, shown, ["point:1", "point:2", "point:3"]) == "section:1"
    parts = focus.first_answer(asked, note, shown, question=question, on_topic=True)
    assert parts[0].name == "section:1", "the red flags name the bank password; no fresh passage does"
    assert not {p.name for p in parts[1:]} & shown, "what follows it is new"
    # Not about the note just shown (a note the chat comes back to): the passage not read yet.
    assert focus.first_answer(asked, note, shown, question=question)[0].name == "point:2"
    # Words no shown passage uses more than a fresh one: the passage not read yet, as before.
    assert focus.asked_again(note, "how do I onboard them", shown, ["point:2"]) is None


def test_a_continuation_carries_on_the_question_before_it(va_core: Core) -> None:
    def ask(text: str) -> str:
        return va_core.answer(Message(text, "u", "cont", "test")).body

    ask("what does a VA cost in Manila")
    assert va_core.memory.asked("test", "cont") == "what does a VA cost in Manila"
    message = Message("and for a bakery?", "u", "cont", "test")
    question = continuing.asked_question(va_core.memory, message, follow_up=True)
    assert question == "what does a VA cost in Manila and for a bakery?"
    assert continuing.asked_question(va_core.memory, message, follow_up=False) == "and for a bakery?"
    alone = Message("how do I onboard a VA", "u", "cont", "test")
    assert continuing.asked_question(va_core.memory, alone, follow_up=True) == "how do I onboard a VA"
    # A continuation with a clause of its own asks something new: nothing is carried.
    own = Message("and once we hire one, then what?", "u", "cont", "test")
    assert continuing.asked_question(va_core.memory, own, follow_up=True) == "and once we hire one, then what?"


def test_words_that_say_when_do_not_ask_for_a_passage_again(tmp_path: Path) -> None:
    (tmp_path / "end.md").write_text(
        VA_NOTE.replace("id: va", "id: end").replace(
            "- Cost: helpers in Manila charge five to fifteen dollars an hour.",
            "- Pay for accepted work before holding anything back.",
        )
    )
    note, problems = parse_note(tmp_path / "end.md")
    assert note is not None and not problems
    shown = frozenset({"answer", "point:1"})
    # "back" and "before" are the only words the shown point shares with the question: not asked for again.
    assert focus.asked_again(note, "what should I get back from her before she goes", shown, ["point:2"]) is None
    assert focus.asked_again(note, "and paying for accepted work?", shown, ["point:2"]) == "point:1"
