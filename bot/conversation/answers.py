"""Building answer and fallback replies from ranked candidates (the words come from the templates)."""

from __future__ import annotations

import logging

from bot.knowledge.notes import MAX_REPLY_CHARS, KnowledgeBase, KnowledgeNote
from bot.messages import Reply, Source, Suggestion
from bot.replies.render import DISCLAIMER, render, render_answer
from bot.search.retrieval import SUGGESTION_FLOOR, Candidate, close_alternatives

log = logging.getLogger(__name__)

MAX_SUGGESTIONS = 4
STARTER_TOPICS = ("when-to-outsource", "virtual-assistants", "pricing-and-costs", "crossing-the-chasm")
"""Offered when nothing is close to a question, and with the help text."""


def _sources(kb: KnowledgeBase, candidates: list[Candidate]) -> list[Source]:
    """Candidates as reply sources, with the confidence clamped to 0..1 (the lexical bonus can pass 1)."""
    return [
        Source(c.note_id, kb.notes[c.note_id].title, round(min(1.0, max(0.0, c.confidence)), 4))
        for c in candidates
        if c.note_id in kb.notes
    ]


def starter_topics(kb: KnowledgeBase, count: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    """Popular topics to start with: the starter notes that exist, topped up in title order."""
    notes = [kb.notes[i] for i in STARTER_TOPICS if i in kb.notes]
    notes += [n for n in sorted(kb.notes.values(), key=lambda n: n.title.lower()) if n not in notes]
    return [Suggestion(n.id, n.title) for n in notes[:count]]


def _more_text(note: KnowledgeNote) -> str:
    """The note's first section after the key points, as "Heading:\\ntext" (empty when it has none)."""
    extra = note.sections[1:] if note.key_points else note.sections
    return next((f"{heading}:\n{text}" for heading, text in extra if text), "")


def answer_reply(
    kb: KnowledgeBase, best: Candidate, candidates: list[Candidate], notice: str, more: bool = False
) -> Reply:
    """The reply for a confident answer: the best note, then near misses and related topics, sources.

    Args:
        kb: The knowledge in service.
        best: The note to answer with.
        candidates: Every candidate, best first (near misses among them come first as "did you mean").
        notice: A line about the input itself, or "".
        more: Add the note's first further section ("tell me more"), when it fits in one message.
    """
    note = kb.notes[best.note_id]
    close = [
        kb.notes[c.note_id] for c in close_alternatives(candidates) if c.note_id in kb.notes and c.note_id != note.id
    ]
    label = "Did you mean" if close else "Related topics"
    offered = close + [kb.notes[r] for r in note.related if r in kb.notes and kb.notes[r] not in close and r != note.id]
    suggestions = [Suggestion(n.id, n.title) for n in offered[:MAX_SUGGESTIONS]]
    sources = _sources(kb, candidates)
    disclaimer = DISCLAIMER if note.disclaimer else ""
    context = dict(
        title=note.title,
        answer=note.answer,
        key_points=note.key_points,
        references=note.sources,
        disclaimer=disclaimer,
        notice=notice,
        more=_more_text(note) if more else "",
    )
    titles = [s.title for s in suggestions]
    body, text = render_answer(label, titles, **context)
    if context["more"] and len(text) > MAX_REPLY_CHARS:
        context["more"] = ""  # the note fits one message by itself (kb check); its extra section may not
        body, text = render_answer(label, titles, **context)
    return Reply(
        "answer",
        text,
        body=body,
        title=note.title,
        answer=f"{note.answer}\n\n{context['more']}" if context["more"] else note.answer,
        key_points=list(note.key_points),
        references=list(note.sources),
        sources=sources,
        suggestions=suggestions,
        suggestion_label=label,
        answered=True,
        notice=notice,
        disclaimer=disclaimer,
    )


def fallback_reply(kb: KnowledgeBase, candidates: list[Candidate], notice: str, english_only: bool = False) -> Reply:
    """The reply when no note is confident enough: the closest topics, or popular ones when nothing is close.

    Args:
        kb: The knowledge in service.
        candidates: Every candidate, best first.
        notice: A line about the input itself, or "".
        english_only: Add that the bot answers only in English (the question was in another script).
    """
    closest = [
        Suggestion(c.note_id, kb.notes[c.note_id].title)
        for c in candidates[:3]
        if c.note_id in kb.notes and c.confidence >= SUGGESTION_FLOOR
    ]
    suggestions = closest or starter_topics(kb)
    label = "Closest topics" if closest else "Popular topics"
    context = dict(notice=notice, english_only=english_only, closest=bool(closest))
    text = render("fallback", suggestions=[s.title for s in suggestions], **context)
    body = render("fallback", suggestions=[], **context)
    sources = _sources(kb, candidates)
    return Reply(
        "fallback", text, body=body, sources=sources, suggestions=suggestions, suggestion_label=label, notice=notice
    )


def small_talk_reply(kind: str) -> Reply:
    """The short reply to a thank-you ("thanks") or an acknowledgement such as "ok" or "bye" ("acknowledgement")."""
    return (
        Reply("thanks", render("thanks")) if kind == "thanks" else Reply("acknowledgement", render("acknowledgement"))
    )
