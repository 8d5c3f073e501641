"""The asked fact first: passages compared by the question's distinctive words, sections and abbreviations."""

from __future__ import annotations

from pathlib import Path

from bot.conversation import focus
from bot.conversation.core import Core
from bot.knowledge.notes import parse_note
from bot.maintainers.replies_eval import first_words
from bot.messages import Message
from bot.search.retrieval import Candidate
from tests.bot.conversation.test_focus import _note, va_folder  # noqa: F401  (fixture)

EOR_NOTE = """---
id: hr
title: HR and payroll
questions: [can I outsource payroll, who runs payroll for a small firm, payroll providers]
sources: ["Test source"]
updated: 2026-11-27
---
Small firms pay a provider to run payroll, and an employer of record (EOR) employs people abroad for them.

## Key points

- EOR: named firms employ your hire abroad for a monthly fee per person.
- Payroll service: pays staff and files the taxes.

## Which one fits

Use an EOR for one-off hires abroad and a payroll service at home.
"""


def test_a_question_whose_fact_sits_in_a_second_passage_gets_that_passage_first(va_folder: Path) -> None:  # noqa: F811
    note = _note(va_folder)
    # The opening answer matched a little better by meaning; the question's own words are in the cost point.
    passages = (("answer", 0.52), ("point:1", 0.48), ("point:2", 0.3))
    candidate = Candidate("va", 1, 1, 1, 0, passages)
    question = "what do helpers in Manila charge an hour"
    shares = focus.word_shares(note, question)
    assert max(shares, key=lambda name: shares[name]) == "point:1"
    assert focus.lead_passage(candidate, note) == "answer"  # by retrieval scores alone
    assert focus.lead_passage(candidate, note, question) == "point:1"
    parts = focus.first_answer(candidate, note, question=question)
    assert parts[0].name == "point:1" and "answer" not in [p.name for p in parts]


def test_words_every_part_uses_say_little(va_folder: Path) -> None:  # noqa: F811
    note = _note(va_folder)
    assert set(focus.word_shares(note, "how would that go")) == set(focus.part_names(note))
    assert not any(focus.word_shares(note, "how would that go").values())
    rare = focus.word_shares(note, "password manager")["point:3"]
    # "Manila" is in one part, "hours" in several: the one-part word says more about which part was meant.
    assert focus.word_shares(note, "manila")["point:1"] > focus.word_shares(note, "hours")["point:1"]
    assert 0 < rare < 1


def test_a_section_that_matched_nearly_as_well_and_adds_an_asked_word_follows_the_opening(
    va_folder: Path,  # noqa: F811
) -> None:
    note = _note(va_folder)
    close = Candidate("va", 1, 1, 1, 0, (("answer", 0.7), ("section:2", 0.65), ("point:0", 0.4)))
    question = "what did a bakery hand its virtual assistant"  # "bakery": in the example, not the opening
    names = [p.name for p in focus.first_answer(close, note, question=question)]
    assert names[:2] == ["answer", "section:2"]
    # Only more of what the opening says ("virtual assistant"): the example is left for "more".
    general = [p.name for p in focus.first_answer(close, note, question="what does a virtual assistant do")]
    assert "section:2" not in general
    far = Candidate("va", 1, 1, 1, 0, (("answer", 0.7), ("section:2", 0.5), ("point:0", 0.4)))
    assert "section:2" not in [p.name for p in focus.first_answer(far, note, question=question)]


def test_what_an_abbreviation_stands_for_is_led_by_the_passage_that_spells_it_out(tmp_path: Path) -> None:
    path = tmp_path / "hr.md"
    path.write_text(EOR_NOTE)
    note, problems = parse_note(path)
    assert note is not None and not problems
    assert focus.spelled_out("what does EOR stand for when hiring abroad") == "EOR"
    assert focus.spelled_out("whats an EOR?") == "EOR"
    assert focus.spelled_out("what does that mean for me") == ""
    assert focus.spelled_out("what is the EOR fee in spain") == ""
    candidate = Candidate("hr", 1, 1, 1, 0, (("section:1", 0.74), ("point:0", 0.72), ("answer", 0.38)))
    assert focus.lead_passage(candidate, note, "how do I hire abroad") == "section:1"
    assert focus.lead_passage(candidate, note, "what does EOR stand for when hiring abroad") == "answer"


def test_the_meaning_of_an_abbreviation_is_in_the_first_lines(real_core: Core) -> None:
    # Missed before: a section and a point that only use "EOR" led, and the reply never spelled it out.
    reply = real_core.answer(Message("what does EOR mean for a hire abroad", "words", "words"))
    assert reply.answered and reply.sources[0].id == "outsourcing-hr-and-payroll"
    assert "employer of record" in first_words(reply.body).lower(), reply.body[:600]


def test_part_terms_are_computed_once_per_note_object(va_folder: Path) -> None:  # noqa: F811
    note = _note(va_folder)
    first = focus._part_terms(note)
    assert focus._part_terms(note) is first  # cached: stemming every part per question was ~0.8 ms
    assert first == focus._compute_part_terms(note)
    edited = _note(va_folder)  # a reload parses a new object: its terms are computed afresh
    edited.answer = "Completely different wording about zebras."
    assert focus._part_terms(edited) is not first
    assert "zebra" in focus._part_terms(edited)["answer"][0]
