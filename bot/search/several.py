"""Several questions in one message: the main one is answered, the others are offered as buttons.

"How do I find a good VA? And how should I pay a freelancer?" asks two things. The whole message
is searched as usual and its best note answers (the main question). Each question of the message
is also searched on its own; one whose own best note is a different note, confident in its own
right, is offered as "You also asked: <title>" (a topic button, so a press answers it).

Nothing is offered that the person did not ask: a part that only asks someone's view of the rest
("..., what does moore suggest") or leans on it ("is it worth it?") is part of the one question; a
part whose note is the one answered adds nothing; and a part that reaches its note only weakly,
with another note about as close ("what can i do myself": when to outsource 0.52, about this bot
0.56), asks nothing a button could answer.
"""

from __future__ import annotations

import re

import numpy as np

from bot.search.followup_words import QUESTION_WORD, leans_on_what_was_said
from bot.search.grounding import content_words
from bot.search.index import LoadedIndex
from bot.search.retrieval import Candidate

MAX_ALSO_ASKED = 2
"""At most this many other questions are offered; a message asking more is rare and the buttons crowd."""
LEAD = 0.08
"""A question is offered only when its own best note leads the answered note by this much for it:
"should I pay them for a test piece?" after "how do I interview a freelancer" is part of the same topic."""
MIN_WORDS = 1
"""A part needs this many content words to be a question of its own ("and what is the chasm?" is, "and why?" is not)."""
_SPLIT = re.compile(
    rf"(?<=[.?!])\s+|;\s*|,?\s+(?:and|also|or|plus)\s+(?={QUESTION_WORD})|,\s+(?={QUESTION_WORD})", re.IGNORECASE
)
_ASKS = re.compile(rf"^(?:also\s+|and\s+|but\s+|so\s+)?{QUESTION_WORD}", re.IGNORECASE)
_ASKS_A_VIEW = re.compile(
    r"^(?:and\s+|so\s+)?(?:what|how)\s+(?:do|does|did|would|should)\s+(?!(?:the|a|an|my|our|your|their)\b)(?:\w+\s+){1,2}"
    r"(?:say|suggest|think|recommend|advise|do)(?:\s+(?:about|on)\s+(?:it|that|this))?\W*$",
    re.IGNORECASE,
)
"""A part asking only someone's view of the rest ("what does moore suggest", "what would you do"): not a
question of its own. "What should the contract say" asks what a thing says, and is one."""
_SENTENCE = re.compile(r"(?<=[.?!])\s+")
MIN_SENTENCE_WORDS = 3
"""A sentence of a story needs this many words to count (see `asking_sentences`)."""
CLEAR_LEAD = 0.1
"""A part's own best note is offered only when no other note comes within this much of its confidence."""


def separate_questions(text: str) -> list[str]:
    """The questions of a message, each as its own text; empty when it asks fewer than two.

    A part is a question when it ends with "?" or starts with a question word; a part that only
    tells the asker's situation ("We sell on Amazon.") is left out, and so are a short one about
    "that" or "it" ("is it worth it?") and one asking only someone's view ("what does moore
    suggest"), which lean on the rest of the message.

    Args:
        text: The cleaned message.

    Returns:
        The questions in message order, or [] for a message with one question (or none).
    """
    parts = [p.strip(" ,") for p in _SPLIT.split(text) if p and p.strip(" ,")]
    questions = [
        p
        for p in parts
        if (p.endswith("?") or _ASKS.match(p))
        and len(content_words(p)) >= MIN_WORDS
        and not leans_on_what_was_said(p)
        and not _ASKS_A_VIEW.match(p)
    ]
    return questions if len(questions) >= 2 else []


def asking_sentences(text: str) -> list[str]:
    """The sentences of a message that ask something, when others only tell the asker's story.

    "I paid a guy on Fiverr for a logo and got a template. It looks nothing like what I described.
    What can I do now?" tells a story whose words (Fiverr, logo) lean to one note while what it asks
    is for another; `bot.search.queries.rank_plan` counts the asking sentences again. A sentence asks
    when it ends with "?" or starts with a question word; a sentence needs `MIN_SENTENCE_WORDS`
    words to count at all ("Thanks." or "Help!" is no sentence of the story).

    Args:
        text: The cleaned message.

    Returns:
        The asking sentences in message order, or [] when none of them asks or every one does
        (a message of one sentence, or questions only: nothing tells a story apart from them).
    """
    sentences = [s.strip() for s in _SENTENCE.split(text) if len(s.split()) >= MIN_SENTENCE_WORDS]
    asking = [s for s in sentences if s.endswith("?") or _ASKS.match(s)]
    return asking if len(asking) < len(sentences) else []


def also_asked(
    questions: list[str],
    vectors: np.ndarray,
    index: LoadedIndex,
    mode: str,
    threshold: float,
    answered: str,
) -> list[Candidate]:
    """The other questions' notes: each question's own best note, when confident and clearly not the one answered.

    Args:
        questions: From `separate_questions`.
        vectors: One embedding per question (zeros in lexical mode).
        index: The loaded index.
        mode: "fused", "semantic" or "lexical".
        threshold: The answer threshold; a question's note is offered only at or above it,
            `LEAD` ahead of the answered note's confidence for that question and `CLEAR_LEAD` ahead
            of every other note's.
        answered: The note answering the whole message.

    Returns:
        At most `MAX_ALSO_ASKED` candidates, in message order, each note once.
    """
    from bot.search.queries import QueryPlan, rank_plan  # queries plans these texts, so import late

    found: list[Candidate] = []
    seen = {answered}
    for i, question in enumerate(questions):
        ranked = rank_plan(QueryPlan([question], 1), vectors[i : i + 1], index, mode, threshold)
        if not ranked or ranked[0].confidence < threshold or ranked[0].note_id in seen:
            continue
        main = next((c.confidence for c in ranked if c.note_id == answered), 0.0)
        rival = max((c.confidence for c in ranked[1:]), default=0.0)
        if ranked[0].confidence - main >= LEAD and ranked[0].confidence - rival >= CLEAR_LEAD:
            seen.add(ranked[0].note_id)
            found.append(ranked[0])
            if len(found) == MAX_ALSO_ASKED:
                break
    return found
