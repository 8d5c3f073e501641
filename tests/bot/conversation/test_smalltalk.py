"""Small talk, "tell me more" and questions in other scripts: what the core says that is not a topic answer."""

from __future__ import annotations

import pytest

from bot.conversation.core import Core
from bot.conversation.smalltalk import small_talk, wants_more
from bot.messages import Message
from bot.search.text import expand_abbreviations, mostly_non_latin


@pytest.mark.parametrize("text", ["hi", "hello?", "hey there", "good morning", "Hi!", "hello bot"])
def test_greetings_get_the_help_text_and_are_not_recorded(core: Core, text: str) -> None:
    reply = core.answer(Message(text, "u", "greet"))
    assert reply.kind == "help" and "Just ask a question" in reply.text
    assert reply.suggestion_label == "Popular topics" and reply.suggestions
    assert reply.answer_id is None
    assert core.store.count("questions") == 0 and core.store.count("unanswered") == 0


@pytest.mark.parametrize(
    "text",
    [
        "thanks!",
        "ok thanks",
        "thank you",
        "cheers",
        "Thanks a lot!",
        "thanks thats helpful",
        "Thanks, that is really useful!",
        "very helpful",
        "that helped a lot, thanks",
    ],
)
async def test_thanks_get_you_are_welcome(core: Core, text: str) -> None:
    for reply in (core.answer(Message(text, "u", "thanks")), await core.handle(Message(text, "u", "thanks-async"))):
        assert reply.kind == "thanks" and reply.text.startswith("You're welcome")
        assert not reply.answered and reply.answer_id is None
    assert core.store.count("questions") == 0


@pytest.mark.parametrize("text", ["ok", "got it", "bye", "lol", "ok bye", "alright, see you"])
def test_acknowledgements_are_not_questions(core: Core, text: str) -> None:
    core.answer(Message("what is the chasm", "u", "ack"))
    reply = core.answer(Message(text, "u", "ack"))
    assert reply.kind == "acknowledgement" and not reply.answered and reply.answer_id is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hi, how do I hire a VA?", None),
        ("is it helpful to hire a VA", None),
        ("that helps with payroll?", None),
        ("how useful is a VA", None),
        ("thanks for the NDA tip, what about IP?", None),
        ("good morning", "greeting"),
        ("thank you so much", "thanks"),
    ],
)
def test_small_talk_is_the_whole_message(text: str, kind: str | None) -> None:
    assert small_talk(text) == kind


def test_wants_more() -> None:
    assert all(
        wants_more(t) for t in ["tell me more", "more", "give me an example", "explain", "why?", "Tell me more please!"]
    )
    assert not any(wants_more(t) for t in ["tell me more about contracts", "why outsource", "explain core vs context"])


async def test_tell_me_more_with_the_fake_core(core: Core) -> None:
    core.answer(Message("what is the chasm", "u", "more"))
    reply = await core.handle(Message("tell me more", "u", "more"))
    assert reply.kind == "answer" and reply.sources[0].id == "chasm" and reply.answer_id


@pytest.mark.parametrize("text", ["Привет, как нанять фрилансера?", "如何外包我的会计工作", "كيف أوظف مساعدا افتراضيا"])
async def test_other_scripts_are_told_english_only(real_core: Core, text: str) -> None:
    for reply in (
        real_core.answer(Message(text, "u", "script")),
        await real_core.handle(Message(text, "u", "script-async")),
    ):
        assert reply.kind == "fallback"
        assert "I can only answer in English for now." in reply.text


def test_english_fallback_has_no_language_line(core: Core) -> None:
    reply = core.answer(Message("zqx fnord blorp", "u", "english"))
    assert reply.kind == "fallback" and "English" not in reply.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Привет мир", True),
        ("你好 hello", False),
        ("你好世界 hi", True),
        ("café crème", False),
        ("hola qué tal", False),
        ("123 ???", False),
    ],
)
def test_mostly_non_latin(text: str, expected: bool) -> None:
    assert mostly_non_latin(text) is expected


def test_expand_abbreviations() -> None:
    assert (
        expand_abbreviations("should I hire a VA or two VAs?")
        == "should I hire a virtual assistant or two virtual assistants?"
    )
    assert expand_abbreviations("is a 3pl worth it") == "is a third-party logistics worth it"
    assert expand_abbreviations("my PA and pa") == "my personal assistant and pa"
    assert (
        expand_abbreviations("do I need an NDA for my IP")
        == "do I need an non-disclosure agreement for my intellectual property"
    )
    assert expand_abbreviations("I used oDesk in 2012") == "I used Upwork, formerly oDesk in 2012"
    assert expand_abbreviations("vacation java") == "vacation java"
