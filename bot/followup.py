"""Follow-up questions: spotting them, and combining their own ranking with the chat's topic.

A short question that leans on the previous answer ("how much does that cost?") is
ranked twice: on its own, and as "<previous title>: <question>". The contextual
query scores every note near the previous topic highly, because the title alone
matches it, so it must not simply replace the question's own ranking.
"""

from __future__ import annotations

import re

from bot.retrieval import Candidate

_REFERRING = re.compile(r"\b(that|it|this|those|them|they|these|there|one)\b", re.IGNORECASE)
_CONTINUING = re.compile(r"^(and|also|what about|how about|but|so)\b", re.IGNORECASE)
FOLLOW_UP_WORDS = 7
FOLLOW_UP_MARGIN = 0.15
"""How far the contextual query's best note must beat the question's own best note (both
scored in context) to win. Chosen from follow-ups checked with the real model
(tests/bot/test_retrieval.py): "how much does that cost?" after "when should I outsource?"
keeps pricing (0.11 behind in context); after a virtual-assistant answer it goes to
virtual assistants (0.47 behind)."""


def is_follow_up(text: str) -> bool:
    """True for short questions that lean on the previous topic ("how much does that cost?")."""
    words = text.split()
    return 0 < len(words) <= FOLLOW_UP_WORDS and bool(_REFERRING.search(text) or _CONTINUING.match(text))


def combine(own: list[Candidate], contextual: list[Candidate], threshold: float, margin: float = FOLLOW_UP_MARGIN) -> list[Candidate]:
    """Merge a follow-up's own ranking with its contextual one.

    Each note keeps the better of its two candidates (by confidence), best first.
    The question's own top note goes first when it is confident on its own
    (at least `threshold`) and, read in context, is within `margin` of the
    contextual top note: the chat's topic then confirms it rather than overrules it.

    Args:
        own: Candidates for the question alone, best first.
        contextual: Candidates for the question prefixed with the previous topic, best first.
        threshold: The answer threshold.
        margin: How far the contextual top must lead to overrule a confident own answer.

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
    in_context = {c.note_id: c.confidence for c in contextual}
    top = own[0].note_id
    if in_context.get(top, 0.0) >= contextual[0].confidence - margin:
        merged = [best[top]] + [c for c in merged if c.note_id != top]
    return merged
