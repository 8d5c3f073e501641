"""A near-tied runner-up that names what the question asks leads ("can my VA sign an NDA": the contracts note).

Split from `bot.search.grounding`, whose `Vocabulary` it reads: which notes use a question's words.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from bot.search.grounding import Vocabulary, content_words

NAMED_SUBJECT_NOTES = 2
"""A question's word used by at most this many notes names its subject ("NDA": the contracts and risks notes)."""
NAMED_SUBJECT_MARGIN = 0.02
"""A runner-up this close to the first note leads when it uses the question's named subject and the first does not."""


NAMED_SUBJECT_WORDS = 6
"""Only a short question is judged so: in a story of several sentences a rare word is often a detail, not the subject."""


class _Ranked(Protocol):
    @property
    def note_id(self) -> str: ...
    @property
    def confidence(self) -> float: ...


R = TypeVar("R", bound=_Ranked)


def lead_by_named_subject(candidates: list[R], text: str, vocabulary: Vocabulary, threshold: float) -> list[R]:
    """The candidates, with a near-tied runner-up first when it uses a rare word of the question that the first never uses.

    "can my VA sign an NDA" scores the VA note a hair above the contracts note (0.50 and 0.49): the
    VA is who signs, the NDA is what is asked, and only the contracts note speaks of NDAs. A near tie
    is no reason to answer from a note silent on the one specific thing the question names.

    Args:
        candidates: Best first.
        text: The question as typed.
        vocabulary: The notes' words.
        threshold: The answer threshold; a runner-up under it never takes the lead.
    """
    words = content_words(text)
    if len(candidates) < 2 or len(words) > NAMED_SUBJECT_WORDS:
        return candidates
    top = candidates[0]
    named = [n for n in map(vocabulary.notes_of, words) if 0 < len(n) <= NAMED_SUBJECT_NOTES]
    named = [notes for notes in named if top.note_id not in notes]
    for other in candidates[1:] if named else []:
        if (
            other.confidence >= threshold
            and top.confidence - other.confidence <= NAMED_SUBJECT_MARGIN
            and any(other.note_id in notes for notes in named)
        ):
            return [other, *(c for c in candidates if c is not other)]
    return candidates
