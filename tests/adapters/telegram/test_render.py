"""A reply as Telegram messages (adapters/telegram/render.py): escaped HTML, split under the length limit."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.telegram.render import MAX_MESSAGE_LENGTH, render_reply, telegram_length
from bot.conversation.core import Core
from bot.messages import Message, Reply, ReplyKind, Suggestion
from bot.replies.blocks import Block, BlockKind
from tests.adapters.fake_telegram import FakeTelegram, parse_html
from tests.adapters.telegram.harness import ADMIN, USER, answers, bot_running, bounded, button, buttons
from tests.conftest import make_core, write_note


@pytest.fixture
def long_core(tiny_knowledge: Path, tmp_path: Path) -> Core:
    """A core whose knowledge has a note with a 60-character id, over Telegram's length limit once rendered.

    The core admits notes up to 4,096 characters; Telegram counts UTF-16 code units, in which
    every emoji here counts twice, so the reply still has to be split.
    """
    note_id = "statement-of-work-for-an-offshore-development-team-in-detail"
    # A focused reply shows the opening answer and up to two points within about 110 words; emoji
    # runs are one word each but two UTF-16 units per emoji, so this reply is still over Telegram's
    # 4,096 units and has to be split.
    points = "\n".join(f"- Point {i}: " + " ".join(["📄📝📦🚀🔍✅📅🎯📌🧾" * 10] * 9) for i in range(3))
    answer = " ".join(f"Sentence {i} 📄📝📦🚀🔍✅📅🎯📌🧾." for i in range(25))
    (tiny_knowledge / "sow.md").write_text(
        f"---\nid: {note_id}\ntitle: Statements of work\nquestions:\n  - how do I write a statement of work\n"
        f"  - what goes in a statement of work\n  - statement of work template\nrelated: [contracts]\n"
        f'sources: ["Test source"]\nupdated: 2026-11-27\n---\n{answer}\n\n## Key points\n\n{points}\n',
        encoding="utf-8",
    )
    write_note(
        tiny_knowledge,
        "contracts",
        "Contracts",
        ["what goes in a freelance contract", "do I need an NDA", "who owns the IP"],
        "A freelance contract covers scope, payment, IP and confidentiality.",
        related=note_id,
    )
    return make_core(tiny_knowledge, tmp_path / "long-data")


@bounded(20)
async def test_long_reply_is_split_at_paragraphs(long_core: Core, fake: FakeTelegram) -> None:
    async with bot_running(long_core, fake):
        fake.push_private(USER, "how do I write a statement of work")
        await fake.wait_for(lambda: any(buttons(m) for m in fake.sent_to(USER)))
        parts = fake.sent_to(USER)
        assert len(parts) >= 2
        assert all(telegram_length(p["text"]) <= MAX_MESSAGE_LENGTH for p in parts)
        assert [bool(buttons(p)) for p in parts] == [False] * (len(parts) - 1) + [True]
        text = "\n\n".join(p["text"] for p in parts)
        assert text.startswith("Statements of work\n\nSentence 0 ")
        assert [text.index(f"Sentence {i} ") for i in range(25)] == sorted(
            text.index(f"Sentence {i} ") for i in range(25)
        )
        assert text.index("Sentence 24 ") < text.index("Point ")
        expected = long_core.answer(Message("how do I write a statement of work", "other", "other", "test"))
        assert text.split() == f"{expected.body}\n\n{expected.suggestion_label}:".split(), (
            "nothing lost, no word cut in two"
        )
        assert parts[0]["text"].startswith("Statements of work\n\nSentence 0 "), (
            "the title shares a message with the answer"
        )

        # The 60-character note id does not fit in callback data as it is; its button still works.
        fake.push_private(USER + 1, "do I need an NDA")
        contract = (await answers(fake, USER + 1))[0]
        data = button(contract, "Statements of work")
        assert len(data.encode()) <= 64
        fake.press(contract, data, USER + 1)
        assert (await answers(fake, USER + 1, 2))[1]["text"].startswith("Statements of work")


@bounded(20)
async def test_markup_characters_and_emoji_are_escaped(
    tiny_knowledge: Path, tmp_path: Path, fake: FakeTelegram
) -> None:
    write_note(
        tiny_knowledge,
        "tools",
        '"Tools <b>&</b> tips 🚀"',
        ["which tools for remote teams", "remote tools", "tools & tips"],
        "Use <Slack> & <Notion> for async work; 5 > 3 & 2 < 4 😀.",
        point="Try <script>alert('x')</script> &amp; more 🎉",
    )
    core = make_core(tiny_knowledge, tmp_path / "esc-data")
    question = "<b>which</b> tools for remote teams & <i>async</i>?? 🤔 &lt;"
    async with bot_running(core, fake):
        fake.push_private(USER, question)
        answer = (await answers(fake, USER))[0]
        assert answer["parse_mode"] == "HTML"
        # The fake decodes Telegram's HTML as Telegram would: what the person sees is the note's text as written.
        assert answer["text"].startswith("Tools <b>&</b> tips 🚀\n\n")
        assert "Try <script>alert('x')</script> &amp; more 🎉" in answer["text"]
        opening = "Use <Slack> & <Notion> for async work; 5 > 3 & 2 < 4 😀."
        if opening not in answer["text"]:  # a focused reply may leave the opening answer for "more"
            fake.push_private(USER, "more")
            answer = (await answers(fake, USER, 2))[1]
            assert answer["parse_mode"] == "HTML"
        assert opening in answer["text"]

        sent = len(fake.sent_to(USER))
        fake.push_private(USER, "qwv & ✨ plorf")  # nothing close: unanswered
        await answers(fake, USER, sent + 1)
        fake.push_private(ADMIN, "/stats")
        stats = (await answers(fake, ADMIN))[0]
        assert stats["parse_mode"] == "HTML" and "• qwv & ✨ plorf (1×)" in stats["text"]


@given(
    paragraphs=st.lists(
        st.text(alphabet=st.sampled_from("ab <>&\n💥é\"'"), min_size=1, max_size=300), min_size=1, max_size=8
    )
)
@settings(max_examples=150, deadline=None)
def test_rendered_chunks_always_parse_fit_and_keep_the_text(paragraphs: list[str]) -> None:
    body = "\n\n".join(paragraphs)
    blocks = [Block(BlockKind.HEADING, paragraphs[0].strip())] + [Block(BlockKind.PARAGRAPH, p) for p in paragraphs[1:]]
    reply = Reply(
        ReplyKind.ANSWER,
        [*blocks, Block(BlockKind.SUGGESTIONS, label="Related topics")],
        suggestions=[Suggestion("x", "X")],
    )
    rendered = render_reply(reply, limit=120)
    for chunk in rendered.chunks:
        assert telegram_length(chunk.html) <= 120
        assert parse_html(chunk.html) == chunk.plain, "the HTML shows exactly the plain text"
    shown = "".join("".join(c.plain.split()) for c in rendered.chunks)
    assert shown == "".join(body.split()) + "Relatedtopics:"
