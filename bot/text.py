"""Cleaning of user text before it reaches retrieval."""

from __future__ import annotations

import re
import unicodedata

MAX_QUESTION_CHARS = 1000
"""Questions longer than this are answered from their first part, with a notice."""
MAX_RAW_CHARS = 4 * MAX_QUESTION_CHARS
"""Raw input is cut to this many characters before cleaning, so a huge message costs little."""
JOINERS = "\u200c\u200d"
"""Zero-width non-joiner and joiner: invisible, but part of Persian words and emoji sequences."""

_SPACE = re.compile(r"\s+")
# A run of joiners is kept only between two visible characters; elsewhere it joins nothing.
_STRAY_JOINERS = re.compile(rf"(?<![^\s{JOINERS}])[{JOINERS}]+|[{JOINERS}]+(?![^\s{JOINERS}])")


def clean_text(text: str, limit: int = MAX_RAW_CHARS) -> str:
    """Normalise user text: NFKC, no control or invisible format characters, single spaces.

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
    return _SPACE.sub(" ", _STRAY_JOINERS.sub("", "".join(kept))).strip()


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


def has_words(text: str) -> bool:
    """Return True when the text holds at least one letter or digit."""
    return any(ch.isalnum() for ch in text)
