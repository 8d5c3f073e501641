"""Several questions in one message: splitting them, and which other notes are offered ("You also asked")."""

from __future__ import annotations

import pytest

from bot.conversation.core import Core
from bot.messages import Message
from bot.search.queries import plan_queries
from bot.search.several import asking_sentences, separate_questions


@pytest.mark.parametrize(
    ("text", "questions"),
    [
        (
            "How do I find a good VA? And what goes in a freelance contract?",
            ["How do I find a good VA?", "And what goes in a freelance contract?"],
        ),
        (
            "We sell candles online. Should I hire a bookkeeper, and who owns the logo a designer makes?",
            ["Should I hire a bookkeeper", "who owns the logo a designer makes?"],
        ),
        (
            "what goes in a freelance contract; who owns the IP",
            ["what goes in a freelance contract", "who owns the IP"],
        ),
        ("how much does a freelancer cost?", []),  # one question
        ("We sell candles online. How do I find a designer?", []),  # a story and one question
        ("Should I hire a VA? Is it worth it?", []),  # the second leans on the first ("it")
        ("how do I pay a freelancer, and why?", []),  # "why" alone names nothing
        ("should my bakery be doing more on the web, what does moore suggest", []),  # Moore's view of the rest
        ("Should I outsource IT? What would you do?", []),
        (
            "We're moving our IT out. What should the contract say, and how do backups work?",
            ["What should the contract say", "how do backups work?"],  # what a thing says is a question
        ),
    ],
)
def test_separate_questions(text: str, questions: list[str]) -> None:
    assert separate_questions(text) == questions


def test_the_separate_questions_are_embedded_after_the_message_itself() -> None:
    plan = plan_queries("How do I find a good VA? And what goes in a freelance contract?")
    assert plan.own == 2  # as typed, and with "VA" spelled out
    assert plan.separate == ["How do I find a good VA?", "And what goes in a freelance contract?"]
    assert plan.texts[plan.own :] == plan.separate and not plan.contextual
    follow_up = plan_queries("and what does that cost?", previous_title="Virtual assistants")
    assert follow_up.contextual and follow_up.separate == [] and follow_up.texts[-1].startswith("Virtual assistants:")


def test_the_other_question_is_offered_with_the_real_model(real_core: Core) -> None:
    reply = real_core.answer(
        Message("How do I find a good virtual assistant? And what goes in a freelance contract?", "several", "two")
    )
    assert reply.answered and reply.sources[0].id == "virtual-assistants"
    assert [(s.id, s.title) for s in reply.also_asked] == [
        ("contracts-and-ip", "You also asked: Contracts and intellectual property")
    ]
    assert "contracts-and-ip" not in {s.id for s in reply.suggestions}, "offered once, not also as a related topic"


def test_parts_of_one_topic_offer_nothing_else(real_core: Core) -> None:
    reply = real_core.answer(
        Message("How much does a freelance designer charge? Do they bill hourly or by the project?", "several", "one")
    )
    assert reply.answered and reply.also_asked == []


def test_a_part_reaching_its_note_only_weakly_offers_nothing(real_core: Core) -> None:
    # "what can i do myself" alone: when to outsource and this bot's own note come about as close.
    reply = real_core.answer(
        Message("what legal stuff should i hand to a lawyer and what can i do myself", "several", "weak")
    )
    assert reply.answered and reply.sources[0].id == "outsourcing-legal-work"
    assert reply.also_asked == []


@pytest.mark.parametrize(
    ("text", "asking"),
    [
        (
            "We sell candles online and my books are a mess. Should I hire a bookkeeper?",
            ["Should I hire a bookkeeper?"],
        ),
        (
            "Our designer sent a logo that looks like a template. It is nothing like the brief. "
            "What can I do now, and how do I stop it next time?",
            ["What can I do now, and how do I stop it next time?"],
        ),
        ("We sell candles online. how do i find a designer", ["how do i find a designer"]),  # a question word asks
        ("how much does a freelancer cost?", []),  # one sentence
        ("How do I find a good VA? And what goes in a freelance contract?", []),  # questions only, no story
        ("My designer vanished. I paid him $400. Help!", []),  # a story asking nothing; "Help!" is no sentence
    ],
)
def test_asking_sentences(text: str, asking: list[str]) -> None:
    assert asking_sentences(text) == asking


def test_a_storys_asking_sentences_are_embedded_after_the_message_itself() -> None:
    plan = plan_queries("My VA is great. We sell candles online. Should I trust her with our customers' data?")
    assert plan.own == 2 and plan.asks == 1  # as typed, with "VA" spelled out, then the asking sentence
    assert plan.texts[plan.own :] == ["Should I trust her with our customers' data?"]
    both = plan_queries("We sell candles online. Should I hire a bookkeeper, and who owns the logo a designer makes?")
    assert both.asks == 1 and both.questions == 2
    assert both.texts[both.own] == "Should I hire a bookkeeper, and who owns the logo a designer makes?"
    assert both.separate == ["Should I hire a bookkeeper", "who owns the logo a designer makes?"]
    follow_up = plan_queries("We chatted about VAs. and what does that cost?", previous_title="Virtual assistants")
    assert follow_up.asks == 0 and follow_up.contextual
