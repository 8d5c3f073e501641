"""Templates: every reply template renders; answers carry the disclaimer when the note asks."""

from __future__ import annotations

import jinja2
import pytest

from bot.conversation.answers import answer_reply
from bot.conversation.core import Core
from bot.conversation.focus import Part
from bot.knowledge.notes import KnowledgeBase, KnowledgeNote
from bot.knowledge.preview import render_note_text
from bot.messages import Message, Reply, ReplyKind, Suggestion
from bot.replies.blocks import Block, BlockKind, parse_blocks, plain_text
from bot.replies.render import DISCLAIMER, render, render_answer, template_names
from bot.search.retrieval import Candidate

SAMPLES: dict[str, dict[str, object]] = {
    "answer": dict(
        title="Pricing",
        answer="Compare total cost.",
        key_points=["Hourly", "Fixed"],
        references=["A book"],
        disclaimer="",
        notice="",
    ),
    "suggestions": dict(label="Related topics", suggestions=["Contracts", "Pricing"]),
    "error": {},
    "expired_button": {},
    "refused": dict(command="reload"),
    "fallback": dict(suggestions=["Pricing", "Contracts"], notice="", closest=True, english_only=False),
    "thanks": {},
    "acknowledgement": {},
    "feedback": dict(rating=1, again=False, changed=False, answered=True),
    "forgotten": dict(count=7),
    "help": dict(commands="/topics lists topics"),
    "rate_limited": dict(seconds=12),
    "stats": dict(questions=10, answered_pct=80, up=3, down=1, unanswered=[{"question": "what is x", "count": 2}]),
    "too_long": dict(length=5000, limit=1000),
    "all_shown": dict(title="Virtual assistants"),
    "asked_again": dict(title="Virtual assistants"),
    "partly_covered": dict(uncovered="LLC", pointer="An accountant can help."),
    "more_button": dict(title="Virtual assistants"),
    "also_asked_button": dict(title="Paying freelancers"),
    "topics": dict(topics=[Suggestion("a", "Alpha"), Suggestion("b", "Beta")]),
}
EXPECTED = {
    "all_shown": "That's everything I have on Virtual assistants.",
    "asked_again": "That's what my note on Virtual assistants says about it, as above.",
    "partly_covered": "I don't have a note on LLC, so I can't answer that part. An accountant can help.",
    "more_button": "More on Virtual assistants",
    "also_asked_button": "You also asked: Paying freelancers",
    "answer": "Pricing\n\nCompare total cost.",
    "suggestions": "Related topics: Contracts, Pricing",
    "error": "something went wrong",
    "expired_button": "That button has expired",
    "refused": "Sorry, /reload is only for the bot's maintainers",
    "fallback": "The closest topics I know are: Pricing, Contracts.",
    "thanks": "You're welcome",
    "acknowledgement": "Anything else?",
    "feedback": "👍",
    "forgotten": "(7 records)",
    "help": "/topics lists topics",
    "rate_limited": "wait 12 seconds",
    "stats": "• what is x (2×)",
    "too_long": "(5000 characters), so I read only the first 1000",
    "topics": "• Alpha\n• Beta",
}


def test_every_template_has_a_sample() -> None:
    assert set(template_names()) == set(SAMPLES)


@pytest.mark.parametrize("name", template_names())
def test_every_template_renders(name: str) -> None:
    text = render(name, **SAMPLES.get(name, {}))
    assert text and text == text.strip()
    assert EXPECTED[name] in text
    assert "{{" not in text and "{%" not in text


@pytest.mark.parametrize("name", [n for n in template_names() if SAMPLES.get(n)])
def test_a_missing_value_fails_loudly(name: str) -> None:
    with pytest.raises(jinja2.UndefinedError):
        render(name)


def test_answer_shows_the_disclaimer_only_when_asked() -> None:
    context = dict(SAMPLES["answer"])
    assert DISCLAIMER not in render("answer", **context)
    context["disclaimer"] = DISCLAIMER
    text = render("answer", **context)
    assert f"\n\n{DISCLAIMER}\n\n" in text
    assert text.index("• Fixed") < text.index(DISCLAIMER) < text.index("Sources: A book")


def test_answer_layout() -> None:
    context = dict(SAMPLES["answer"], notice="Your message was long.", references=["A", "B"])
    blocks = render_answer("Related topics", ["Contracts"], **context)
    body = plain_text(blocks, with_suggestions=False)
    assert body == (
        "Your message was long.\n\nPricing\n\nCompare total cost.\n\nKey points:\n• Hourly\n• Fixed\n\nSources: A; B"
    )
    assert plain_text(blocks) == body + "\n\nRelated topics: Contracts"
    assert plain_text(render_answer("Related topics", [], **context)) == body
    assert [b.kind for b in blocks] == ["notice", "heading", "paragraph", "bullets", "sources", "suggestions"]
    assert blocks[3] == Block(BlockKind.BULLETS, items=("Hourly", "Fixed"), label="Key points")
    assert blocks[4] == Block(BlockKind.SOURCES, items=("A", "B"), label="Sources")
    assert blocks[5].label == "Related topics"


