"""Building every reply the core sends, as typed blocks whose words come from the templates."""

from __future__ import annotations

import logging

from bot.conversation.focus import Part
from bot.knowledge.notes import MAX_REPLY_CHARS, KnowledgeBase, KnowledgeNote
from bot.messages import Reply, ReplyKind, Source, Suggestion
from bot.replies.blocks import plain_text
from bot.replies.render import DISCLAIMER, render_answer, render_blocks
from bot.search.retrieval import SUGGESTION_FLOOR, Candidate, close_alternatives
from bot.storage.store import Stats

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
    starters = {n.id for n in notes}  # by id: comparing whole notes field by field cost ~0.4 ms a decline
    notes += [n for n in sorted(kb.notes.values(), key=lambda n: n.title.lower()) if n.id not in starters]
    return [Suggestion(n.id, n.title) for n in notes[:count]]


def _more_section(note: KnowledgeNote) -> tuple[str, str]:
    """The note's first section after the key points, as (heading, text); ("", "") when it has none."""
    extra = note.sections[1:] if note.key_points else note.sections
    return next(((heading, text) for heading, text in extra if text), ("", ""))


UNSURE_BAND = 0.1
"""An answer less than this far above the answer threshold is unsure: close runners-up are offered as
"did you mean". Chosen on the answered questions of eval.jsonl, real.jsonl and focus.jsonl together
with `UNSURE_GAP` (threshold 0.41): "did you mean" went from 151 of 470 correct answers (and 42 of
55 wrong ones) to 80 of 470 correct (28 of 55 wrong, 12 of them with the right note offered)."""
UNSURE_GAP = 0.03
"""A runner-up within this much of the answer (best chunk's cosine) makes it unsure, however high its confidence."""


def is_unsure(candidates: list[Candidate], threshold: float) -> bool:
    """True when the answer could well be another note: a low score, or a runner-up nearly as close.

    Args:
        candidates: Every candidate, best first.
        threshold: The answer threshold in service.
    """
    if len(candidates) < 2:
        return False
    best, second = candidates[0], candidates[1]
    # The gap on the scale "did you mean" compares (`close_alternatives`): the best chunk's cosine.
    gap = best.peak - second.peak if best.peak > 0 else best.cosine - second.cosine
    return best.confidence < threshold + UNSURE_BAND or gap < UNSURE_GAP


def answer_reply(
    kb: KnowledgeBase,
    best: Candidate,
    candidates: list[Candidate],
    notice: str,
    more: bool = False,
    parts: list[Part] | None = None,
    closing: str = "",
    with_sources: bool = False,
    unsure: bool = True,
) -> Reply:
    """The reply for a confident answer: the best note, then near misses and related topics, sources.

    Args:
        kb: The knowledge in service.
        best: The note to answer with.
        candidates: Every candidate, best first (near misses among them come first as "did you mean").
        notice: A line about the input itself, or "".
        more: Add the note's first further section ("tell me more"), when it fits in one message.
        parts: Show only these parts of the note (a focused answer): the first is the passage
            that answers, the key points among the rest are listed under it; None shows the whole note.
        closing: A line after the parts (for example that everything on the topic has been shown).
        with_sources: List the note's sources under a focused answer (once the whole note has been shown).
        unsure: The answer may be another note (`is_unsure`): close runners-up come first, as "did you
            mean"; a confident answer offers its related topics only.
    """
    note = kb.notes[best.note_id]
    close = [
        kb.notes[c.note_id]
        for c in (close_alternatives(candidates) if unsure else [])
        if c.note_id in kb.notes and c.note_id != note.id
    ]
    label = "Did you mean" if close else "Related topics"
    offered = close + [kb.notes[r] for r in note.related if r in kb.notes and kb.notes[r] not in close and r != note.id]
    suggestions = [Suggestion(n.id, n.title) for n in offered[:MAX_SUGGESTIONS]]
    more_label, more_text = _more_section(note) if more else ("", "")
    context = dict(
        title=note.title,
        answer=note.answer,
        key_points=note.key_points,
        references=note.sources,
        disclaimer=DISCLAIMER if note.needs_disclaimer([note.answer, *note.key_points, more_label, more_text]) else "",
        notice=notice,
        more=more_text,
        more_label=more_label,
    )
    if parts is not None:
        # A focused answer: the opening answer or a section as the passage, key points as bullets;
        # the note's sources are one "more" away, with the rest of the note.
        opening = next((p.text for p in parts if p.name == "answer"), "")
        section = next((p for p in parts if p.name.startswith("section:")), None)
        points = [p.text for p in parts if p.name.startswith("point:")]
        if not opening and section is None and points:
            opening, points = points[0], points[1:]
        context.update(
            answer=opening,
            key_points=points,
            references=note.sources if with_sources else [],
            more=(section.text or "\n".join(f"• {b}" for b in section.bullets)) if section else "",
            more_label=section.heading if section else "",
            closing=closing,
            # Only a shown passage that needs it carries the disclaimer (`disclaimer: [phrases]`).
            disclaimer=DISCLAIMER if note.needs_disclaimer(_shown_texts(parts)) else "",
        )
    titles = [s.title for s in suggestions]
    blocks = render_answer(label, titles, **context)
    if more_text and len(plain_text(blocks)) > MAX_REPLY_CHARS:
        # The note fits one message by itself (kb check); its extra section may not.
        blocks = render_answer(label, titles, **dict(context, more="", more_label=""))
    return Reply(ReplyKind.ANSWER, blocks, sources=_sources(kb, candidates), suggestions=suggestions, answered=True)


