"""Which sections of the notes a question can reach (`outsourcebot kb check --reach`).

A further section is reachable when at least one of its probes, asked as a question, makes
retrieval pick that section as the passage a reply of its note leads with. The probes are the
section's own `? ...` questions and its heading. A section no probe wins is shown only after
"more": give it questions of its own, or a heading that says what it holds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from bot.conversation.focus import lead_passage
from bot.knowledge.notes import KnowledgeBase, KnowledgeNote, Problem
from bot.knowledge.passages import further_sections
from bot.search.chunks import section_part
from bot.search.embedder import Embedder
from bot.search.index import LoadedIndex
from bot.search.retrieval import rank_notes
from bot.search.text import clean_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SectionReach:
    """How the probes of one section fared.

    Attributes:
        note: The note.
        number: The section's index into `note.sections`.
        probes: The texts asked (the section's questions, then its heading).
        won: The probes whose reply of this note leads with this section.
        first: The probes among `won` for which this note also ranks first among all notes.
    """

    note: KnowledgeNote
    number: int
    probes: tuple[str, ...]
    won: tuple[str, ...]
    first: tuple[str, ...]

    @property
    def heading(self) -> str:
        """The section's heading."""
        return self.note.sections[self.number][0]

    @property
    def reached(self) -> bool:
        """True when some probe makes this section the passage of its note."""
        return bool(self.won)

    def problem(self) -> Problem:
        """The `kb check` report of an unreachable section."""
        line = self.note.section_lines[self.number] if self.number < len(self.note.section_lines) else 1
        asked = "its heading" if len(self.probes) == 1 else f"its heading and its {len(self.probes) - 1} question(s)"
        return Problem(
            self.note.path,
            line,
            f"section {self.heading!r} cannot be reached: asking {asked} never leads a reply with it; "
            "add '? ...' questions under the heading, the way a user would ask for this section",
        )


def probes_of(note: KnowledgeNote, number: int) -> list[str]:
    """The texts that should find a section: its own questions, then its heading."""
    questions = note.section_questions[number] if number < len(note.section_questions) else []
    return [*questions, note.sections[number][0]]


def section_reach(kb: KnowledgeBase, index: LoadedIndex, embedder: Embedder) -> list[SectionReach]:
    """Ask every further section's probes and see which passage each reply of its note leads with.

    Args:
        kb: The notes (those in `index`).
        index: An index built from exactly these notes.
        embedder: The encoder the index was built with.

    Returns:
        One entry per further section with content, in note order.
    """
    jobs = [
        (note, i, [clean_text(p) for p in probes_of(note, i)])
        for note in sorted(kb.notes.values(), key=lambda n: str(n.path))
        for i in further_sections(note)
        if note.sections[i][1]
    ]
    texts = [p for _, _, probes in jobs for p in probes]
    vectors = embedder.embed(texts) if texts else np.zeros((0, 1), np.float32)
    everything = len(kb.notes)
    result = []
    at = 0
    for note, number, probes in jobs:
        won: list[str] = []
        first: list[str] = []
        for probe in probes:
            ranked = rank_notes(index, vectors[at], probe, "fused", limit=everything)
            at += 1
            mine = next((c for c in ranked if c.note_id == note.id), None)
            if mine is not None and lead_passage(mine, note) == section_part(number):
                won.append(probe)
                if ranked[0].note_id == note.id:
                    first.append(probe)
        result.append(SectionReach(note, number, tuple(probes), tuple(won), tuple(first)))
    return result


def unreachable_sections(reach: list[SectionReach]) -> list[Problem]:
    """The `kb check --reach` problems: one per section that no probe reaches."""
    return [r.problem() for r in reach if not r.reached]
