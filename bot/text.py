"""Cleaning of user text before it reaches retrieval."""

from __future__ import annotations

import re
import unicodedata

MAX_QUESTION_CHARS = 1000
"""Questions longer than this are answered from their first part, with a notice."""

_SPACE = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Normalise user text: NFKC, no control or invisible format characters, single spaces.

    Args:
        text: Raw text from a platform.

    Returns:
        The cleaned text; may be empty.
    """
    text = unicodedata.normalize("NFKC", text)
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn"):
            kept.append(" " if ch in "\t\n\r\x0b\x0c" else "")
        else:
            kept.append(ch)
    return _SPACE.sub(" ", "".join(kept)).strip()


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
