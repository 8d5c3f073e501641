"""A note as the plain-text answer the bot would send (for the length check, tests and previews)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.replies.blocks import plain_text
from bot.replies.render import DISCLAIMER, render_answer

if TYPE_CHECKING:
    from bot.knowledge.notes import KnowledgeNote


def render_note_text(note: KnowledgeNote, suggestions: list[str] | None = None, notice: str = "") -> str:
    """Render a note as the plain-text answer the bot would send."""
    blocks = render_answer(
        "Related topics",
        suggestions if suggestions is not None else note.related,
        title=note.title,
        answer=note.answer,
        key_points=note.key_points,
        references=note.sources,
        disclaimer=DISCLAIMER if note.needs_disclaimer([note.answer, *note.key_points]) else "",
        notice=notice,
    )
    return plain_text(blocks)