def _shown_texts(parts: list[Part]) -> list[str]:
    """What a focused reply shows of each part: its heading, prose and bullets."""
    return [p.heading + "\n" + p.text + "\n" + "\n".join(p.bullets) for p in parts]


MAX_UNCOVERED_NAMED = 2
"""A decline names at most this many of the question's uncovered words ("a note on SBA and loans")."""


NAMED_FLOOR = 0.34
"""Uncovered words are named only for a question this close to the notes (best cosine): "a note on
franchise" helps a near-domain asker, "a note on weather and Lisbon" only sounds odd. Compared with
the best chunk's cosine (`Candidate.peak`), the scale it was chosen on."""


def _uncovered(candidates: list[Candidate]) -> str:
    if not candidates or (candidates[0].peak or candidates[0].cosine) < NAMED_FLOOR:
        return ""
    return " and ".join(candidates[0].uncovered[:MAX_UNCOVERED_NAMED])


def fallback_reply(kb: KnowledgeBase, candidates: list[Candidate], notice: str, english_only: bool = False) -> Reply:
    """The reply when no note is confident enough: the closest topics, or popular ones when nothing is close.

    When the question's own words name a subject no note covers, the reply says so in those
    words ("I don't have a note on franchise yet").

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
    uncovered = _uncovered(candidates)
    blocks = render_blocks(
        "fallback",
        suggestions=[s.title for s in suggestions],
        notice=notice,
        english_only=english_only,
        closest=bool(closest),
        uncovered=uncovered,
        pointer=candidates[0].pointer if uncovered else "",
    )
    return Reply(ReplyKind.FALLBACK, blocks, sources=_sources(kb, candidates), suggestions=suggestions)


def small_talk_reply(kind: str) -> Reply:
    """The short reply to a thank-you ("thanks") or an acknowledgement such as "ok" or "bye" ("acknowledgement")."""
    if kind == "thanks":
        return Reply(ReplyKind.THANKS, render_blocks("thanks"))
    return Reply(ReplyKind.ACKNOWLEDGEMENT, render_blocks("acknowledgement"))


def help_reply(kb: KnowledgeBase, commands: str = "") -> Reply:
    """The greeting and help text, with popular topics; `commands` lists the platform's commands."""
    return Reply(ReplyKind.HELP, render_blocks("help", commands=commands), suggestions=starter_topics(kb))


def topics_reply(kb: KnowledgeBase) -> Reply:
    """Every topic, in title order, listed and offered as suggestions."""
    topics = [Suggestion(n.id, n.title) for n in sorted(kb.notes.values(), key=lambda n: n.title.lower())]
    return Reply(ReplyKind.TOPICS, render_blocks("topics", topics=topics), suggestions=topics)


def stats_reply(stats: Stats) -> Reply:
    """Headline usage figures for admins."""
    blocks = render_blocks(
        "stats",
        questions=stats.questions,
        answered_pct=round(100 * stats.answered_share),
        up=stats.up,
        down=stats.down,
        unanswered=stats.unanswered,
    )
    return Reply(ReplyKind.STATS, blocks)


def refusal_reply(command: str) -> Reply:
    """The polite refusal of an admin command to someone who is not an admin."""
    return Reply(ReplyKind.REFUSED, render_blocks("refused", command=command))


def expired_reply() -> Reply:
    """What a press on a button whose topic or answer no longer exists gets."""
    return Reply(ReplyKind.EXPIRED, render_blocks("expired_button"))


def rate_limited_reply(wait: float) -> Reply:
    """The polite "please wait" notice for a user who must wait `wait` seconds."""
    return Reply(ReplyKind.RATE_LIMITED, render_blocks("rate_limited", seconds=max(1, round(wait))))


def forgotten_reply(count: int) -> Reply:
    """The confirmation that everything stored about the user is gone."""
    return Reply(ReplyKind.FORGOTTEN, render_blocks("forgotten", count=count))


def feedback_reply(rating: int, previous: int | None = None, answered: bool = True) -> Reply:
    """The thanks for a 👍 (+1) or 👎 (-1).

    Args:
        rating: The rating given.
        previous: The same person's earlier rating of this reply, which this one replaced (None: first).
        answered: False for a rating of a decline: it is feedback on the unanswered question.
    """
    rating = 1 if rating > 0 else -1
    again = previous == rating
    changed = previous is not None and not again
    return Reply(
        ReplyKind.FEEDBACK, render_blocks("feedback", rating=rating, again=again, changed=changed, answered=answered)
    )


def error_reply() -> Reply:
    """The apology when answering failed."""
    return Reply(ReplyKind.ERROR, render_blocks("error"))
