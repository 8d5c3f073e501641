"""The maintained list of subjects the notes deliberately do not cover, `knowledge/not-covered.yaml`.

A question naming one of these subjects is declined, in the asker's own words, unless the note
it would be answered with really covers it (see `bot.search.not_covered.NotCoveredMatcher`). The
list lives beside the notes, like `knowledge/abbreviations.yaml`, so maintainers extend it
without touching code; `outsourcebot kb check` validates it, and warns about words a note's title or
tags name (`bot.search.not_covered.covered_warnings`, which matches words as the bot does).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.knowledge.list_files import check_list, load_list

log = logging.getLogger(__name__)

FILE_NAME = "not-covered.yaml"
SECTIONS = ("subjects",)
SUBJECT_KEYS = ("words", "pointer")


@dataclass(frozen=True)
class Subject:
    """One subject no note covers.

    Attributes:
        name: What maintainers call it ("business loans and credit").
        words: The words and phrases that name it in a question, as listed.
        pointer: Who can help instead, shown after the decline ("" when none).
    """

    name: str
    words: tuple[str, ...]
    pointer: str = ""


@dataclass(frozen=True)
class NotCovered:
    """The subjects of the list, in file order.

    Attributes:
        subjects: Every subject.
    """

    subjects: tuple[Subject, ...] = ()

    def __len__(self) -> int:
        return len(self.subjects)


def parse_not_covered(text: str, origin: str = FILE_NAME) -> NotCovered:
    """Read the YAML text of a not-covered list.

    Args:
        text: The file's contents.
        origin: Named in error messages.

    Returns:
        The subjects.

    Raises:
        ValueError: On unknown sections or keys, a subject without words, an empty word, a
            word listed under two subjects, or a pointer that is not text.
    """
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{origin}: not valid YAML ({exc})") from None
    if not isinstance(data, dict) or set(data) - set(SECTIONS):
        raise ValueError(f"{origin}: expected only the section {', '.join(SECTIONS)}")
    entries = data.get("subjects") or {}
    if not isinstance(entries, dict):
        raise ValueError(f"{origin}: subjects must map each subject's name to its words")
    subjects: list[Subject] = []
    seen: dict[str, str] = {}
    for name, entry in entries.items():
        label = str(name).strip()
        if not label:
            raise ValueError(f"{origin}: a subject needs a name")
        if not isinstance(entry, dict):
            raise ValueError(f"{origin}: {label}: expected the keys {', '.join(SUBJECT_KEYS)}")
        unknown = sorted(str(k) for k in set(entry) - set(SUBJECT_KEYS))
        if unknown:
            raise ValueError(
                f"{origin}: {label}: unknown key(s) {', '.join(unknown)} (known: {', '.join(SUBJECT_KEYS)})"
            )
        words = entry.get("words")
        if not isinstance(words, list) or not words:
            raise ValueError(f"{origin}: {label}: needs a list of words")
        cleaned = []
        for word in words:
            if not isinstance(word, str | int) or not str(word).strip():
                raise ValueError(f"{origin}: {label}: an empty word")
            key = " ".join(str(word).lower().split())
            if key in seen:
                raise ValueError(f"{origin}: {label}: {word!r} is already listed under {seen[key]}")
            seen[key] = label
            cleaned.append(" ".join(str(word).split()))
        pointer = entry.get("pointer") or ""
        if not isinstance(pointer, str):
            raise ValueError(f"{origin}: {label}: pointer must be text")
        subjects.append(Subject(label, tuple(cleaned), pointer.strip()))
    return NotCovered(tuple(subjects))


def load_not_covered(knowledge_dir: Path) -> NotCovered:
    """Load `not-covered.yaml` from the knowledge folder; an empty list (logged) when missing or broken."""
    return load_list(
        knowledge_dir / FILE_NAME, parse_not_covered, NotCovered(), "only grounding declines uncovered subjects"
    )


def check_not_covered(knowledge_dir: Path) -> str | None:
    """The problem with the folder's not-covered list as a `path:1: message` line, or None (also when absent)."""
    return check_list(knowledge_dir / FILE_NAME, parse_not_covered)
