"""A message asking two things: the main one is answered, the other offered as "You also asked: <title>".

On Telegram the offer is a topic button above the related topics, and on the console a number after
them: either answers with that note through the core's one door, like a "did you mean" topic.
"""

from __future__ import annotations

from bot.conversation.core import Core
from tests.adapters import test_telegram as telegram_tests
from tests.adapters.fake_telegram import FakeTelegram
from tests.adapters.test_console import converse, turns
from tests.adapters.test_telegram import USER, answers, bot_running, bounded, button
from tests.adapters.test_telegram_more import texts

fake = telegram_tests.fake  # the fake Bot API fixture, shared

TWO_QUESTIONS = "how much does a freelancer cost? And what is the chasm?"
OFFER = "You also asked: Crossing the chasm"


def test_console_numbers_the_other_question_and_its_number_answers_it(core: Core) -> None:
    output, _ = converse(core, TWO_QUESTIONS, "2", "/quit")
    first, second = turns(output)[1:3]
    assert first.startswith("Pricing and costs")
    assert "[1] Contracts" in first and f"[2] {OFFER}" in first, first
    assert second.startswith("Crossing the chasm"), "the number pressed the offered topic"


def test_one_question_offers_nothing_else(core: Core) -> None:
    output, _ = converse(core, "how much does a freelancer cost?", "/quit")
    assert "You also asked" not in output


@bounded(20)
async def test_telegram_offers_the_other_question_as_a_button(core: Core, fake: FakeTelegram) -> None:
    async with bot_running(core, fake):
        fake.push_private(USER, TWO_QUESTIONS)
        first = (await answers(fake, USER))[0]
        assert first["text"].startswith("Pricing and costs")
        labels = texts(first)
        assert OFFER in labels and labels.index(OFFER) < labels.index("Contracts"), labels
        fake.press(first, button(first, OFFER), USER)
        pressed = (await answers(fake, USER, 2))[1]
    assert pressed["text"].startswith("Crossing the chasm")
    questions = [r["question"] for r in core.store.db.query("select question, note_id from questions")]
    assert questions[0] == TWO_QUESTIONS and len(questions) == 2, "the press went through the core too"
