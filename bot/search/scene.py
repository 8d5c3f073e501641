"""Where a question tells the asker's own business: who asks, not what is asked.

"I own a little florist shop, who should I get to redo my website?" asks about a website. Grounding
(`bot.search.grounding`, `bot.search.queries`) and the not-covered list (`bot.search.not_covered`)
leave such words out: they are neither named as a missing subject nor tie a question to a note.
"""

from __future__ import annotations

import functools
import re

from bot.search.grounding import content_words

_APOSTROPHE = "['\u2019]"
_SCENE = (
    # "I own a little florist shop", "we run two cafes", "I'm a plumber", "we are a family-owned store"
    re.compile(
        rf"\b(?:i{_APOSTROPHE}m|i\s+am|we{_APOSTROPHE}re|we\s+are|(?:i|we)\s+(?:own|run|have|manage|operate|opened|started|founded))"
        r"\s+(?:a|an|my|our|this|one|two|three|four|five|\d+)\s+(?P<scene>[^,.;:!?()]+)",
        re.IGNORECASE,
    ),
    # "my bakery's payroll", "our tattoo parlour's computers"
    re.compile(rf"\b(?:my|our)\s+(?P<scene>(?:[\w-]+\s+){{0,2}}[\w-]+){_APOSTROPHE}s\b", re.IGNORECASE),
    # "my yoga studio is stuck...", "our brewery wants to ship...": the asker's business as what a sentence is about
    re.compile(
        r"(?:^|[.!?]\s+)(?:so\s+|and\s+|but\s+)?(?:my|our)\s+(?P<scene>(?:[\w-]+\s+){0,3}?[\w-]+)\s+"
        r"(?=(?:is|are|was|were|has|have|had|gets|got|needs|wants|keeps|sells|makes|does|did|uses|runs|just|only"
        rf"|can|could|will|would|should|can{_APOSTROPHE}t|won{_APOSTROPHE}t|doesn{_APOSTROPHE}t|isn{_APOSTROPHE}t)\b)",
        re.IGNORECASE,
    ),
    # "should I incorporate my freelance web design business": the business, named by its trade
    re.compile(
        r"\b(?:my|our)\s+(?P<scene>(?:[\w-]+\s+){1,3}?(?:business|company|firm|shop|store|studio|agency|practice|startup))\b",
        re.IGNORECASE,
    ),
    # "... for my salon?", "... in my boutique"
    re.compile(r"\b(?:for|at|in|from)\s+(?:my|our)\s+(?P<scene>(?:[\w-]+\s+){0,2}[\w-]+)\s*[.?!]*\s*$", re.IGNORECASE),
)
"""Where a question tells the asker's own business: who they are, not what they ask."""
_SCENE_ENDS = re.compile(
    r"\s(?:and|but|so|or|with|who|whom|that|which|where|when|how|what|why|should|can|could|would|will|do|does|is|are"
    r"|to|about|on|for|of|in|at|from|since|because|if|i|we|it|they|me|us|then|now)\b.*",
    re.IGNORECASE,
)
"""A scene ends where the sentence goes on to something else ("I have a vineyard and want to...")."""
MAX_SCENE_WORDS = 4
"""A scene is a short noun phrase ("little florist shop"); anything longer is read as part of the question."""


@functools.lru_cache(maxsize=1024)  # asked several times per message (grounding, declines, the partly-covered line)
def scene_words(text: str, introduction_only: bool = False) -> frozenset[str]:
    """The words (lower case) with which a question tells the asker's own business, not what it asks.

    "I own a little florist shop, who should I get to redo my website?" asks about a website: the
    florist shop is who asks. So is "my bakery's" in "my bakery's payroll" and "my salon" at the
    end of "SEO for my salon". Grounding neither names such a word as a missing subject nor lets
    it ground the question in a note ("for my bowling alley" is not Moore's bowling alley).

    Args:
        text: The cleaned question.
        introduction_only: Only the words of an introduction ("I run a franchise bakery", "I have
            a franchise"), the one form that never names whom the question is about ("my landlord
            won't fix the heating" is about the landlord).
    """
    words: set[str] = set()
    for pattern in _SCENE[:1] if introduction_only else _SCENE:
        for match in pattern.finditer(text):
            scene = _SCENE_ENDS.sub("", " " + match.group("scene")).split()
            if len(scene) <= MAX_SCENE_WORDS:
                words.update(w.lower().strip("'\u2019") for w in scene)
    return frozenset(words)


def asked_words(text: str) -> list[str]:
    """`content_words` of a question without those that tell the asker's own business (`scene_words`)."""
    scene = scene_words(text)
    return [w for w in content_words(text) if w.lower() not in scene]
