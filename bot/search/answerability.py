"""Whether a note answers a question: the one score the answer threshold is compared with.

A cosine alone cannot tell "can I outsource my marketing" from "can I get a bank loan": both
land near some note. So the score combines how close the note is (its best chunks' cosines, see
`bot.search.retrieval.note_cosines`), how clearly it leads the other notes, and whether the
question's specific words are grounded in it (see `bot.search.grounding`). The weights and the threshold (`bot.config.DEFAULT_THRESHOLD`)
were chosen together on a sweep over the odd lines of tests/data/real.jsonl, near-domain
questions no note covers included, and checked on its even lines and on tests/data/eval.jsonl
(docs/evaluation.md has the figures). Other signals were swept too and left out because they
declined no more near-domain questions on the tuning half at the same share of covered ones
answered: a bonus when the lexical ranking agrees (0.02-0.06), the relative BM25 of the note,
and for long questions the share of ungrounded rare words.
"""

from __future__ import annotations

MARGIN_WEIGHT = 0.2
"""Weight of the lead over the best other note, counted up to `MARGIN_CAP`: a clear winner ("how
do I fire them?" -> ending a contract, 0.14 ahead) is more likely answered right than a near-tie."""
MARGIN_CAP = 0.1
UNCOVERED_PENALTY = 0.10
"""Taken off when a short question's specific words are not in the note ("franchise", "SBA")."""
SHORT_QUESTION_WORDS = 6
"""Only questions of at most this many content words are checked for grounding: in a longer story
the words no note uses are mostly the asker's situation ("I run a landscaping business...") rather
than its subject."""
RARE_NOTES = 2
"""A word used by at most this many notes is specific enough that the answering note must use it too."""


def answerability(cosine: float, margin: float = 0.0, grounded: bool = True) -> float:
    """The confidence that a note answers a question, compared with the answer threshold.

    Args:
        cosine: The note's semantic score for the question.
        margin: How far that score leads the best other note's (negative when it trails).
        grounded: False when a short question's specific words are not in the note, or when the
            question has no content word at all ("tell me more" with no topic: only its shape matches).

    Returns:
        The confidence, on the cosine's scale.
    """
    lead = min(max(margin, 0.0), MARGIN_CAP)
    return cosine + MARGIN_WEIGHT * lead - (0.0 if grounded else UNCOVERED_PENALTY)
