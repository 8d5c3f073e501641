"""Follow-ups that follow: a message that leans on the chat's topic is answered from that topic's note.

A message depends on the topic when it points back at it ("how would I know if we're in one",
"what tools would they use") or leaves its subject out ("how much?", "how would I check"). Such a
message is also read as "<topic title>: <message>": when the topic's note matches that reading
better than any note matches the message alone, the topic's note answers, with its passage that
fits the new question. Two things keep the topic from
swallowing what is not about it:

- a message that names a subject of its own, which another note covers confidently and the topic's
  note does not mention ("do they need insurance?", "who would manage all these people"), goes to
  that other note;
- a message with nothing to do with our notes ("what time is it in Tokyo?", "is it going to rain
  tomorrow", "what's 7 times 8") is declined as if asked alone: sums, and words no note uses
  without a word that ties the message to the topic; so is a short question that names a subject
  of its own without pointing back ("what's the capital of australia").

The work is a handful of dot products with the passages of two notes: O(1) in the number of notes.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

import numpy as np

from bot.search.followup import is_short_question
from bot.search.grounding import content_words
from bot.search.index import LoadedIndex
from bot.search.retrieval import Candidate

log = logging.getLogger(__name__)

_POINTING = re.compile(
    r"\b(that|it|its|this|those|these|them|they|their|there|one|ones|he|she|him|her|his)\b", re.IGNORECASE
)
_CONTINUING = re.compile(r"^(and|also|what about|how about|but|so|or)\b", re.IGNORECASE)
_QUESTION = re.compile(r"^(how|what|why|when|where|who|which|can|could|should|would|is|are|do|does)\b", re.IGNORECASE)
SHORT_QUESTION_WORDS = 6
"""A question this short ("how would I check", "what should we do first") leaves its subject to the topic."""
_SUM = re.compile(
    r"\d\s*[-+*/x×^%=]\s*\d|\d\s*%\s*of\s*\d|\bsquared\b|\d+\s*(times|plus|minus|divided by|over)\s*\d+", re.IGNORECASE
)
MAX_WORDS = 14
"""Longer messages say what they are about; they are read on their own."""
SPECIFIC_NOTES = 10
"""A word used by at most this many notes names a subject ("insurance", "philippines"); commoner
words ("cost", "check", "use") only shape the question."""
TOPIC_FLOOR = 0.4
"""The topic's best passage must match the message read in context at least this well (the
topic's note kept this way matched 0.43-0.72 on the follow-ups of tests/data/conversations.jsonl)."""


TOPIC_MARGIN = 0.06
"""How much better the topic's note must match in context than a note confident on the message alone."""


def depends_on_topic(text: str) -> bool:
    """True for a message that leans on the chat's topic: it points back at it, continues it, or is a bare question.

    Args:
        text: The cleaned message.
    """
    words = text.split()
    if not 0 < len(words) <= MAX_WORDS:
        return False
    short = len(words) <= SHORT_QUESTION_WORDS and bool(_QUESTION.match(text))
    return bool(_POINTING.search(text) or _CONTINUING.match(text) or short or is_short_question(text))


def topic_query(title: str, text: str) -> str:
    """The message read in the topic's context, as it is embedded."""
    return f"{title}: {text}"


def _unrelated(text: str, topic: str, index: LoadedIndex) -> bool:
    """True for a sum, or a message using words no note knows and none that ties it to the topic."""
    if _SUM.search(text):
        return True
    vocabulary = index.vocabulary
    words = content_words(text)
    unknown = [w for w in words if not vocabulary.notes_of(w)]
    tied = [w for w in words if topic in (notes := vocabulary.notes_of(w)) and len(notes) <= SPECIFIC_NOTES]
    return bool(unknown) and not tied


def _points_back(text: str) -> bool:
    """True when the message points at the topic ("it", "they", "one") or continues it ("and on fiverr?")."""
    return bool(_POINTING.search(text) or _CONTINUING.match(text))


def _subject_notes(text: str, topic: str, index: LoadedIndex) -> list[frozenset[str]]:
    """For each of the message's subject words (used by few notes, or by none) that the topic's note
    does not use, the notes that do use it."""
    vocabulary = index.vocabulary
    found = [vocabulary.notes_of(w) for w in content_words(text)]
    return [notes for notes in found if topic not in notes and len(notes) <= SPECIFIC_NOTES]


def in_context(index: LoadedIndex, note_id: str, vector: np.ndarray) -> Candidate | None:
    """A note as a candidate for the message read in context: its passages ranked by cosine, best first."""
    best: dict[str, float] = {}
    for i, score in index.passage_cosines(note_id, vector):
        part = index.chunks[i].part
        if score > best.get(part, float("-inf")):
            best[part] = score
    if not best:
        return None
    passages = tuple(sorted(best.items(), key=lambda item: (-item[1], item[0])))
    top = passages[0][1]
    return Candidate(note_id, top, top, top, 0.0, passages)


def follow_topic(
    text: str,
    topic: str,
    candidates: list[Candidate],
    vector: np.ndarray,
    index: LoadedIndex,
    threshold: float,
) -> tuple[list[Candidate], bool]:
    """Put the chat's topic first when a message that depends on it is better answered there.

    Args:
        text: The cleaned message (one that `depends_on_topic`).
        topic: The chat's topic (a note id in `index`).
        candidates: The message's own ranking, best first (as searched, context included).
        vector: The embedding of `topic_query(title, text)`.
        index: The index in service.
        threshold: The answer threshold.

    Returns:
        The candidates, with the topic's note first (its passages ranked for this message) when
        it wins, and whether it did (then it answers, whatever its confidence); else unchanged.
    """
    if candidates and candidates[0].note_id == topic and candidates[0].confidence >= threshold:
        # Still the topic: its passages ranked for the message read in context, since the message
        # alone ("how would I know if we're in one") says little about which passage it wants.
        mine = in_context(index, topic, vector)
        if mine is None:
            return candidates, False
        # Its `peak` came from the title-prefixed reading, whose best chunk is the title: dropped, so
        # it does not pass for "the note's own question" (`focus.lead_passage`).
        return [replace(candidates[0], passages=mine.passages, peak=0.0), *candidates[1:]], False
    if _unrelated(text, topic, index):
        return candidates, False
    if not _points_back(text) and _subject_notes(text, topic, index):
        # A short question that names its own subject ("what's the capital of australia") stands alone.
        return candidates, False
    best = next((c for c in candidates if c.note_id != topic), None)  # the best other note
    if (
        best is not None
        and best.confidence >= threshold
        and any(best.note_id in notes for notes in _subject_notes(text, topic, index))
    ):
        return candidates, False
    mine = in_context(index, topic, vector)
    # The topic's note, read with the topic's title, against the best note for the message alone:
    # "who wrote it?" after the chasm goes to Geoffrey Moore (0.93 alone, the chasm 0.45 in context),
    # "how would I know if we're in one" after the tornado stays (0.57 in context, 0.36 for the best other).
    # A note confident on its own is overruled only by a clear margin ("do I need a contract with
    # them?" after virtual assistants: the VA note 0.62 in context, contracts 0.57 alone, goes to contracts).
    # Compared on one scale: the topic's best passage with the other note's best chunk (`peak`).
    rival = 0.0
    if best is not None:
        rival = (best.peak or best.confidence) + (TOPIC_MARGIN if best.confidence >= threshold else 0.0)
    if mine is None or mine.confidence < max(TOPIC_FLOOR, rival):
        return candidates, False
    log.debug("follow-up kept the topic %s over %s", topic, best.note_id if best else None)
    return [mine, *(c for c in candidates if c.note_id != topic)], True
