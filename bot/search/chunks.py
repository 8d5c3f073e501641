"""The searchable texts of a note (chunks) and the names of the passages they stand for.

A build embeds and indexes these; a search finds chunks and reports the note and the
passage of the note each one belongs to.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.knowledge.notes import KnowledgeNote

log = logging.getLogger(__name__)

ANSWER_PART = "answer"
"""The passage of a note's title, its own alternate questions and its opening answer."""


@dataclass(frozen=True)
class Chunk:
    """One searchable text of a note: its title, an alternate question, the answer, a key point or a section.

    Attributes:
        note_id: The note.
        kind: "title", "question", "answer", "point" or "section".
        text: What is embedded and indexed.
        part: The passage of the note this text stands for: "answer" (the title, the note's own
            questions and its opening answer), "point:<i>" (the i-th key point) or "section:<i>"
            (the i-th entry of `KnowledgeNote.sections`). A reply shows the passage that matched.
    """

    note_id: str
    kind: str
    text: str
    part: str = ANSWER_PART


def point_part(number: int) -> str:
    """The passage name of a note's key point `number` (0-based)."""
    return f"point:{number}"


def section_part(number: int) -> str:
    """The passage name of a note's section `number` (0-based, into `KnowledgeNote.sections`)."""
    return f"section:{number}"


def note_chunks(note: KnowledgeNote) -> list[Chunk]:
    """Split a note into the texts that are embedded and indexed."""
    chunks = [Chunk(note.id, "title", note.title)]
    chunks += [Chunk(note.id, "question", q) for q in note.questions]
    if note.answer:
        chunks.append(Chunk(note.id, "answer", note.answer))
    chunks += [Chunk(note.id, "point", p, point_part(i)) for i, p in enumerate(note.key_points)]
    for i, (heading, text) in enumerate(note.sections):
        items = note.section_items[i] if i < len(note.section_items) else []
        if i == 0 and note.key_points:
            continue  # the key points, indexed one by one above
        questions = note.section_questions[i] if i < len(note.section_questions) else []
        # A section's own questions find that section, as a note's questions find the note.
        chunks += [Chunk(note.id, "question", q, section_part(i)) for q in questions]
        if items:
            # A list section is found by its items, each under the section's heading.
            chunks += [Chunk(note.id, "point", f"{heading}: {item}", section_part(i)) for item in items]
        elif text:
            chunks.append(Chunk(note.id, "section", f"{heading}: {text}", section_part(i)))
    return chunks


def is_passage_text(chunk: Chunk) -> bool:
    """True for a chunk that says which passage of its note answers: its text, or a question of a section.

    The title and the note's own alternate questions say which note a question is about,
    not which part of it answers, so they are left out when passages are compared.
    """
    return chunk.kind in ("answer", "point", "section") or (chunk.kind == "question" and chunk.part != ANSWER_PART)


def is_section_question(chunk: Chunk) -> bool:
    """True for a section's own question (a `? ...` line), which chooses a passage but never the note."""
    return chunk.kind == "question" and chunk.part != ANSWER_PART
