"""Building answer and fallback replies from ranked candidates (the words come from the templates)."""

from __future__ import annotations

import logging

from bot.messages import Reply, Source, Suggestion
from bot.notes import KnowledgeBase
from bot.render import DISCLAIMER, render
from bot.retrieval import Candidate, close_alternatives

log = logging.getLogger(__name__)


def _sources(kb: KnowledgeBase, candidates: list[Candidate]) -> list[Source]:
    """Candidates as reply sources, with the confidence clamped to 0..1 (the lexical bonus can pass 1)."""
    return [Source(c.note_id, kb.notes[c.note_id].title, round(min(1.0, max(0.0, c.confidence)), 4)) for c in candidates if c.note_id in kb.notes]


def answer_reply(kb: KnowledgeBase, best: Candidate, candidates: list[Candidate], notice: str) -> Reply:
    """The reply for a confident answer: the best note, "did you mean" or related topics, sources."""
    note = kb.notes[best.note_id]
    close = [kb.notes[c.note_id] for c in close_alternatives(candidates) if c.note_id in kb.notes]
    label = "Did you mean" if close else "Related topics"
    offered = close or [kb.notes[r] for r in note.related if r in kb.notes]
    suggestions = [Suggestion(n.id, n.title) for n in offered[:4]]
    sources = _sources(kb, candidates)
    disclaimer = DISCLAIMER if note.disclaimer else ""
    context = dict(
        title=note.title,
        answer=note.answer,
        key_points=note.key_points,
        references=note.sources,
        disclaimer=disclaimer,
        suggestion_label=label,
        notice=notice,
    )
    return Reply(
        "answer",
        render("answer", suggestions=[s.title for s in suggestions], **context),
        body=render("answer", suggestions=[], **context),
        title=note.title,
        answer=note.answer,
        key_points=list(note.key_points),
        references=list(note.sources),
        sources=sources,
        suggestions=suggestions,
        suggestion_label=label,
        answered=True,
        notice=notice,
        disclaimer=disclaimer,
    )

def fallback_reply(kb: KnowledgeBase, candidates: list[Candidate], notice: str) -> Reply:
    """The reply when no note is confident enough: the closest topics."""
    closest = [kb.notes[c.note_id] for c in candidates[:3] if c.note_id in kb.notes]
    if not closest:
        closest = [kb.notes[i] for i in sorted(kb.notes)[:3]]
    suggestions = [Suggestion(n.id, n.title) for n in closest]
    text = render("fallback", suggestions=[s.title for s in suggestions], notice=notice)
    body = render("fallback", suggestions=[], notice=notice)
    sources = _sources(kb, candidates)
    return Reply("fallback", text, body=body, sources=sources, suggestions=suggestions, suggestion_label="Closest topics", notice=notice)
