"""The maintained list of abbreviations and old platform names, `knowledge/abbreviations.yaml`.

Questions are searched as typed and with these spelled out; the list lives beside the
notes so maintainers extend it without touching code.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.knowledge.list_files import check_list, load_list

log = logging.getLogger(__name__)

FILE_NAME = "abbreviations.yaml"
SECTIONS = ("abbreviations", "old_names", "exact_case")


@dataclass(frozen=True)
class Abbreviations:
    """Compiled replacements, longest term first so "VAs" is not read as "VA" + "s".

    Attributes:
        entries: (term, meaning, case_sensitive) as listed.
    """

    entries: tuple[tuple[str, str, bool], ...] = ()
    _patterns: tuple[tuple[re.Pattern[str], str], ...] = field(default=(), repr=False, compare=False)
    _any: re.Pattern[str] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = sorted(self.entries, key=lambda e: -len(e[0]))
        patterns = tuple(
            (re.compile(rf"(?<![\w-]){re.escape(term)}(?![\w-])", 0 if exact else re.IGNORECASE), meaning)
            for term, meaning, exact in ordered
        )
        object.__setattr__(self, "_patterns", patterns)
        # One search for any term at all (most questions have none, and then no substitution runs):
        # it matches where one of the patterns would.
        terms = "|".join(re.escape(term) if exact else f"(?i:{re.escape(term)})" for term, _, exact in ordered)
        object.__setattr__(self, "_any", re.compile(rf"(?<![\w-])(?:{terms})(?![\w-])") if ordered else None)

    def expand(self, text: str) -> str:
        """Spell out every listed term ("hire a VA" -> "hire a virtual assistant")."""
        if self._any is None or self._any.search(text) is None:
            return text  # no pattern matches, so each substitution below would leave the text as it is
        for pattern, meaning in self._patterns:
            text = pattern.sub(meaning, text)
        return text

    def __len__(self) -> int:
        return len(self.entries)


def parse_abbreviations(text: str, origin: str = FILE_NAME) -> Abbreviations:
    """Read the YAML text of an abbreviation list.

    Args:
        text: The file's contents.
        origin: Named in error messages.

    Returns:
        The compiled list.

    Raises:
        ValueError: When the file is not a mapping of known sections to `term: meaning` pairs.
    """
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{origin}: not valid YAML ({exc})") from None
    if not isinstance(data, dict) or set(data) - set(SECTIONS):
        raise ValueError(f"{origin}: expected only the sections {', '.join(SECTIONS)}")
    entries: list[tuple[str, str, bool]] = []
    seen: set[str] = set()
    for section in SECTIONS:
        pairs = data.get(section) or {}
        if not isinstance(pairs, dict):
            raise ValueError(f"{origin}: {section} must map each term to its meaning")
        for term, meaning in pairs.items():
            if not isinstance(meaning, str) or not str(term).strip() or not meaning.strip():
                raise ValueError(f"{origin}: {section}: {term!r} needs a meaning in words")
            key = str(term) if section == "exact_case" else str(term).lower()
            if key in seen:
                raise ValueError(f"{origin}: {term!r} is listed twice")
            seen.add(key)
            entries.append((str(term), meaning.strip(), section == "exact_case"))
    return Abbreviations(tuple(entries))


def load_abbreviations(knowledge_dir: Path) -> Abbreviations:
    """Load `abbreviations.yaml` from the knowledge folder; an empty list (logged) when missing or broken."""
    return load_list(knowledge_dir / FILE_NAME, parse_abbreviations, Abbreviations(), "questions are searched as typed")


def check_abbreviations(knowledge_dir: Path) -> str | None:
    """The problem with the folder's abbreviation list as a `path:1: message` line, or None (also when absent)."""
    return check_list(knowledge_dir / FILE_NAME, parse_abbreviations)
