"""Knowledge notes: parsing Markdown files with YAML front matter, and validating them."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:-[a-z0-9]+)*)*$")
MIN_QUESTIONS = 3
MAX_REPLY_CHARS = 4096  # Telegram's message limit, the tightest of our platforms
_HEADING = re.compile(r"^##+\s+(.*)$")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a knowledge file, reported as `path:line: message`."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class KnowledgeNote:
    """One curated note: the unit the bot answers with.

    Attributes:
        id: Unique slug such as `pricing-and-costs` or `contracts-and-ip/nda`.
        title: Short heading.
        questions: Alternate phrasings users might type.
        answer: The direct answer (first paragraph of the body).
        key_points: Bullets of the first section.
        sections: (heading, text) for every `##` section, for search and full display.
        path: The file the note came from.
    """

    id: str
    title: str
    questions: list[str]
    answer: str
    key_points: list[str] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    updated: str = ""
    review_by: str = ""
    owner: str = ""
    disclaimer: bool = False
    path: Path = Path()
    digest: str = ""
    body_line: int = 1


@dataclass
class KnowledgeBase:
    """All notes of a knowledge folder and the problems found loading them."""

    notes: dict[str, KnowledgeNote]
    problems: list[Problem]
    fingerprint: str

    @property
    def ok(self) -> bool:
        """True when no file has a problem."""
        return not self.problems


def _line_of(text: str, key: str) -> int:
    match = re.search(rf"^{re.escape(key)}\s*:", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [str(value)]


def _as_date(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value or "")


def _split_body(body: str) -> tuple[str, list[str], list[tuple[str, str]]]:
    """Return the first paragraph, the first section's bullets and all sections."""
    intro: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        heading = _HEADING.match(line)
        if heading:
            sections.append((heading.group(1).strip(), []))
        elif sections:
            sections[-1][1].append(line)
        else:
            intro.append(line)
    paragraphs = [p.strip() for p in "\n".join(intro).split("\n\n") if p.strip()]
    answer = " ".join(paragraphs[0].split()) if paragraphs else ""
    key_points: list[str] = []
    if sections:
        for line in sections[0][1]:
            bullet = _BULLET.match(line)
            if bullet:
                key_points.append(bullet.group(1).strip())
            elif key_points and line.startswith((" ", "\t")) and line.strip():
                key_points[-1] += " " + line.strip()
    texts = [(h, " ".join("\n".join(lines).split())) for h, lines in sections]
    return answer, key_points, texts


def parse_note(path: Path, text: str | None = None) -> tuple[KnowledgeNote | None, list[Problem]]:
    """Parse one note file.

    Args:
        path: The Markdown file.
        text: Its content, when already read.

    Returns:
        The note (None when it cannot be read at all) and the problems found in it.
    """
    problems: list[Problem] = []
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return None, [Problem(path, 1, f"cannot read file: {exc}")]
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    if not text.startswith("---\n"):
        return None, [Problem(path, 1, "missing YAML front matter (the file must start with a '---' line)")]
    end = text.find("\n---", 4)
    if end == -1:
        return None, [Problem(path, 1, "front matter is not closed with a '---' line")]
    front = text[4 : end + 1]
    body = text[end + 4 :].split("\n", 1)[1] if "\n" in text[end + 4 :] else ""
    body_line = front.count("\n") + 3
    try:
        meta = yaml.safe_load(front) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [Problem(path, line, f"bad YAML in front matter: {reason}")]
    if not isinstance(meta, dict):
        return None, [Problem(path, 2, "front matter must be a mapping of keys to values")]

    note_id = str(meta.get("id") or "").strip()
    title = str(meta.get("title") or "").strip()
    if not note_id:
        problems.append(Problem(path, 2, "missing id"))
    elif not ID_PATTERN.match(note_id):
        problems.append(Problem(path, _line_of(text, "id"), f"id {note_id!r} must be a lowercase slug (a-z, 0-9, '-', '/')"))
    if not title:
        problems.append(Problem(path, _line_of(text, "title"), "missing title"))
    questions = _as_list(meta.get("questions"))
    if len(questions) < MIN_QUESTIONS:
        problems.append(
            Problem(path, _line_of(text, "questions"), f"needs at least {MIN_QUESTIONS} alternate questions, has {len(questions)}")
        )
    answer, key_points, sections = _split_body(body)
    if not answer:
        problems.append(Problem(path, body_line, "empty answer: the body needs a first paragraph"))
    todo = re.search(r"\bTODO\b", body)
    if todo:
        problems.append(Problem(path, body_line + body.count("\n", 0, todo.start()), "note still marked TODO"))
    note = KnowledgeNote(
        id=note_id,
        title=title,
        questions=questions,
        answer=answer,
        key_points=key_points,
        sections=sections,
        tags=_as_list(meta.get("tags")),
        related=_as_list(meta.get("related")),
        sources=_as_list(meta.get("sources")),
        updated=_as_date(meta.get("updated")),
        review_by=_as_date(meta.get("review_by")),
        owner=str(meta.get("owner") or ""),
        disclaimer=bool(meta.get("disclaimer", False)),
        path=path,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        body_line=body_line,
    )
    return note, problems


def note_files(folder: Path) -> list[Path]:
    """List the note files of a knowledge folder, sorted, skipping README files."""
    return sorted(p for p in folder.rglob("*.md") if p.name.lower() != "readme.md" and p.is_file())


def load_knowledge(folder: Path) -> KnowledgeBase:
    """Load and validate every note under a folder.

    Notes with problems are still reported, never silently dropped; a note
    whose file cannot be parsed at all is left out of `notes` but listed in
    `problems`.

    Args:
        folder: The knowledge folder.

    Returns:
        The knowledge base with its problems and a fingerprint of the files.
    """
    from bot.render import render_note_text

    problems: list[Problem] = []
    notes: dict[str, KnowledgeNote] = {}
    digest = hashlib.sha256()
    if not folder.is_dir():
        return KnowledgeBase({}, [Problem(folder, 0, "knowledge folder not found")], "")
    for path in note_files(folder):
        note, found = parse_note(path)
        problems.extend(found)
        if note is None:
            digest.update(f"{path}:unreadable".encode())
            continue
        digest.update(f"{path.relative_to(folder)}:{note.digest}\n".encode())
        if not note.id:
            continue
        if note.id in notes:
            other = notes[note.id].path
            problems.append(Problem(path, _line_of(path.read_text(encoding="utf-8"), "id"), f"duplicate id {note.id!r} (also in {other})"))
            continue
        notes[note.id] = note
    for note in notes.values():
        text = note.path.read_text(encoding="utf-8")
        for rel in note.related:
            if rel not in notes:
                problems.append(Problem(note.path, _line_of(text, "related"), f"unknown related id {rel!r}"))
        rendered = render_note_text(note)
        if len(rendered) > MAX_REPLY_CHARS:
            problems.append(
                Problem(note.path, note.body_line, f"too long for one chat message once rendered ({len(rendered)} > {MAX_REPLY_CHARS} characters)")
            )
    if not notes and not problems:
        problems.append(Problem(folder, 0, "no notes found"))
    return KnowledgeBase(notes, problems, digest.hexdigest())


def stale_notes(kb: KnowledgeBase, today: dt.date | None = None) -> list[KnowledgeNote]:
    """Return notes whose `review_by` date has passed."""
    today = today or dt.date.today()
    return [n for n in kb.notes.values() if n.review_by and n.review_by < today.isoformat()]