def test_templates_do_not_escape_markup() -> None:
    # Adapters escape for their platform; the core renders plain text.
    assert render("forgotten", count="<b>&amp;</b>").count("<b>&amp;</b>") == 1


def test_feedback_thanks_for_down_vote() -> None:
    assert "👎" in render("feedback", rating=-1, again=False, changed=False, answered=True)


def test_render_note_text_lists_related_by_default() -> None:
    note = KnowledgeNote(id="n", title="T", questions=[], answer="A.", related=["x"], disclaimer=True)
    text = render_note_text(note)
    assert text.endswith("Related topics: x")
    assert DISCLAIMER in text
    assert render_note_text(note, suggestions=[]).endswith(DISCLAIMER)


def test_core_answer_with_disclaimer_note(core: Core) -> None:
    reply = core.answer(Message("what goes in a freelance contract", "u", "c"))
    assert reply.sources[0].id == "contracts"
    assert reply.disclaimer == DISCLAIMER
    assert DISCLAIMER in reply.text and DISCLAIMER in reply.body
    other = core.answer(Message("visionaries and pragmatists", "u", "c2"))
    assert other.sources[0].id == "chasm"
    assert other.disclaimer == "" and DISCLAIMER not in other.text


def test_reply_body_defaults_to_text_and_serialises() -> None:
    reply = Reply.of(ReplyKind.HELP, "hello", suggestions=[Suggestion("a", "A")])
    assert reply.body == reply.text == "hello"
    data = reply.to_dict()
    assert data["suggestions"] == [{"id": "a", "title": "A"}]
    assert data["kind"] == "help" and data["text"] == "hello"
    assert data["blocks"] == [{"kind": "paragraph", "text": "hello", "items": (), "label": ""}]


def test_tags_mark_blocks_and_untagged_text_is_paragraphs() -> None:
    blocks = parse_blocks("First.\n\nSecond\nline.\n::bullets Steps\none\n\ntwo\n::heading\nTitle\n::nonsense kept\n")
    assert blocks == [
        Block(BlockKind.PARAGRAPH, "First."),
        Block(BlockKind.PARAGRAPH, "Second\nline."),
        Block(BlockKind.BULLETS, items=("one", "two"), label="Steps"),
        Block(BlockKind.HEADING, "Title\n::nonsense kept"),
    ]
    assert plain_text(blocks) == "First.\n\nSecond\nline.\n\nSteps:\n• one\n• two\n\nTitle\n::nonsense kept"


def test_help_and_topics_are_typed_blocks(core: Core) -> None:
    from bot.conversation.answers import help_reply, topics_reply

    help_ = help_reply(core.kb, "Commands: /x")
    assert [b.kind for b in help_.blocks] == ["paragraph", "bullets", "paragraph", "paragraph", "suggestions"]
    assert help_.suggestion_label == "Popular topics" and "Popular topics" not in help_.text
    topics = topics_reply(core.kb)
    [listing] = topics.blocks
    assert listing.kind == "bullets" and listing.items == ("Contracts", "Crossing the chasm", "Pricing and costs")


def test_answer_body_leaves_out_suggestions(core: Core) -> None:
    reply = core.answer(Message("what goes in a freelance contract", "u", "c"))
    assert "Related topics: Pricing and costs" in reply.text
    assert "Related topics" not in reply.body
    assert reply.text.startswith(reply.body)


def test_real_notes_render_within_the_chat_limit(real_core: Core) -> None:
    from bot.knowledge.notes import MAX_REPLY_CHARS

    for note in real_core.kb.notes.values():
        assert len(render_note_text(note)) <= MAX_REPLY_CHARS, note.id


def test_a_focused_answer_carries_the_disclaimer_only_with_the_passage_that_needs_it() -> None:
    note = KnowledgeNote(
        id="ads",
        title="Ads",
        questions=[],
        answer="Hire one specialist per channel.",
        key_points=["Keep the ad account in your name.", "Follow the advertising rules: no fake reviews."],
        sections=[("Key points", ""), ("Rough costs", "About $500 a month.")],
        disclaimer_on=["advertising rules"],
    )
    kb = KnowledgeBase({"ads": note}, [], "f")
    best = Candidate("ads", 1.0, 0.9, 0.8, 1.0)

    def shown(*parts: Part) -> Reply:
        return answer_reply(kb, best, [best], "", parts=list(parts), unsure=False)

    plain = shown(Part("answer", "", note.answer), Part("point:1", "", note.key_points[0]))
    assert plain.disclaimer == "" and DISCLAIMER not in plain.text
    costs = shown(Part("section:1", "Rough costs", "About $500 a month."))
    assert costs.disclaimer == ""
    rules = shown(Part("answer", "", note.answer), Part("point:2", "", note.key_points[1]))
    assert rules.disclaimer == DISCLAIMER and DISCLAIMER in rules.text
    whole = answer_reply(kb, best, [best], "", unsure=False)  # the whole note shows every key point
    assert whole.disclaimer == DISCLAIMER
