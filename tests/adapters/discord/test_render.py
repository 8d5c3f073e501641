"""A reply as Discord messages (adapters/discord/render.py): embeds within Discord's limits, users' markdown escaped."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.discord.render import render_reply
from adapters.discord.views import build_view
from bot.conversation.core import Core
from bot.messages import Reply, ReplyKind, Suggestion
from bot.replies.blocks import Block, BlockKind
from tests.adapters.discord.harness import ADMIN, ask, running
from tests.adapters.fake_discord import FakeDiscord, message_errors
from tests.conftest import make_core, write_note
from tests.fakes import HashingEmbedder


@pytest.fixture
def long_core(tiny_knowledge: Path, tmp_path: Path, fake_embedder: HashingEmbedder) -> Core:
    """A core with a note whose key points overflow one embed field (the note itself is valid)."""
    path = write_note(
        tiny_knowledge,
        "checklist",
        "The hiring checklist",
        ["what is on the hiring checklist", "hiring checklist items", "checklist for hiring"],
        "Work through the checklist before you hire anyone.",
    )
    # A focused reply shows up to two points within about 110 words: these are few words but long
    # ones, so the two shown are over an embed field's 1,024 characters together. The question asked
    # is the note's own, so the opening answer leads and two of the three checks follow.
    points = "\n".join(f"- Check {i}: " + "verify-the-detail-" * 40 for i in range(3))
    path.write_text(
        path.read_text().replace("- A point.", points).replace("- Second point about The hiring checklist.\n", "")
    )
    return make_core(tiny_knowledge, tmp_path / "data", embedder=fake_embedder)


async def test_key_points_longer_than_a_field_are_split_across_fields(long_core: Core, fake: FakeDiscord) -> None:
    async with running(long_core, fake):
        [sent] = await ask(fake, "what is on the hiring checklist")
    assert fake.rejected == []
    names = [f["name"] for f in sent.payload["embeds"][0]["fields"]]
    assert names[:2] == ["Key points", "Key points (more)"]
    assert sent.text.count("Check ") == 2 and all(len(f["value"]) <= 1024 for f in sent.payload["embeds"][0]["fields"])


async def test_markdown_in_users_questions_never_renders_in_stats(core: Core, fake: FakeDiscord) -> None:
    """A question is shown as typed: its masked link, bold or spoiler stay text in the /stats embed."""
    phish = "[your bot token leaked, rotate it here](https://evil.example/rotate)"
    async with running(core, fake):
        await ask(fake, phish)
        await ask(fake, "zqx ||fnord|| qwv")
        interaction = await fake.slash("stats", ADMIN)
        await fake.wait_for(lambda: bool(fake.sent_for(interaction)), what="/stats")
    [stats] = fake.sent_for(interaction)
    description = stats.payload["embeds"][0]["description"]
    assert stats.ephemeral and "Top unanswered questions" in description
    assert re.search(r"(?<!\\)\[[^\]]*\]\(", description) is None, "no masked link Discord would render"
    assert "\\[your bot token leaked, rotate it here](https://evil.example/rotate)" in description
    assert "\\|\\|fnord\\|\\|" in description  # a spoiler stays text too


_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=9000)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    answer=_text,
    points=st.lists(st.text(min_size=1, max_size=1500), max_size=60),
    refs=st.lists(st.text(min_size=1, max_size=400), max_size=12),
    kind=st.sampled_from(["answer", "fallback", "help", "topics", "forgotten", "error"]),
)
def test_every_rendered_part_is_within_discords_limits(
    answer: str, points: list[str], refs: list[str], kind: str
) -> None:
    reply = Reply(
        ReplyKind(kind),
        [
            Block(BlockKind.HEADING, "T" * 300),
            Block(BlockKind.PARAGRAPH, answer or "x"),
            Block(BlockKind.BULLETS, items=tuple(points), label="Key points"),
            Block(BlockKind.DISCLAIMER, "Not advice."),
            Block(BlockKind.SOURCES, items=tuple(refs), label="Sources"),
            Block(BlockKind.SUGGESTIONS, label="Related topics"),
        ],
        suggestions=[Suggestion(f"n{i}", "topic " * 30) for i in range(30)],
        answer_id="abc123",
    )
    parts = render_reply(reply)
    view = build_view(reply)
    assert 1 <= len(parts) <= 6
    for number, part in enumerate(parts, 1):
        payload: dict[str, Any] = {"content": part.content, "embeds": [part.embed.to_dict()] if part.embed else []}
        if view is not None and number == len(parts):
            payload["components"] = view.to_components()
        assert message_errors(payload) == {}
