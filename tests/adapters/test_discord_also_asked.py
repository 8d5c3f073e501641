"""A message asking two things on Discord: the other question is a "You also asked: <title>" topic button."""

from __future__ import annotations

from bot.conversation.core import Core
from tests.adapters import test_discord as discord_tests
from tests.adapters.fake_discord import FakeDiscord
from tests.adapters.test_discord import ask, running
from tests.adapters.test_discord_more import labels, press_and_wait

fake = discord_tests.fake  # the fake Discord fixture, shared
offline = discord_tests.offline  # autouse: nothing reaches the internet

TWO_QUESTIONS = "how much does a freelancer cost? And what is the chasm?"


async def test_discord_offers_the_other_question_as_a_button(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake):
        [first] = await ask(fake, TWO_QUESTIONS)
        assert "You also asked: Crossing the chasm" in labels(first)
        assert "ob:t:chasm" in first.custom_ids and "ob:t:contracts" in first.custom_ids
        assert first.custom_ids.index("ob:t:chasm") < first.custom_ids.index("ob:t:contracts")
        pressed = await press_and_wait(fake, "ob:t:chasm", first)
    assert "Crossing the chasm" in str(pressed.payload)
    assert "You also asked" not in str(pressed.payload), "a one-topic press offers no other question"
