"""Where a question tells the asker's own business: who asks, not what is asked.

"I own a little florist shop, who should I get to redo my website?" asks about a website. Grounding
(`bot.search.grounding`, `bot.search.queries`) and the not-covered list (`bot.search.not_covered`)
leave such words out: they are neither named as a missing subject nor tie a question to a note.
"""

from __future__ import annotations

import functools
import re

from bot.search.answerability import SHORT_QUESTION_WORDS
from bot.search.grounding import content_words

_APOSTROPHE = "['\u2019]"
_SCENE = (
    # "I own a little florist shop", "we run two cafes", "I'm a plumber", "we are a family-owned store"
    re.compile(
        rf"\b(?:i{_APOSTROPHE}m|i\s+am|we{_APOSTROPHE}re|we\s+are|(?:i|we)\s+(?:own|run|have|manage|operate|opened|started|founded))"
        r"\s+(?:a|an|my|our|this|one|two|three|four|five|\d+)\s+(?P<scene>[^,.;:!?()]+)",
        re.IGNORECASE,
    ),
    # "a plumber with 3 vans", "a small bakery, 4 staff, and ...": the size of the asker's business, counted
    re.compile(
        r"(?:\bwith|,)\s+(?:\d+|two|three|four|five|six|seven|eight|nine|ten)\s+"
        r"(?P<scene>[\w-]+(?:\s+[\w-]+)?)(?=\s*(?:,|\band\b|\bbut\b|$))",
        re.IGNORECASE,
    ),
    # "I designed a dog leash", "we make a range of candles": what the asker makes or sells is their business too
    re.compile(
        r"\b(?:i|we)\s+(?:designed|invented|created|developed|make|produce|craft)\s+(?:a|an|\d+)\s+"
        r"(?P<scene>[^,.;:!?()]+)",
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
INTRODUCTION_PATTERNS = 2
"""The first patterns of `_SCENE` introduce the asker ("I run a bakery", "with 3 vans"): `scene_words(introduction_only=True)`."""
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
            a franchise", "a plumber with 3 vans"), the one form that never names whom the question is about ("my landlord
            won't fix the heating" is about the landlord).
    """
    words: set[str] = set()
    for pattern in _SCENE[:INTRODUCTION_PATTERNS] if introduction_only else _SCENE:
        for match in pattern.finditer(text):
            scene = _SCENE_ENDS.sub("", " " + match.group("scene")).split()
            if len(scene) <= MAX_SCENE_WORDS:
                words.update(w.lower().strip("'\u2019") for w in scene)
    return frozenset(words)


def asked_words(text: str) -> list[str]:
    """`content_words` of a question without those that tell the asker's own business (`scene_words`)."""
    scene = scene_words(text)
    return [w for w in content_words(text) if w.lower() not in scene]


_AUXILIARY = (
    r"(?:can|could|should|shall|would|will|do|does|did|is|are|am|was|were|have|has|may|might|must)(?:n['\u2019]?t)?"
)
_OPENER = re.compile(
    # "how do I", "what should we", "which CRM", "who can", "where do I find"; "when" only as it asks ("when should I")
    rf"\b(?:how|what|which|who|whom|whose|where|why|when(?=\s+{_AUXILIARY}\b)|"
    # "should I", "is it worth", "do we need", "can someone", "are there"
    rf"{_AUXILIARY}\s+(?:i|we|you|my|our|it|there|they|he|she|someone|anyone|somebody|anybody|this|that)|"
    # "I need a ...", "we want to ...", "looking for ...", "any tips on ...", "tell me about ..."
    r"(?:i|we)\s+(?:need|want|would\s+like)|(?:i['\u2019]m\s+|we['\u2019]re\s+)?looking\s+for|help\s+me|tell\s+me"
    r"|any\s+(?:tips|advice|ideas|recommendations|suggestions))\b",
    re.IGNORECASE,
)
"""How English opens a request: a question word, an auxiliary before its subject, or "I need", "looking for"."""
_CLAUSE_START = re.compile(r"(?:^|[,;:(]|\s-\s|\b(?:and|but|so|or|then|also|now))\s*$", re.IGNORECASE)
"""What may come just before a request's opener: the sentence's start or a clause boundary."""
_TELLS = re.compile(
    r"\s*(?:(?:as|since|after|before|when|while|because|if|though|although)\s+)?(?:(?:an?|the)\s+\w+\s+)?"
    rf"(?:i|i{_APOSTROPHE}\w+|we|we{_APOSTROPHE}\w+|my|our|me|us)\b",
    re.IGNORECASE,
)
"""How a clause before the request opens when it tells the asker's story ("I'm a plumber", "as a baker I",
"our shop"), rather than naming the request's topic first ("Franchise or independent, which is better?")."""
_REFERS_BACK = re.compile(r"\b(?:[Tt]hat|[Tt]his|it|them|those|these)\W*$")
"""A request that ends on a pronoun ("is that something I can outsource?", "how do I pay them?", "can he do
that?") asks about what its sentence told before it."""
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_MENTIONS = (
    # "in Chicago", "from Leeds", "near San Diego": where the asker is
    re.compile(r"\b(?:in|near|around|across|from|at)\s+(?:the\s+)?[A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*)*"),
    # "$12,000", "200 lbs", "3hrs", "2kg": an amount and its unit ("401k" and "3PL" are names, "300 jars" says what)
    re.compile(r"(?<!\w)[$\u00a3\u20ac]?\d[\d,.]*(?:\s?[a-z]{2,3})?(?!\w)"),
    # "$8k", "2k", "1.5m", "£10K": an amount in thousands or millions ("401k" is a name)
    re.compile(r"(?<!\w)(?:[$\u00a3\u20ac]\d[\d,.]*|(?!401k)\d{1,3}(?:\.\d+)?)\s?[kKmM](?!\w)"),
)
"""What a request may mention without asking it: a place, an amount."""


@functools.lru_cache(maxsize=1024)
def request_head(text: str) -> str:
    """What a question asks, from the shape of its sentences: the request, without the story around it.

    "I'm a plumber in Manchester with 3 vans, is it worth paying a virtual assistant to answer my
    phone calls?" asks about a virtual assistant: the plumber, Manchester and the vans are who
    asks. Each sentence that asks (one ending with "?", or any sentence when none does) is read from
    the first request opener at a clause's start ("how do I", "should I", "is it worth", "which",
    "I need", `_OPENER`) to its end; a clause before the opener that does not tell the asker's
    story (`_TELLS`) names the request's topic first and is kept ("Grants: where do I find them?"),
    and so is a story the request points back to (`_REFERS_BACK`: "..., can I outsource that?").
    What a request only mentions is left out (`_MENTIONS`: a place, an amount). A message whose
    requests name nothing ("what can I do?") asks about its story: then its asking sentences are
    the head, or the whole message when they name nothing either. A short message (at most
    `SHORT_QUESTION_WORDS` content words) has no story to leave out: it is its own head, less
    its places and amounts.

    Args:
        text: The cleaned question.

    Returns:
        The head, as typed (words in their order; story left out).
    """
    if len(content_words(text)) <= SHORT_QUESTION_WORDS:
        return _without_mentions(text)
    sentences = [m.group(0).strip() for m in _SENTENCE.finditer(text)]
    asking = [s for s in sentences if s.endswith("?")] or sentences
    heads = []
    for sentence in asking:
        opener = next((m for m in _OPENER.finditer(sentence) if _CLAUSE_START.search(sentence[: m.start()])), None)
        if opener is None:
            continue
        before, request = sentence[: opener.start()], sentence[opener.end() :]
        story = not before or (_TELLS.match(before) and not _REFERS_BACK.search(opener.group(0) + request))
        heads.append(_without_mentions(request if story else sentence))
    head = " ".join(heads)
    if content_words(head):
        return head
    asked = " ".join(asking)
    return asked if content_words(asked) else text


def _without_mentions(text: str) -> str:
    """A text without what it only mentions (`_MENTIONS`), spaces tidied."""
    for mention in _MENTIONS:
        text = mention.sub(" ", text)
    return " ".join(text.split())


_DOER = re.compile(
    rf"^(?:to|who|that|i|we|you|they|he|she|it|i{_APOSTROPHE}m|we{_APOSTROPHE}re|they{_APOSTROPHE}re|can|could|should|would|will|"
    rf"won{_APOSTROPHE}t|don{_APOSTROPHE}t|doesn{_APOSTROPHE}t|didn{_APOSTROPHE}t|not|never|always|keeps?)$",
    re.IGNORECASE,
)
"""A word after one of these is what someone does ("who refuses", "to negotiate", "i'm drowning"), not a subject."""


def nameable(words: list[str], text: str) -> list[str]:
    """The `words` a decline can name as a subject: those the question does not use as a verb.

    "a customer who refuses to pay" is not about "refuses", and "how to negotiate with my flour
    supplier" is about the supplier; saying "I don't have a note on refuses" reads as a broken bot.
    A word counts as a verb after a pronoun, a modal, "to" or "who" (`_DOER`), or as a past
    participle ("a rented flat") when it ends in -ed. Words typed in capitals ("SBA") always count.
    """
    tokens = re.findall(rf"[\w{_APOSTROPHE[1:-1]}-]+", text)
    kept = []
    for word in words:
        uses = [i for i, t in enumerate(tokens) if t.lower() == word.lower()]
        if any(tokens[i].isupper() and len(tokens[i]) > 1 for i in uses):
            kept.append(word)
            continue
        verb = bool(uses) and all(i > 0 and _DOER.match(tokens[i - 1]) for i in uses)
        if not verb and not (word.lower().endswith("ed") and len(word) > 4):
            kept.append(word)
    return kept
