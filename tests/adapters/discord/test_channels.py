"""Where a reply goes (adapters/discord/channels.py): split over follow-ups, deferred while the core works."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.client import DEFER_AFTER
from bot.conversation.core import Core
from bot.messages import Reply, ReplyKind, Suggestion
from bot.replies.blocks import Block, BlockKind
from tests.adapters.discord.harness import ADMIN, ALICE, PRICING_QUESTION, ask, running
from tests.adapters.fake_discord import APP_ID, FakeDiscord
from tests.conftest import make_core


async def test_a_reply_longer_than_a_message_is_split_into_several(
    core: Core, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    paragraphs = "\n\n".join(f"Paragraph {i}: " + "long advice words " * 40 for i in range(14))
    huge = Reply(
        ReplyKind.ANSWER,
        [
            Block(BlockKind.HEADING, "A very long answer"),
            Block(BlockKind.PARAGRAPH, paragraphs),
            Block(BlockKind.BULLETS, items=("point " * 150,) * 12, label="Key points"),
            Block(BlockKind.SOURCES, items=("Test source",), label="Sources"),
            Block(BlockKind.SUGGESTIONS, "Related topics: Contracts", label="Related topics"),
        ],
        suggestions=[Suggestion("contracts", "Contracts")],
        answer_id="a1b2c3",
    )

    async def long_answer(event: Any, channel: Any = None) -> Reply:
        if channel is not None:
            await channel.send(huge)
        return huge

    monkeypatch.setattr(core, "handle", long_answer)
    async with running(core, fake):
        interaction = await fake.slash("ask", ALICE, {"question": "tell me everything"})
        await fake.wait_for(lambda: len(fake.sent_for(interaction)) >= 3, what="the split answer")
        await asyncio.sleep(0.3)
    parts = fake.sent_for(interaction)
    assert fake.rejected == []
    assert [p.route for p in parts] == ["callback"] + ["followup"] * (len(parts) - 1)
    assert "more below" in parts[0].payload["embeds"][0]["description"]
    assert [bool(p.custom_ids) for p in parts] == [False] * (len(parts) - 1) + [True]
    text = " ".join(p.text for p in parts)
    assert "Paragraph 13:" in text and "Sources: Test source" in parts[-1].text


class Gate:
    """Holds one blocking store call until the test opens it, noting whether it was opened in time.

    The test opens it from the event loop. If the bot made the call in the event loop
    itself, the test cannot run until the call gives up waiting: `opened_in_time` is False.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: object, name: str, patience: float = 4.0) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()
        self.opened_in_time: list[bool] = []
        real = getattr(owner, name)

        def held(*args: Any, **kwargs: Any) -> Any:
            self.entered.set()
            self.opened_in_time.append(self.opened.wait(patience))
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, held)


@pytest.mark.parametrize(
    ("store_call", "act"),
    [
        ("record_feedback", lambda fake: fake.press("ob:fb:+:abc123", ALICE)),
        ("record_question", lambda fake: fake.press("ob:t:contracts", ALICE)),
        ("forget_user", lambda fake: fake.slash("forget", ALICE)),
        ("stats", lambda fake: fake.slash("stats", ADMIN)),
    ],
    ids=["thumbs-up", "topic-button", "forget", "stats"],
)
async def test_database_work_never_blocks_the_event_loop(
    core: Core, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch, store_call: str, act: Any
) -> None:
    async with running(core, fake):
        gate = Gate(monkeypatch, core.store, store_call)
        try:
            interaction = await act(fake)
            await fake.wait_for(gate.entered.is_set, what=f"the bot to call store.{store_call}")
            # The loop stays free while the database works, so the bot defers before Discord's 3 s run out.
            await fake.wait_for(lambda: interaction in fake.sent_defers, what="a defer while the database works")
        finally:
            gate.opened.set()
        await fake.wait_for(lambda: bool(fake.sent_for(interaction)), what="the reply after the database work")
    assert gate.opened_in_time == [True]
    [reply] = fake.sent_for(interaction)
    assert reply.route == "followup" and reply.replaced_defer


def slowly(monkeypatch: pytest.MonkeyPatch, core: Core, fail: bool = False) -> None:
    """Make core.handle take longer than the bot waits before deferring (and optionally fail after that)."""
    real = core.handle

    async def slow(event: Any, channel: Any = None) -> Reply:
        await asyncio.sleep(DEFER_AFTER + 0.5)
        if fail:
            raise RuntimeError("index exploded late")
        return await real(event, channel)

    monkeypatch.setattr(core, "handle", slow)


async def test_an_apology_after_a_public_defer_stays_private(
    core: Core, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    slowly(monkeypatch, core, fail=True)
    async with running(core, fake):
        interaction = await fake.slash("ask", ALICE, {"question": PRICING_QUESTION})
        await fake.wait_for(lambda: bool(fake.sent_for(interaction)), what="the apology")
    assert interaction in fake.sent_defers and not fake._interactions[interaction]["ephemeral"]  # "thinking..." for all
    assert fake.deleted_originals == [interaction]
    [apology] = fake.sent_for(interaction)
    assert apology.route == "followup" and apology.payload["flags"] & 64 and not apology.replaced_defer
    assert "something went wrong" in apology.text
    webhook = f"/api/v10/webhooks/{APP_ID}/itoken-{interaction}"
    assert fake.requests.index(("DELETE", f"{webhook}/messages/@original")) < fake.requests.index(("POST", webhook))


async def test_a_rate_limit_notice_after_a_public_defer_stays_private(
    tiny_knowledge: Path, tmp_path: Path, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    strict = make_core(tiny_knowledge, tmp_path / "d", rate_limit=1)
    slowly(monkeypatch, strict)
    async with running(strict, fake):
        [answer] = await ask(fake, PRICING_QUESTION)
        [limited] = await ask(fake, PRICING_QUESTION)
    _first, second = fake.sent_defers
    assert answer.replaced_defer and not answer.ephemeral  # a public answer simply fills in "thinking..."
    assert answer.payload["embeds"][0]["title"] == "Pricing and costs"
    assert fake.deleted_originals == [second]
    assert limited.interaction_id == second and limited.payload["flags"] & 64 and not limited.replaced_defer
    assert "faster than I can keep up" in limited.text
