"""The "More on <title>" button on Discord, end to end through discord.py against the fake Discord.

The button is a persistent `DynamicItem` on the answer's view (`ob:m:<note_id>`): a press is a
`MorePress` through the core's one door, works after a restart, and is not offered once the
whole note has been shown.
"""

from __future__ import annotations

from pathlib import Path

from bot.conversation.core import Core
from tests.adapters import test_discord as discord_tests
from tests.adapters.fake_discord import FakeDiscord, Sent
from tests.adapters.samples import LONG_NOTE
from tests.adapters.test_discord import (
    ALICE,
    PRICING_QUESTION,
    ask,
    running,
)
from tests.conftest import make_core

fake = discord_tests.fake  # the fake Discord fixture, shared
offline = discord_tests.offline  # autouse: nothing reaches the internet

MORE_ID = "ob:m:bakery-help"


def more_core(knowledge: Path, data: Path) -> Core:
    """The tiny knowledge plus one note with more parts than a first answer shows."""
    (knowledge / "bakery-help.md").write_text(LONG_NOTE, encoding="utf-8")
    return make_core(knowledge, data)


def labels(sent: Sent) -> list[str]:
    """Button labels on a sent message, row by row."""
    payload = sent.payload
    return [b.get("label", "") for row in payload.get("components") or [] for b in row.get("components") or []]


async def press_and_wait(fake: FakeDiscord, custom_id: str, on: Sent | None) -> Sent:
    """Press a button and return the one message sent for the press."""
    press = await fake.press(custom_id, ALICE, on=on)
    await fake.wait_for(lambda: bool(fake.sent_for(press)), what="the answer to the press")
    [sent] = fake.sent_for(press)
    return sent


async def test_more_button_shows_the_rest_until_everything_is_shown(
    tiny_knowledge: Path, tmp_path: Path, fake: FakeDiscord
) -> None:
    core = more_core(tiny_knowledge, tmp_path / "more-data")
    async with running(core, fake):
        [first] = await ask(fake, "who can help run a bakery")
        assert first.custom_ids[0] == MORE_ID, "More leads the first row, beside 👍/👎"
        assert [c.split(":")[1] for c in first.custom_ids[:3]] == ["m", "fb", "fb"]
        assert labels(first)[0] == "More on Help for a bakery"
        assert first.payload["components"][0]["components"][0]["custom_id"] == MORE_ID
        assert "ob:t:pricing" in first.custom_ids

        seen = [first.text]
        message = first
        while MORE_ID in message.custom_ids:
            assert len(seen) <= 6, "the button must go once everything is shown"
            message = await press_and_wait(fake, MORE_ID, message)
            body = message.text.split("\n", 1)[1]
            assert all(body not in earlier for earlier in seen), "more never resends what was shown"
            assert not message.ephemeral
            assert any(c.startswith("ob:fb:+:") for c in message.custom_ids)
            seen.append(message.text)
        assert len(seen) >= 3
        everything = "\n".join(seen)
        for fragment in ("hand off bookkeeping", "local courier", "two-oven", "one task", "few pounds"):
            assert fragment in everything, f"{fragment!r} never shown"
    assert fake.rejected == []


async def test_more_button_works_after_a_restart(tiny_knowledge: Path, tmp_path: Path, fake: FakeDiscord) -> None:
    core = more_core(tiny_knowledge, tmp_path / "more-data")
    async with running(core, fake):
        [first] = await ask(fake, "who can help run a bakery")
    async with running(core, fake):  # a new process: the button is rebuilt from its custom id
        more = await press_and_wait(fake, MORE_ID, first)
    assert more.payload["embeds"][0]["title"] == "Help for a bakery"
    assert first.text.split("\n", 1)[1] not in more.text


async def test_a_note_shown_whole_gets_no_more_button(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake):
        [answer] = await ask(fake, PRICING_QUESTION)
    assert not any(c.startswith("ob:m:") for c in answer.custom_ids)
    assert answer.custom_ids[0].startswith("ob:fb:+:")


async def test_more_on_a_removed_note_says_the_button_expired(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake):
        expired = await press_and_wait(fake, "ob:m:a-note-that-was-deleted", None)
    assert "That button has expired" in expired.text
    assert expired.ephemeral


async def test_a_second_rating_replaces_the_first_and_says_so(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake):
        [answer] = await ask(fake, PRICING_QUESTION)
        up, down = answer.custom_ids[0], answer.custom_ids[1]
        acks = [(await press_and_wait(fake, cid, answer)).text for cid in (up, down, down)]
    assert "glad it helped" in acks[0]
    assert "changed your rating to 👎" in acks[1] and "(it replaces your 👍)" in acks[1]
    assert "already rated this 👎" in acks[2]
    assert core.store.stats().up == 0 and core.store.stats().down == 1
