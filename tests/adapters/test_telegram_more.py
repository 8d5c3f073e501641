"""The "More on <title>" button on Telegram, end to end through python-telegram-bot against the fake Bot API.

A focused answer shows the passage that answers and a few points; the button under it shows the
parts of the note not yet shown (a `MorePress` through the core's one door), and is no longer
offered once the whole note has been shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.telegram.callbacks import more_data, parse_press
from bot.conversation.core import Core
from tests.adapters import test_telegram as telegram_tests
from tests.adapters.fake_telegram import BOT_USERNAME, FakeTelegram
from tests.adapters.test_telegram import (
    GROUP,
    USER,
    answers,
    bot_running,
    bounded,
    button,
    buttons,
)
from tests.conftest import make_core

fake = telegram_tests.fake  # the fake Bot API fixture, shared

LONG_NOTE = """---
id: bakery-help
title: Help for a bakery
questions:
  - how do I get help at my bakery
  - who can help run a bakery
  - bakery staffing help
tags: [test]
related: [pricing]
sources: ["Test source"]
updated: 2026-11-27
disclaimer: false
---
A bakery can hand off bookkeeping, deliveries and the website first, and keep the baking itself.

## Key points

- Bookkeeping goes to a part-time bookkeeper for a few hours a month.
- Deliveries go to a local courier paid per drop.
- The website goes to a freelancer on a fixed price.
- Social media posts can wait until the rest runs smoothly.

## Example

A two-oven bakery moved its invoices to a bookkeeper and won back a morning every week.

## For a small business

Start with one task, measure the hours saved for a month, then pick the next.

## Rough costs

A bookkeeper costs a few hundred a month; a courier a few pounds a drop.
"""


def more_core(knowledge: Path, data: Path) -> Core:
    """The tiny knowledge plus one note with more parts than a first answer shows."""
    (knowledge / "bakery-help.md").write_text(LONG_NOTE, encoding="utf-8")
    return make_core(knowledge, data)


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
