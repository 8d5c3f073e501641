"""Buttons under answers (adapters/discord/views.py): ratings, topics, pages of topics, "More on".

Each button is a persistent `DynamicItem` whose state lives in its custom id, so it works after a
restart. The "More on <title>" button (`ob:m:<note_id>`) is a `MorePress` through the core's one
door and is not offered once the whole note has been shown; a message asking two things offers
the other one as a "You also asked: <title>" topic button.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation.answers import expired_reply
from bot.conversation.core import Core
from tests.adapters.discord.harness import ALICE, BOB, PRICING_QUESTION, ask, running
from tests.adapters.fake_discord import FakeDiscord, Sent
from tests.adapters.samples import TWO_QUESTIONS, more_core
from tests.conftest import make_core, write_note
from tests.fakes import HashingEmbedder


async def test_a_thumbs_up_press_is_stored(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake):
        [answer] = await ask(fake, PRICING_QUESTION)
        thumbs_up = answer.custom_ids[0]
        press = await fake.press(thumbs_up, BOB, on=answer)
        await fake.wait_for(lambda: bool(fake.sent_for(press)), what="the feedback acknowledgement")
    [ack] = fake.sent_for(press)
    assert ack.ephemeral and "👍" in ack.text
    assert core.store.stats().up == 1 and core.store.stats().down == 0


async def test_buttons_keep_working_after_a_restart(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake):
        [answer] = await ask(fake, PRICING_QUESTION)
    async with running(core, fake):  # a new process: nothing of the first run is in memory
        press = await fake.press(answer.custom_ids[1], BOB, on=answer)
        await fake.wait_for(lambda: bool(fake.sent_for(press)), what="the feedback acknowledgement")
    assert core.store.stats().down == 1
    assert len(fake.identifies) == 2


async def test_a_second_rating_replaces_the_first_and_says_so(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake):
        [answer] = await ask(fake, PRICING_QUESTION)
        up, down = answer.custom_ids[0], answer.custom_ids[1]
        acks = [(await press_and_wait(fake, cid, answer)).text for cid in (up, down, down)]
    assert "glad it helped" in acks[0]
    assert "changed your rating to 👎" in acks[1] and "(it replaces your 👍)" in acks[1]
    assert "already rated this 👎" in acks[2]
    assert core.store.stats().up == 0 and core.store.stats().down == 1


async def test_a_topic_button_answers_with_that_note(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake):
        [answer] = await ask(fake, PRICING_QUESTION)
        press = await fake.press("ob:t:contracts", ALICE, on=answer)
        await fake.wait_for(lambda: bool(fake.sent_for(press)), what="the topic answer")
    [topic] = fake.sent_for(press)
    [embed] = topic.payload["embeds"]
    assert embed["title"] == "Contracts"
    assert any(f["name"] == "Please note" and "Not legal or tax advice" in f["value"] for f in embed["fields"])
    assert any(cid.startswith("ob:fb:+:") for cid in topic.custom_ids)
    assert not topic.ephemeral


async def test_a_button_whose_topic_is_gone_says_it_expired(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake):
        press = await fake.press("ob:t:removed-note", ALICE)
        await fake.wait_for(lambda: bool(fake.sent_for(press)), what="the expired-button reply")
    [sent] = fake.sent_for(press)
    assert sent.ephemeral and sent.text == expired_reply().text
    assert core.store.count("questions") == 0


@pytest.fixture
def big_core(tmp_path: Path, fake_embedder: HashingEmbedder) -> Core:
    """A core with 40 notes: more topics than one message has room for buttons."""
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(40):
        write_note(
            folder,
            f"topic-{i:02d}",
            f"Topic {i:02d}",
            [f"question {i} one", f"question {i} two", f"question {i} three"],
            f"Answer {i}.",
        )
    return make_core(folder, tmp_path / "data", embedder=fake_embedder)


async def test_topics_are_paged_so_every_topic_gets_a_button(big_core: Core, fake: FakeDiscord) -> None:
    async with running(big_core, fake):
        interaction = await fake.slash("topics", ALICE)
        await fake.wait_for(lambda: bool(fake.sent_for(interaction)), what="/topics")
        [first] = fake.sent_for(interaction)
        press = await fake.press("ob:tp:1", ALICE, on=first)
        await fake.wait_for(lambda: bool(fake.sent_for(press)), what="page 2")
        [second] = fake.sent_for(press)
    async with running(big_core, fake):  # the page buttons survive a restart like the others
        again = await fake.press("ob:tp:0", ALICE)
        await fake.wait_for(lambda: bool(fake.sent_for(again)), what="page 1 after a restart")
        last = await fake.press("ob:t:topic-39", ALICE)
        await fake.wait_for(lambda: bool(fake.sent_for(last)), what="the last topic's answer")
    assert fake.rejected == []
    assert first.ephemeral and second.route == "update" and second.callback_type == 7
    topic_ids = [c for c in first.custom_ids + second.custom_ids if c.startswith("ob:t:")]
    assert sorted(topic_ids) == [f"ob:t:topic-{i:02d}" for i in range(40)]
    assert [c for c in first.custom_ids if c.startswith("ob:tp:")] == ["ob:tp:1"]
    assert [c for c in second.custom_ids if c.startswith("ob:tp:")] == ["ob:tp:0"]
    assert fake.sent_for(again)[0].custom_ids == first.custom_ids
    assert fake.sent_for(last)[0].payload["embeds"][0]["title"] == "Topic 39"


# ----- "More on" and "You also asked" -------------------------------------------------------------


MORE_ID = "ob:m:bakery-help"


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


async def test_discord_offers_the_other_question_as_a_button(core: Core, fake: FakeDiscord) -> None:
    async with running(core, fake):
        [first] = await ask(fake, TWO_QUESTIONS)
        assert "You also asked: Crossing the chasm" in labels(first)
        assert "ob:t:chasm" in first.custom_ids and "ob:t:contracts" in first.custom_ids
        assert first.custom_ids.index("ob:t:chasm") < first.custom_ids.index("ob:t:contracts")
        pressed = await press_and_wait(fake, "ob:t:chasm", first)
    assert "Crossing the chasm" in str(pressed.payload)
    assert "You also asked" not in str(pressed.payload), "a one-topic press offers no other question"
