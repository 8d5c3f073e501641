"""The words that tell whether a message leans on the chat's topic: pointing words, continuations, short questions.

One set of word lists, shared by `bot.search.followup` (which decides what a follow-up is about),
`bot.search.queries`, `bot.search.several` and `bot.conversation.continuing`.
"""

from __future__ import annotations

import re

QUESTION_WORD = (
    r"(?:how|what|who|whom|whose|which|where|when|why|should|shall|can|could|do|does|did|is|are|will|would)\b"
)
"""A word a question starts with (a regex fragment, shared with `bot.search.several`)."""
QUESTION = re.compile(rf"^{QUESTION_WORD}", re.IGNORECASE)
POINTING = re.compile(
    r"\b(that|it|its|this|those|these|them|they|their|there|one|ones|he|she|him|her|his)\b", re.IGNORECASE
)
"""Words that point back at something said before ("it", "one", "them", "she")."""
TOPIC_POINTING = re.compile(r"\b(that|it|this|those|these|there|one)\b", re.IGNORECASE)
"""Pointing words that stand for a topic itself, not for a person in it: "is it worth it?" leans on
what was said, "how do I fire them?" asks something new about a person."""
CONTINUING = re.compile(r"^(and|also|what about|how about|but|so|or)\b", re.IGNORECASE)
"""A message that carries on from the last one ("and for taxes?", "what about offshore")."""
SUM = re.compile(
    r"\d\s*[-+*/x×^%=]\s*\d|\d\s*%\s*of\s*\d|\bsquared\b|\d+\s*(times|plus|minus|divided by|over)\s*\d+", re.IGNORECASE
)
"""Sums are never follow-ups to a topic, however short ("what's 2+2", "15% of 80000")."""

MAX_WORDS = 14
"""Longer messages say what they are about; they are read on their own."""
SHORT_WORDS = 6
"""A question this short ("how would I check", "what should we do first") leaves its subject to the topic."""
BARE_WORDS = 3
"""A question of this many words ending in "?" ("risks?", "how much?") may lean on the topic too."""
POINTED_WORDS = 5
"""A question this short about "it" or "that" leans on what was said (`leans_on_what_was_said`)."""


def points_back(text: str) -> bool:
    """True when the message points at something said ("it", "they", "one") or continues it ("and on fiverr?")."""
    return bool(POINTING.search(text) or CONTINUING.match(text))


def is_short_question(text: str) -> bool:
    """True for a question of a few words that leaves its subject out ("how much?", "risks?", "how would I check").

    A few words that ask nothing ("football scores", "i love cats") are not questions.
    """
    words = text.split()
    if not words:
        return False
    if len(words) <= BARE_WORDS and (text.rstrip().endswith("?") or CONTINUING.match(text)):
        return True
    return len(words) <= SHORT_WORDS and bool(QUESTION.match(text))


def is_bare_question(text: str) -> bool:
    """True for a topic word or two and a "?" ("risks?", "pizza?"): it may be about anything at all."""
    return is_short_question(text) and not (QUESTION.match(text) or points_back(text))


def leans_on_what_was_said(text: str) -> bool:
    """True for a very short question about "it" or "that" ("is it worth it?", "how much does that cost?")."""
    return len(text.split()) <= POINTED_WORDS and bool(TOPIC_POINTING.search(text))


def depends_on_topic(text: str) -> bool:
    """True for a message that leans on the chat's topic: it points back at it, continues it, or is a short question.

    Args:
        text: The cleaned message.
    """
    words = text.split()
    if not 0 < len(words) <= MAX_WORDS or SUM.search(text):
        return False
    return points_back(text) or is_short_question(text)


def context_text(title: str, text: str) -> str:
    """The message read in the topic's context, as it is embedded ("Virtual assistants: how much?")."""
    return f"{title}: {text}"
