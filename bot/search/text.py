"""Cleaning of user text before it reaches retrieval."""

from __future__ import annotations

import functools
import re
import unicodedata

from bot.config import REPO_DIR
from bot.knowledge.abbreviations import Abbreviations, load_abbreviations

MAX_QUESTION_CHARS = 1000
"""Questions longer than this are answered from their first part, with a notice."""
MAX_RAW_CHARS = 4 * MAX_QUESTION_CHARS
"""Raw input is cut to this many characters before cleaning, so a huge message costs little."""
JOINERS = "\u200c\u200d"
"""Zero-width non-joiner and joiner: invisible, but part of Persian words and emoji sequences."""

_SPACE = re.compile(r"\s+")
# Markup pasted from web pages or chat clients. Script and style bodies go with their tags;
# other tags become a space. Every pattern is linear (no nested quantifiers), so cleaning
# stays bounded on hostile input.
_SCRIPT = re.compile(r"<(script|style)\b[^<>]{0,200}>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z!][^<>]{0,200}>")
_ANGLE = re.compile(r"[<>]")
"""Brackets left over after tag removal go too, so cleaning twice changes nothing."""
_EMPHASIS = re.compile(r"[*`~]+|(?<![^\W_])_+|_+(?![^\W_])")
"""Markdown emphasis and code marks (`**`, `*`, `` ` ``, `~~`, and `_` not inside a word)."""
# A run of joiners is kept only between two visible characters; elsewhere it joins nothing.
_STRAY_JOINERS = re.compile(rf"(?<![^\s{JOINERS}])[{JOINERS}]+|[{JOINERS}]+(?![^\s{JOINERS}])")


def clean_text(text: str, limit: int = MAX_RAW_CHARS) -> str:
    """Normalise user text: NFKC, no markup, control or invisible format characters, single spaces.

    HTML tags (with the bodies of scripts and styles) and Markdown emphasis
    marks are removed, so "<b>how much</b> does a *VA* cost?" reads as plain words.
    The zero-width joiner and non-joiner stay where they join two visible
    characters (Persian words, emoji sequences).

    Args:
        text: Raw text from a platform.
        limit: Raw characters looked at; the rest is dropped before any work.

    Returns:
        The cleaned text; may be empty.
    """
    text = unicodedata.normalize("NFKC", text[:limit])
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in JOINERS:
            kept.append(ch)
        elif category in ("Cc", "Cf", "Cs", "Co", "Cn"):
            kept.append(" " if ch in "\t\n\r\x0b\x0c" else "")
        else:
            kept.append(ch)
    text = "".join(kept)
    text = _ANGLE.sub(" ", _TAG.sub(" ", _SCRIPT.sub(" ", _EMPHASIS.sub("", text))))
    return _SPACE.sub(" ", _STRAY_JOINERS.sub("", text)).strip()


def truncate(text: str, limit: int = MAX_QUESTION_CHARS) -> tuple[str, bool]:
    """Cut text to at most `limit` characters at a word boundary.

    Args:
        text: Cleaned text.
        limit: Maximum number of characters kept.

    Returns:
        The kept text and whether anything was cut.
    """
    if len(text) <= limit:
        return text, False
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(), True


ACKNOWLEDGEMENTS = ("ok", "okay", "alright", "all right", "cool", "great", "got it", "i see", "hmm+")
"""Words that acknowledge what was said, as regular-expression alternatives: one list for the
opening filler of a question here and for a whole message of small talk (`bot.conversation.smalltalk`)."""
THANKS = ("thanks", "thank you", "thankyou", "thx", "ty", "cheers", "many thanks", "much appreciated")
"""Ways of saying thanks, as regular-expression alternatives (also `bot.conversation.smalltalk`'s)."""
_QUESTION_STARTS = ("cool", "great", "right", "well")
"""Filler words that also start questions ("right to work checks", "well-known agencies", "great
britain vat"): they count as filler only with punctuation after them, or "so"/"then"."""
_FILLER = "|".join(w for w in (*ACKNOWLEDGEMENTS, *THANKS, "um+", "uh+") if w not in _QUESTION_STARTS)
_STARTS = "|".join(_QUESTION_STARTS)
_OPENING_FILLER = re.compile(
    rf"^(?:(?:{_FILLER})\b[\s,.!:;]+|(?:{_STARTS})\s*[,.!:;]+\s*|(?:{_STARTS})\s+(?=(?:so|then)\b))+"
    r"(?:(?:so|then)\b[\s,]*)?",
    re.IGNORECASE,
)
"""Words that open a chat message without asking anything ("ok so", "hmm, well,", "thanks! then")."""


