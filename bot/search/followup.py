"""Follow-up questions: spotting them, and combining their own ranking with the chat's topic.

A short question that leans on the previous answer ("how much does that cost?") is
ranked twice: on its own, and as "<previous title>: <question>". The contextual
query scores every note near the previous topic highly, because the title alone
matches it, so it must not simply replace the question's own ranking: a question
that is confident on its own and names its own subject ("do I need a contract
with them?") keeps its own answer; the context decides only when the question
alone is not confident, or when it is a very short question about "that" or "it"
("how much does that cost?", "and toptal?").
"""

from __future__ import annotations

import re

from bot.search.retrieval import Candidate

_REFERRING = re.compile(r"\b(that|it|this|those|them|they|these|there|one|he|she|him|her|his|their)\b", re.IGNORECASE)
# Words that stand for the previous topic itself, not for a person in it: "how much does
# that cost?" asks about the topic, "how do I fire them?" asks something new about a person.
_TOPIC_WORDS = re.compile(r"\b(that|it|this|those|these|there|one)\b", re.IGNORECASE)
_QUESTION = re.compile(
    r"^(how|what|why|when|where|who|which|can|could|should|would|is|are|do|does|any)\b", re.IGNORECASE
)
_CONTINUING = re.compile(r"^(and|also|what about|how about|but|so)\b", re.IGNORECASE)
FOLLOW_UP_WORDS = 7
SHORT_WORDS = 3
"""With a previous topic, a question this short is read as a follow-up even without "that" or "it"."""
ANAPHORIC_WORDS = 5
"""A question about "that"/"it" this short lets the topic overrule its own confident answer."""
FOLLOW_UP_MARGIN = 0.15
"""How far the contextual query's best note must beat the question's own best note (both
scored in context) to win. Chosen from follow-ups checked with the real model
(tests/bot/test_retrieval.py): "how much does that cost?" after "when should I outsource?"
keeps pricing (0.11 behind in context); after a virtual-assistant answer it goes to
virtual assistants (0.47 behind)."""


def is_follow_up(text: str) -> bool:
    """True for short questions that lean on the previous topic ("how much does that cost?", "what if she quits?")."""
    words = text.split()
    return 0 < len(words) <= FOLLOW_UP_WORDS and bool(_REFERRING.search(text) or _CONTINUING.match(text))


def is_short_question(text: str) -> bool:
    """True for a question of a few words ("how much?", "risks?"), which leans on the previous topic.

    A few words that ask nothing ("football scores", "i love cats") are read on their own.
    """
    words = text.split()
    return 0 < len(words) <= SHORT_WORDS and bool(
        text.rstrip().endswith("?") or _QUESTION.match(text) or _CONTINUING.match(text)
    )


def is_bare_question(text: str) -> bool:
    """True for a short question that is only a topic word and a "?" ("risks?", "pizza?").

    It may lean on the previous topic, or be about something else entirely: the
    question's own search has to show it belongs to our domain at all.
    """
    return is_short_question(text) and not (_QUESTION.match(text) or _CONTINUING.match(text) or _REFERRING.search(text))


def is_anaphoric(text: str) -> bool:
    """True for very short questions about the previous topic itself ("how much does that cost?")."""
    return len(text.split()) <= ANAPHORIC_WORDS and bool(_TOPIC_WORDS.search(text))


def combine(
    own: list[Candidate],
    contextual: list[Candidate],
    threshold: float,
    anaphoric: bool,
    margin: float = FOLLOW_UP_MARGIN,
) -> list[Candidate]:
    """Merge a follow-up's own ranking with its contextual one.

    A question confident on its own (at least `threshold`) keeps its own ranking,
    unless it is `anaphoric`: then its own top note goes first only when, read in
    context, it is within `margin` of the contextual top note (the chat's topic
    confirms it rather than overrules it). Otherwise each note keeps the better of
    its two candidates (by confidence), best first.

    Args:
        own: Candidates for the question alone, best first.
        contextual: Candidates for the question prefixed with the previous topic, best first.
        threshold: The answer threshold.
        anaphoric: The question is a very short one about the previous topic (`is_anaphoric`).
        margin: How far the contextual top must lead to overrule a confident anaphoric answer.

    Returns:
        The combined candidates, best first.
    """
    best: dict[str, Candidate] = {}
    for candidate in own + contextual:
        kept = best.get(candidate.note_id)
        if kept is None or candidate.confidence > kept.confidence:
            best[candidate.note_id] = candidate
    merged = sorted(best.values(), key=lambda c: -c.confidence)
    if not own or not contextual or own[0].confidence < threshold:
        return merged
    if not anaphoric:
        # The context's runners-up are inflated by the title, so they make poor "did you mean"s.
        return own
    in_context = {c.note_id: c.confidence for c in contextual}
    top = own[0].note_id
    if in_context.get(top, 0.0) >= contextual[0].confidence - margin:
        merged = [best[top]] + [c for c in merged if c.note_id != top]
    return merged
