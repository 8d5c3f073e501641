"""Every fact of the article the project started from stays covered by some note (issue 12).

The article is not in the repository; its facts are listed here as patterns that a note's
text (answer, key points or sections) must match. Patterns name facts, not the article's
sentences, so rewording a note keeps them true and dropping a fact fails.
"""

from __future__ import annotations

import re

import pytest

from bot.config import REPO_DIR
from bot.knowledge.notes import KnowledgeBase, load_knowledge

SEED_FACTS: dict[str, tuple[str, str]] = {
    # fact: (note id, pattern in that note's text)
    "outsourcing brings to mind support agents in distant countries": ("offshore-vs-onshore", r"agent|call cent"),
    "and jobs moving overseas": ("offshore-vs-onshore", r"jobs being sent abroad|jobs .{0,20}(overseas|abroad)"),
    "a lifesaver when there is neither the need nor the money for full-time staff": (
        "when-to-outsource",
        r"full-time",
    ),
    "skilled professionals left corporate jobs to freelance or run their own firms": (
        "freelancing-professionals",
        r"corporate",
    ),
    "business plan writing and editing done off site": ("what-to-outsource", r"business plan"),
    "web application development, marketing support, project management, graphic and web design": (
        "what-to-outsource",
        r"(?s)(?=.*web)(?=.*design)(?=.*market)",
    ),
    "the chasm between visionaries and pragmatists": ("crossing-the-chasm", r"(?s)(?=.*visionar)(?=.*pragmatist)"),
    "Inside the Tornado: cyclone-like demand": ("inside-the-tornado", r"cyclone|hypergrowth"),
    "Living on the Fault Line was a Business Week bestseller": ("living-on-the-fault-line", r"Business ?Week"),
    "shareholder value: focus on moves that lift the stock price": ("living-on-the-fault-line", r"(share|stock) price"),
    "hire outsiders for accounting and delivery": ("living-on-the-fault-line", r"(?s)(?=.*accounting)(?=.*delivery)"),
    "product development first, sales later, support after that": (
        "lifecycle-resource-shifting",
        r"(?s)(?=.*development)(?=.*sales)(?=.*support)",
    ),
    "Elance": ("freelance-marketplaces", r"\bElance\b"),
    "ifreelance.com": ("freelance-marketplaces", r"ifreelance"),
    "hire a virtual assistant": ("virtual-assistants", r"virtual assistant"),
    "the Next New Thing": ("next-new-thing", r"next new thing"),
    "engineers versus marketing, united by the common goal of sales": ("engineers-vs-marketing", r"sales"),
    "outsource the context, insource the core": ("core-vs-context", r"(?i)context"),
    "forget quarterly earnings; profits will come": ("long-term-over-quarterly", r"quarter"),
    "decide who you are and play to your culture's strength": ("company-culture-strength", r"strength"),
}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(REPO_DIR / "knowledge")


def _text(kb: KnowledgeBase, note_id: str) -> str:
    note = kb.notes[note_id]
    sections = " ".join(f"{title} {body}" for title, body in note.sections)
    return " ".join([note.title, note.answer, *note.key_points, sections])


@pytest.mark.parametrize("fact", sorted(SEED_FACTS))
def test_seed_fact_is_covered(kb: KnowledgeBase, fact: str) -> None:
    note_id, pattern = SEED_FACTS[fact]
    assert note_id in kb.notes, f"{fact!r}: note {note_id} is gone"
    assert re.search(pattern, _text(kb, note_id), re.IGNORECASE), f"{fact!r} is no longer in {note_id}"