def drop_opening_filler(text: str) -> str:
    """Drop the chatty opening of a message ("ok so what would I hand off first?" -> "what would I hand off first?").

    It dilutes the question's embedding; a message that is nothing but filler is returned as it was
    (small talk decides what "ok" means).

    Args:
        text: The cleaned question.
    """
    rest = _OPENING_FILLER.sub("", text, count=1)
    return rest if has_words(rest) else text


_AUTHOR = r"(?:geoffrey\s+)?moore"
_SAYING = r"(?:say|says|said|think|thinks|argue|argues|suggest|suggests|recommend|recommends|advise|advises|tell us|talk about)"
_AUTHOR_FRAME = re.compile(
    rf"^(?P<ask>what|how|when|why|where)\s+(?:does|did|would|do)\s+{_AUTHOR}\s+{_SAYING}\b\s*"
    rf"|^(?:so\s+)?{_AUTHOR}\s+(?:says|said|argues|thinks|suggests|recommends|writes|wrote)\s+(?:that\s+)?"
    rf"|^(?:according to|per)\s+{_AUTHOR}\s*,?\s*",
    re.IGNORECASE,
)
"""How a question attributes an idea to Moore ("what does moore say if ...", "moore says to ...",
"according to Moore, ..."): the frame, not the subject (`drop_author_frame`)."""
AUTHOR_FRAME_REST = 2
"""The words left after the frame must hold at least this many content-looking words (3+ letters)."""


def drop_author_frame(text: str) -> str:
    """Drop the frame that attributes the question's idea to Moore ("what does moore say if sales explode" -> "what if sales explode").

    Every strategy note is about one of Moore's ideas, so his name says which shelf the question
    is on, not which idea: as typed, the name pulls the notes that speak most of him (his
    biography, the book about his career) over the idea asked about. A question about the man
    himself ("what does moore say in his books", "who is moore") keeps its words when too little
    is left to search.

    Args:
        text: The cleaned question.
    """
    match = _AUTHOR_FRAME.match(text)
    if match is None:
        return text
    rest = text[match.end() :].strip(" ,.")
    if len(re.findall(r"[a-z]{3,}", rest, re.IGNORECASE)) < AUTHOR_FRAME_REST or re.search(
        r"\b(him|his|he)\b", rest, re.IGNORECASE
    ):
        return text
    ask = match.group("ask")
    return f"{ask} {rest}" if ask else rest


def has_words(text: str) -> bool:
    """Return True when the text holds at least one letter or digit."""
    return any(ch.isalnum() for ch in text)


def expand_abbreviations(text: str, abbreviations: Abbreviations | None = None) -> str:
    """Spell out abbreviations and old names ("hire a VA" -> "hire a virtual assistant") for retrieval.

    Args:
        text: The cleaned question.
        abbreviations: The list in service (default: the shipped `knowledge/abbreviations.yaml`).
    """
    return (abbreviations if abbreviations is not None else shipped_abbreviations()).expand(text)


@functools.cache
def shipped_abbreviations() -> Abbreviations:
    """The abbreviation list of the repository's own knowledge folder, loaded once."""
    return load_abbreviations(REPO_DIR / "knowledge")


def mostly_non_latin(text: str) -> bool:
    """Return True when more than half of the letters are outside the Latin script (a non-English question)."""
    letters = [ch for ch in text if ch.isalpha()]
    foreign = sum(1 for ch in letters if not ch.isascii() and not unicodedata.name(ch, "").startswith("LATIN"))
    return 2 * foreign > len(letters) > 0
