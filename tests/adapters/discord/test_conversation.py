"""The whole bot through Discord: the core's one pacing gate for every kind of event, one notice per window."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.adapters.discord.harness import ADMIN, ALICE, BOB, BOT_USER, PRICING_QUESTION, ask, running
from tests.adapters.fake_discord import BOT_ID, FakeDiscord
from tests.conftest import make_core


async def test_a_per_user_rate_limit_answers_privately(tiny_knowledge: Path, tmp_path: Path, fake: FakeDiscord) -> None:
    strict = make_core(tiny_knowledge, tmp_path / "d", rate_limit=1)
    async with running(strict, fake):
        await ask(fake, PRICING_QUESTION)
        [limited] = await ask(fake, PRICING_QUESTION)
        [other_user] = await ask(fake, PRICING_QUESTION, user=BOB)
    assert limited.ephemeral and "faster than I can keep up" in limited.text
    assert other_user.payload["embeds"][0]["title"] == "Pricing and costs"


async def test_presses_forget_and_mentions_are_rate_limited_with_one_notice(
    tiny_knowledge: Path, tmp_path: Path, fake: FakeDiscord
) -> None:
    """Every kind of event passes the core's one pacing gate; a limited user gets one notice per window."""
    strict = make_core(tiny_knowledge, tmp_path / "d", rate_limit=2)
    async with running(strict, fake):
        [answer] = await ask(fake, PRICING_QUESTION, user=BOB)
        presses = [await fake.press(answer.custom_ids[i % 2], ALICE, on=answer) for i in range(12)]
        forgets = [await fake.slash("forget", BOB) for _ in range(6)]
        for _ in range(12):
            await fake.send_message(f"<@{BOT_ID}> what is the chasm", ADMIN, mentions=[BOT_USER])
        await fake.wait_for(
            lambda: sum(s.route == "channel" for s in fake.sent) >= 3, what="the mention answers and the notice"
        )
        await asyncio.sleep(1.0)  # room for replies that should not come
    pressed = [fake.sent_for(p) for p in presses]
    assert sum("Thanks" in s[0].text for s in pressed if s) == 2
    assert sum("faster than I can keep up" in s[0].text for s in pressed if s) == 1
    forgot = [fake.sent_for(f) for f in forgets]
    assert sum("deleted everything" in s[0].text for s in forgot if s) == 1  # BOB's /ask was his first event
    assert sum("faster than I can keep up" in s[0].text for s in forgot if s) == 1
    posts = [s for s in fake.sent if s.route == "channel"]
    assert len(posts) == 3, "two answers and one notice; the other nine mentions get nothing"
    assert [("faster than I can keep up" in p.text) for p in posts] == [False, False, True]
