"""Follow-ups that follow the person: read against the chat's topic only when they depend on it (real model)."""

from __future__ import annotations

import pytest

from bot.conversation.core import Core
from bot.conversation.followups import depends_on_topic
from bot.messages import Message, Reply


def converse(core: Core, chat: str, *turns: str) -> list[Reply]:
    return [core.answer(Message(turn, chat, chat)) for turn in turns]


def paragraphs(reply: Reply) -> set[str]:
    return {p.strip() for p in reply.body.split("\n") if len(p.split()) > 6}


@pytest.mark.parametrize(
    ("text", "depends"),
    [
        ("how would I know if we're in one", True),
        ("what tools would they use", True),
        ("how would I check", True),
        ("and on fiverr?", True),
        ("how much?", True),
        ("I run a bakery with four staff and want to know when outside help makes sense for us", False),
        ("outsourcing accounting and bookkeeping", False),
    ],
)
def test_which_messages_depend_on_the_topic(text: str, depends: bool) -> None:
    assert depends_on_topic(text) is depends


def test_how_would_i_know_after_the_tornado_gets_its_if_it_happens_to_you_passage(real_core: Core) -> None:
    first, follow = converse(
        real_core, "fu-tornado", "what's the tornado he talks about", "how would I know if we're in one"
    )
    assert first.sources[0].id == follow.sources[0].id == "inside-the-tornado"
    assert follow.answered and "viral post" in follow.body, "the passage for a small business it happens to"
    assert not paragraphs(first) & paragraphs(follow), "nothing the person just read is sent again"


def test_how_do_i_know_if_im_stuck_in_it_after_the_chasm_stays_on_the_chasm(real_core: Core) -> None:
    first, follow = converse(real_core, "fu-chasm", "what is crossing the chasm", "how do I know if I'm stuck in it")
    assert follow.answered and follow.sources[0].id == "crossing-the-chasm"
    assert not paragraphs(first) & paragraphs(follow)


@pytest.mark.parametrize(
    ("topic", "note", "section"),
    [
        ("how do I get a website built for my shop", "outsourcing-web-and-design", "Rough costs"),
        ("should I hire a writer for my blog", "outsourcing-writing", "Rates"),
    ],
)
def test_how_much_after_a_topic_with_a_costs_part_leads_with_it(
    real_core: Core, topic: str, note: str, section: str
) -> None:
    _, follow = converse(real_core, f"fu-cost-{note}", topic, "how much?")
    assert follow.answered and follow.sources[0].id == note
    assert follow.answer.startswith(f"{section}:"), follow.answer[:80]


@pytest.mark.parametrize(
    "offtopic",
    ["what's 2+2", "what time is it in Tokyo?", "is it going to rain tomorrow", "what's 7 times 8", "whats 15% of 200"],
)
def test_off_topic_questions_mid_conversation_are_declined(real_core: Core, offtopic: str) -> None:
    first, reply = converse(real_core, f"fu-off-{offtopic}", "what's the tornado he talks about", offtopic)
    assert first.answered
    assert not reply.answered, reply.body[:120]


def test_a_question_that_names_its_own_subject_leaves_the_topic(real_core: Core) -> None:
    _, reply = converse(real_core, "fu-own", "what does a virtual assistant do", "do they need insurance?")
    assert reply.answered and reply.sources[0].id == "insurance-and-liability"


def test_what_does_that_mean_for_me_never_resends_what_was_shown(real_core: Core) -> None:
    replies = converse(
        real_core,
        "fu-for-me",
        "what is core vs context",
        "what does that mean for me?",
        "what does that mean for me?",
        "what does that mean for me?",
    )
    seen: set[str] = set()
    for reply in replies:
        assert reply.sources[0].id == "core-vs-context"
        assert not paragraphs(reply) & seen, "a paragraph came back"
        seen |= paragraphs(reply)
    assert "That's everything I have on Core versus context" in replies[-1].body
