"""The maintained list of subjects the notes deliberately do not cover, `knowledge/not-covered.yaml`.

A question naming one of these subjects is declined, in the asker's own words, unless the note
it would be answered with really covers it (see `bot.search.grounding.NotCoveredMatcher`). The
list lives beside the notes, like `knowledge/abbreviations.yaml`, so maintainers extend it
without touching code; `outsourcebot kb check` validates it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from bot.knowledge.notes import KnowledgeBase

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


def covered_warnings(knowledge_dir: Path, kb: KnowledgeBase) -> list[str]:
    """Warnings, as `path:line: warning: ...`, for listed words that a note's title or tags name.

    Such a subject is covered after all: the note would never be declined for it (a note with
    the word in its title or tags covers it), but other notes' answers would be, and the list
    no longer says what the notes leave out. Words are matched as the bot matches them
    (`bot.search.not_covered.names`: whole words, any form), and each warning
    points at the line of the subject's entry that lists the word.

    Args:
        knowledge_dir: The knowledge folder.
        kb: Its notes.

    Returns:
        One line per (word, note); empty when the list is absent or broken (`check_not_covered` says so).
    """
    from bot.search.not_covered import names  # the search side builds on this module

    path = knowledge_dir / FILE_NAME
    try:
        text = path.read_text(encoding="utf-8")
        listed = parse_not_covered(text, str(path))
    except (OSError, ValueError):
        return []
    lines = text.splitlines()
    found = []
    for subject in listed.subjects:
        for word in subject.words:
            for note in sorted(kb.notes.values(), key=lambda n: n.id):
                tags = " ; ".join(note.tags).replace("-", " ")
                where = "title" if names(word, note.title) else "tags" if names(word, tags) else ""
                if where:
                    found.append(
                        f"{path}:{_line_of(lines, subject.name, word)}: warning: {word!r} ({subject.name}) is in "
                        f"the {where} of note {note.id}, so the notes cover it: take it out of this list"
                    )
    return found


def _line_of(lines: list[str], name: str, word: str) -> int:
    """The line (from 1) of a subject's entry that lists a word; the entry's own line when none does.

    The entry runs from its `name:` line to the next line indented no deeper (the next subject);
    comments do not count, so a word also used in the file's header points at its own entry.
    """
    entry = re.compile(rf"^(\s*)['\"]?{re.escape(name)}['\"]?\s*:")
    listed = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
    start = next((i for i, line in enumerate(lines) if entry.match(line)), None)
    if start is None:
        return 1
    depth = len(lines[start]) - len(lines[start].lstrip())
    for i in range(start, len(lines)):
        content = lines[i].split("#", 1)[0]
        if i > start and content.strip() and len(content) - len(content.lstrip()) <= depth:
            break
        if listed.search(content if i > start else content.split(":", 1)[1]):
            return i + 1
    return start + 1
