"""Note skeletons drafted from a group of unanswered questions in the latest report."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from bot.knowledge.faq_io import note_markdown, slugify
from bot.knowledge.notes import KnowledgeBase
from bot.maintainers.report import UnansweredGroup

log = logging.getLogger(__name__)

DRAFT_BODY = """TODO: answer the questions above in one short, direct paragraph.

## Key points

- TODO: the first thing to know.
- TODO: the second thing to know.
"""


def _title(question: str) -> str:
    text = question.strip().rstrip("?!. ")
    return text[:1].upper() + text[1:]


def draft_note(group: UnansweredGroup, kb: KnowledgeBase, today: dt.date | None = None) -> tuple[str, str]:
    """A note skeleton for one group: its questions as phrasings, the body marked TODO.

    `kb check` refuses the note until every TODO is gone, so a draft never reaches users half-written.

    Args:
        group: The group of unanswered questions.
        kb: The knowledge in service (for a unique id and the related note).
        today: The date written as `updated` (default today).

    Returns:
        The new note's id and the text of its file.
    """
    today = today or dt.date.today()
    base = slugify(group.questions[0]) if group.questions else f"group-{group.number}"
    note_id, n = base, 2
    while note_id in kb.notes:
        note_id, n = f"{base}-{n}", n + 1
    record = {
        "id": note_id,
        "title": _title(group.questions[0]) if group.questions else note_id,
        "questions": list(group.questions),
        "answer": DRAFT_BODY,
        "tags": ["draft"],
        "related": [group.nearest_note] if group.nearest_note in kb.notes else [],
        "updated": today.isoformat(),
        "review_by": (today + dt.timedelta(days=365)).isoformat(),
    }
    return note_id, note_markdown(record)


def write_draft(
    group: UnansweredGroup, kb: KnowledgeBase, folder: Path, output: Path | None = None, force: bool = False
) -> Path:
    """Write a draft note file for a group.

    Args:
        group: The group of unanswered questions.
        kb: The knowledge in service.
        folder: The knowledge folder (the draft goes to `<folder>/drafts/<id>.md` by default).
        output: Another file to write instead.
        force: Replace an existing file.

    Returns:
        The file written.

    Raises:
        FileExistsError: When the file exists and `force` is not given.
    """
    note_id, text = draft_note(group, kb)
    path = output or folder / "drafts" / f"{note_id}.md"
    if path.exists() and not force:
        raise FileExistsError(f"{path} already exists; pass --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
