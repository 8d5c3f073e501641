"""Inline buttons (adapters/telegram/callbacks.py and the presses in handlers.py): ratings, topics, "More on".

A focused answer shows the passage that answers and a few points; the "More on <title>" button
under it shows the parts of the note not yet shown (a `MorePress` through the core's one door),
and is no longer offered once the whole note has been shown. A message asking two things offers
the other one as a "You also asked: <title>" topic button.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.telegram.callbacks import feedback_data, more_data, parse_press, resolve_topic, topic_data
from adapters.telegram.handlers import TelegramApp
from bot.conversation.answers import expired_reply
from bot.conversation.core import Core
from tests.adapters.fake_telegram import BOT_USERNAME, FakeTelegram
from tests.adapters.samples import OFFER, TWO_QUESTIONS, more_core
from tests.adapters.telegram.harness import GROUP, USER, answers, bot_running, bounded, button, buttons


def test_callback_data_fits_in_64_bytes() -> None:
    assert feedback_data("0123456789abcdef", 1) == "fb:+:0123456789abcdef"
    assert parse_press("fb:-:0123456789abcdef") is not None and parse_press("fb:-:0123456789abcdef").rating == -1  # type: ignore[union-attr]
    long_id = "a-topic/with-a-very-long-identifier-that-is-more-than-sixty-one-bytes-é"
    data = topic_data(long_id)
    assert len(data.encode()) <= 64
    press = parse_press(data)
    assert press is not None and resolve_topic(press, ["other", long_id]) == long_id
    assert resolve_topic(parse_press("t:gone"), ["other"]) is None  # type: ignore[arg-type]
    assert parse_press("something else") is None and feedback_data("x" * 60, 1) is None


def test_more_callback_data_fits_and_round_trips() -> None:
    assert parse_press(more_data("bakery-help")) == parse_press("m:bakery-help")
    press = parse_press("m:bakery-help")
    assert press is not None and press.kind == "more" and press.value == "bakery-help" and not press.hashed
    long_id = "a/" + "x" * 80
    data = more_data(long_id)
    assert len(data.encode()) <= 64 and data.startswith("mh:")
    hashed = parse_press(data)
    assert hashed is not None and hashed.kind == "more" and hashed.hashed


@bounded(20)
async def test_feedback_buttons_record_the_rating_and_acknowledge(
    bot: TelegramApp, fake: FakeTelegram, core: Core
) -> None:
    fake.push_private(USER, "what goes in a freelance contract")
    answer = (await answers(fake, USER))[0]
    fake.press(answer, button(answer, "👍"), USER)
    await fake.wait_for(lambda: fake.calls_to("editMessageReplyMarkup"))

    ack = fake.calls_to("answerCallbackQuery")[0]
    assert ack.status == 200 and "Thanks for the 👍" in ack.params["text"]
    rows = list(core.store.db.query("select rating, note_id from feedback"))
    assert rows == [{"rating": 1, "note_id": "contracts"}]
    edited = fake.messages[(USER, answer["message_id"])]
    assert [b["text"] for b in buttons(edited)] == ["Pricing and costs"], "the rating buttons go, the topics stay"


@bounded(20)
async def test_group_rating_buttons_stay_so_every_member_can_rate(
    bot: TelegramApp, fake: FakeTelegram, core: Core
) -> None:
    fake.push_group(USER, f"@{BOT_USERNAME} what goes in a freelance contract")
    answer = (await answers(fake, GROUP))[0]
    fake.press(answer, button(answer, "👍"), USER)
    fake.press(answer, button(answer, "👎"), USER + 1)
    fake.press(answer, button(answer, "👍"), USER + 2)
    await fake.wait_for(lambda: len(fake.calls_to("answerCallbackQuery")) >= 3)
    await bot.stop()  # lets every handler finish, so a removal of the buttons would be here by now

    assert not fake.calls_to("editMessageReplyMarkup"), "in a group the rating buttons stay"
    assert [b["text"] for b in buttons(fake.messages[(GROUP, answer["message_id"])])] == [
        "Pricing and costs",
        "👍",
        "👎",
    ]
    assert all(c.status == 200 and c.params["text"] for c in fake.calls_to("answerCallbackQuery")), (
        "each press is acknowledged"
    )
    assert sorted(r["rating"] for r in core.store.db.query("select rating from feedback")) == [-1, 1, 1]


@bounded(20)
async def test_feedback_on_a_no_confident_answer_reply(bot: TelegramApp, fake: FakeTelegram, core: Core) -> None:
    fake.push_private(USER, "zqx fnord 🤷")  # nothing close: the core declines
    fallback = (await answers(fake, USER))[0]
    assert "I don't have a confident answer" in fallback["text"]
    fake.press(fallback, button(fallback, "👎"), USER)
    await fake.wait_for(lambda: fake.calls_to("answerCallbackQuery"))
    assert list(core.store.db.query("select rating from feedback")) == [{"rating": -1}]
    thanks = fake.calls_to("answerCallbackQuery")[0].params["text"]
    assert "logged for the maintainers" in thanks and "glad it helped" not in thanks, "a decline is not 'helped'"


@bounded(20)
async def test_a_second_rating_replaces_the_first_and_says_so(core: Core, fake: FakeTelegram) -> None:
    async with bot_running(core, fake):
        fake.push_group(USER, f"@{BOT_USERNAME} what goes in a freelance contract")
        answer = (await answers(fake, GROUP))[0]
        for label in ("👍", "👎", "👎"):  # in a group the rating buttons stay under the answer
            fake.press(answer, button(answer, label), USER)
        await fake.wait_for(lambda: len(fake.calls_to("answerCallbackQuery")) >= 3)
    first, second, third = (c.params["text"] for c in fake.calls_to("answerCallbackQuery"))
    assert "glad it helped" in first
    assert "changed your rating to 👎" in second and "(it replaces your 👍)" in second
    assert "already rated this 👎" in third
    assert [r["rating"] for r in core.store.db.query("select rating from feedback")] == [-1]


@bounded(20)
async def test_a_rating_on_a_decline_is_not_glad_it_helped(core: Core, fake: FakeTelegram) -> None:
    async with bot_running(core, fake):
        fake.push_private(USER, "zqx fnord 🤷")
        decline = (await answers(fake, USER))[0]
        fake.press(decline, button(decline, "👍"), USER)
        [ack] = await fake.wait_for(lambda: fake.calls_to("answerCallbackQuery"))
    assert "glad it helped" not in ack.params["text"]
    assert "logged for the maintainers" in ack.params["text"]


@bounded(20)
async def test_topics_list_and_topic_button(bot: TelegramApp, fake: FakeTelegram, core: Core) -> None:
    fake.push_private(USER, "/topics")
    topics = (await answers(fake, USER))[0]
    assert [b["text"] for b in buttons(topics)] == ["Contracts", "Crossing the chasm", "Pricing and costs"]
    fake.press(topics, button(topics, "Crossing the chasm"), USER)
    answer = (await answers(fake, USER, 2))[1]
    assert answer["text"].startswith("Crossing the chasm\n\nThe chasm is the gap")
    assert "👍" in [b["text"] for b in buttons(answer)]
    assert [r["question"] for r in core.store.db.query("select question from questions")] == [
        "[topic] Crossing the chasm"
    ]


@bounded(20)
async def test_expired_button_is_answered_politely(bot: TelegramApp, fake: FakeTelegram, core: Core) -> None:
    fake.push_private(USER, "/topics")
    topics = (await answers(fake, USER))[0]
    fake.press(topics, "t:a-note-that-was-deleted", USER)
    call = await fake.wait_for(lambda: fake.calls_to("answerCallbackQuery"))
    assert call[0].params["text"] == expired_reply().text, "the words come from the core's template"


def texts(message: dict[str, Any]) -> list[str]:
    """Button labels under a message, in order."""
    return [str(b["text"]) for b in buttons(message)]


@bounded(30)
async def test_more_button_shows_the_rest_until_everything_is_shown(
    tiny_knowledge: Path, tmp_path: Path, fake: FakeTelegram
) -> None:
    core = more_core(tiny_knowledge, tmp_path / "more-data")
    async with bot_running(core, fake):
        fake.push_private(USER, "who can help run a bakery")
        first = (await answers(fake, USER))[0]
        assert first["text"].startswith("Help for a bakery\n\n")
        labels = texts(first)
        assert labels[0] == "More on Help for a bakery", "the button leads, above the topics"
        assert labels[-2:] == ["👍", "👎"] and "Pricing and costs" in labels
        assert button(first, "More on Help for a bakery") == "m:bakery-help"

        seen = [first["text"]]
        message = first
        presses = 0
        while "More on Help for a bakery" in texts(message):
            presses += 1
            assert presses <= 6, "the button must go once everything is shown"
            fake.press(message, button(message, "More on Help for a bakery"), USER)
            message = (await answers(fake, USER, len(seen) + 1))[len(seen)]
            body = message["text"].split("\n\n", 1)[1]  # after the title
            assert all(body not in earlier for earlier in seen), "more never resends what was shown"
            seen.append(message["text"])
            assert "👍" in texts(message), "each part can be rated"
        assert presses >= 2, "one section a reply: three sections take two presses at least"
        everything = "\n".join(seen)
        for fragment in (
            "hand off bookkeeping",
            "local courier",
            "fixed price",
            "Social media",
            "two-oven",
            "one task",
            "few pounds",
        ):
            assert fragment in everything, f"{fragment!r} never shown"
        assert "Sources" in message["text"], "the reply that shows the last part lists the sources"

        # Pressed again on an old message once all is shown: says so, offers no button.
        fake.press(first, "m:bakery-help", USER)
        done = (await answers(fake, USER, len(seen) + 1))[len(seen)]
        assert "That's everything I have on Help for a bakery" in done["text"]
        assert "More on Help for a bakery" not in texts(done)

    rows = [r["question"] for r in core.store.db.query("select question from questions")]
    assert rows[0] == "who can help run a bakery"
    assert rows[1:] == ["[more] Help for a bakery"] * (len(rows) - 1), "each press went through the core as a question"
    presses_acked = fake.calls_to("answerCallbackQuery")
    assert presses_acked and all(c.status == 200 for c in presses_acked), "every press stops spinning"


@bounded(20)
async def test_a_note_shown_whole_gets_no_more_button(core: Core, fake: FakeTelegram) -> None:
    async with bot_running(core, fake):
        fake.push_private(USER, "how much does a freelancer cost?")
        answer = (await answers(fake, USER))[0]
    assert not any(label.startswith("More on") for label in texts(answer))


@bounded(20)
async def test_more_on_a_removed_note_says_the_button_expired(core: Core, fake: FakeTelegram) -> None:
    async with bot_running(core, fake):
        fake.push_private(USER, "/topics")
        topics = (await answers(fake, USER))[0]
        fake.press(topics, more_data("a-note-that-was-deleted"), USER)
        call = await fake.wait_for(lambda: fake.calls_to("answerCallbackQuery"))
    assert "That button has expired" in call[0].params["text"]
    assert core.store.count("questions") == 0


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
