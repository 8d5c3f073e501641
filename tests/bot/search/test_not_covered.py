"""Declining questions on subjects the notes deliberately leave out (bot.search.not_covered)."""

from __future__ import annotations

import pytest

from bot.conversation.core import Core
from bot.knowledge.not_covered import parse_not_covered
from bot.messages import Message
from bot.replies.blocks import plain_text
from bot.search.not_covered import NotCoveredMatcher, asked_part, decline_not_covered, shipped_not_covered
from bot.search.retrieval import Candidate

LISTED = parse_not_covered(
    "subjects:\n"
    "  loans:\n    words: [loan, bank loan, line of credit]\n    pointer: Ask your bank.\n"
    "  franchising:\n    words: [franchise]\n"
)


def test_subjects_are_found_as_whole_words_in_any_form_named_as_typed() -> None:
    matcher = NotCoveredMatcher(LISTED)
    found = matcher.find("Can I get Bank Loans or a line of credit for my shop?")
    assert [(s.name, typed) for s, typed in found] == [("loans", "Bank Loans")]  # the longest phrase, once
    assert [typed for _, typed in matcher.find("buying a Franchise")] == ["Franchise"]
    assert [typed for _, typed in matcher.find("the money we borrowed was loaned to us")] == ["loaned"]
    assert matcher.find("a credit line") == []  # other words, other order
    assert matcher.find("download the invoice") == []  # "loan" inside a word is no match


def test_an_empty_list_changes_nothing() -> None:
    matcher = NotCoveredMatcher(parse_not_covered(""))
    assert not matcher and matcher.find("a bank loan") == []


def test_a_long_story_counts_only_its_questions() -> None:
    story = (
        "We make scheduling software and our investors say we're too broad. "
        "We tried ads and discounts. How do I choose a first niche?"
    )
    assert asked_part(story) == " How do I choose a first niche?"
    assert asked_part("investors for my bakery") == "investors for my bakery"  # short: taken whole
    long_without_question = "I need to find out how the loan process works for a shop like mine in the city centre"
    assert asked_part(long_without_question) == long_without_question


def _candidate(note_id: str, confidence: float = 0.6, part: str = "answer") -> Candidate:
    return Candidate(note_id, confidence, confidence, confidence, 0.0, ((part, confidence),))


def test_a_candidate_covering_the_subject_in_its_matched_passage_keeps_its_confidence(real_core: Core) -> None:
    index = real_core.index
    matcher = shipped_not_covered()
    # The writing note's business-plan passage is about writing for a lender: it covers loans there.
    part = next(c.part for c in index.chunks if c.note_id == "outsourcing-writing" and " loan" in c.text.lower())
    ranked = [_candidate("hiring-freelancers", 0.7), _candidate("outsourcing-writing", 0.6, part)]
    rescored = decline_not_covered(ranked, "who writes a business plan for a bank loan", index, matcher, 0.41)
    assert [c.note_id for c in rescored] == ["hiring-freelancers", "outsourcing-writing"]  # order kept
    assert rescored[0].confidence < 0.41 and rescored[0].uncovered == ("bank loan",)
    assert rescored[0].pointer.startswith("A bank")
    assert rescored[1] == ranked[1] and rescored[1].confidence == 0.6
    # A note that says "lender" only in a passage that did not match does not cover borrowing.
    note = "long-term-over-quarterly"
    mentions = {c.part for c in index.chunks if c.note_id == note and "lender" in c.text.lower()}
    other = next(c.part for c in index.chunks if c.note_id == note and c.part not in mentions)
    assert mentions and "answer" not in mentions
    for part, declined in [(other, True), (next(iter(mentions)), False)]:
        rescored = decline_not_covered([_candidate(note, 0.6, part)], "which lender is best", index, matcher, 0.41)
        assert (rescored[0].confidence < 0.41) is declined
    assert decline_not_covered(ranked, "how do I find a good freelancer", index, matcher, 0.41) == ranked


@pytest.mark.parametrize(
    "question, named",
    [
        ("can I open a business bank account online", "business bank"),
        ("should I set up an LLC or stay a sole trader", "LLC"),
        ("how do I find investors for my startup", "investors"),
        ("what CRM should my sales freelancer use", "CRM"),
        ("how do I trademark my brand name", "trademark"),
        # The writing note's own "business plan writer for a bank loan" is for loans, not about them.
        ("how do I get a small business loan for my bakery", "business loan"),
        ("my landlord won't fix the heating in my shop, what can I do", "landlord"),  # whom it is about
        ("how much should I pay myself from my cafe", "pay myself"),
        # "web design" is the asker's trade, not what the web design note would answer.
        ("should I incorporate my freelance web design business", "incorporate"),
        # Asked at the end of a story: the request's head names it.
        (
            "We've run a small gym for 3 years with 150 members and want to grow, how do I get investors interested?",
            "investors",
        ),
    ],
)
def test_listed_subjects_are_declined_by_name_with_a_pointer(real_core: Core, question: str, named: str) -> None:
    reply = real_core.answer(Message(question, "not-covered", question))
    text = plain_text(reply.blocks)
    assert not reply.answered, text
    assert f"I don't have a note on {named}," in text
    subject = next(s for s, _ in shipped_not_covered().find(question))
    assert subject.pointer and subject.pointer in text


VANS = "I'm a plumber in Manchester with 3 vans, is it worth paying a virtual assistant to answer my phone calls?"


@pytest.mark.parametrize(
    "question, note",
    [
        # The subject word is in passing: the question is about the note's own subject.
        ("I run a franchise bakery, should I outsource my bookkeeping?", "outsourcing-accounting"),
        ("should my VA update our CRM", "virtual-assistants"),
        # In the story, not in the question.
        (
            "We make scheduling software and everyone could use it. Investors say we're too broad. "
            "How do I choose a first niche, and what does 'whole product' mean in practice?",
            "beachhead-and-whole-product",
        ),
        ("should I hire a sourcing agent to find a manufacturer for my franchise", "finding-a-manufacturer"),
        ("what should a web designer charge to build my franchise website", "outsourcing-web-and-design"),
        # The asker introduces their own business: who asks, not what is asked.
        ("I have a franchise, what should I outsource first", "what-to-outsource"),
        ("can someone write my business plan for a bank loan", "outsourcing-writing"),
        # Told in the story before the request ("is it worth ..."), not asked.
        (VANS, "virtual-assistants"),
        # The note covers the subject in the passage that matched.
        ("is it worth paying an accountant to do my tax return", "outsourcing-accounting"),
    ],
)
def test_covered_questions_mentioning_a_listed_word_keep_their_answer(
    real_core: Core, question: str, note: str
) -> None:
    reply = real_core.answer(Message(question, "passing", question))
    assert reply.answered, plain_text(reply.blocks)
    assert reply.sources[0].id == note


def test_a_listed_word_in_the_story_is_not_named_as_an_unanswered_part(real_core: Core) -> None:
    reply = real_core.answer(Message(VANS, "story", VANS))
    assert reply.answered and reply.sources[0].id == "virtual-assistants"
    assert "I don't have a note on" not in plain_text(reply.blocks)
