"""Knowledge notes: parsing Markdown files with YAML front matter, and validating them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.body import markup_problems, split_body
from bot.knowledge.front_matter import FrontMatterLoader, as_date, as_list, as_phrases, is_iso_date, line_of

log = logging.getLogger(__name__)

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:-[a-z0-9]+)*)*$")
MIN_QUESTIONS = 3
MAX_REPLY_CHARS = 4096  # Telegram's message limit, the tightest of our platforms
_SELF_CAVEAT = re.compile(
    r"\bnot\s+(?:(?:legal|tax|financial|professional|employment|accounting|investment)\s+(?:or\s+|and\s+)?)+advice\b"
    r"|\bgeneral information(?:\s+only)?,?\s+not\b|\b(?:not a|no) substitute for (?:\w+\s+){0,2}advice\b",
    re.IGNORECASE,
)
"""A caveat a note writes for itself ("general information, not legal advice"); `disclaimer` adds the bot's own."""
OWNER_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
"""A note's `owner` names a maintainer role as a slug (`fees-and-legal`, `strategy`), never a person or an address."""
DRAFTS_DIR = "drafts"
"""Note files under a folder of this name are drafts: `kb check` checks them, the bot never serves them."""


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
        section_items: The bullets of each section, in the order of `sections` (empty for prose).
        section_questions: Each section's own alternate questions (the `? ...` lines right under
            its heading), in the order of `sections`; searching finds that section by them.
        section_lines: The file line of each section's heading, for problem reports.
        disclaimer: `disclaimer: true`: every reply from the note carries the legal-and-tax disclaimer.
        disclaimer_on: `disclaimer: [phrases]`: only a reply showing a passage that names one does.
        path: The file the note came from.
        body_line, id_line, related_line, disclaimer_line: Where those parts are in the file, for problem reports.
    """

    id: str
    title: str
    questions: list[str]
    answer: str
    key_points: list[str] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)
    section_items: list[list[str]] = field(default_factory=list)
    section_questions: list[list[str]] = field(default_factory=list)
    section_lines: list[int] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    updated: str = ""
    review_by: str = ""
    owner: str = ""
    disclaimer: bool = False
    disclaimer_on: list[str] = field(default_factory=list)
    path: Path = Path()
    digest: str = ""
    body_line: int = 1
    id_line: int = 1
    related_line: int = 1
    disclaimer_line: int = 1

    def needs_disclaimer(self, shown: Iterable[str]) -> bool:
        """Whether a reply showing these passages (their text, or a section's heading) carries the disclaimer.

        `disclaimer: true` puts it under every reply of the note; a list of phrases
        (`disclaimer: [advertising rules]`) only under a reply that shows a passage naming one.
        """
        if self.disclaimer:
            return True
        if not self.disclaimer_on:
            return False
        texts = [t.casefold() for t in shown]
        return any(phrase.casefold() in text for phrase in self.disclaimer_on for text in texts)


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

    def servable(self) -> KnowledgeBase:
        """The notes fit to serve: those whose file has no problem.

        The problems stay listed; related ids that point at a left-out note are
        dropped from the notes kept, so nothing links to a note not in service.

        Returns:
            This knowledge base when every note is fine, else a reduced copy
            with its own fingerprint (so an index of the reduced set is told apart).
        """
        bad = {p.path for p in self.problems}
        keep = {i: n for i, n in self.notes.items() if n.path not in bad}
        if len(keep) == len(self.notes):
            return self
        for note_id, note in keep.items():
            if any(r not in keep for r in note.related):
                keep[note_id] = dataclasses.replace(note, related=[r for r in note.related if r in keep])
        fingerprint = hashlib.sha256(f"{self.fingerprint}\nserved:{','.join(sorted(keep))}".encode()).hexdigest()
        return KnowledgeBase(keep, list(self.problems), fingerprint)


def _type_problems(path: Path, text: str, meta: dict[str, Any]) -> list[Problem]:
    """Problems with the types of `sources`, `updated`, `review_by`, `owner` and `disclaimer`."""
    problems = []
    if not as_list(meta.get("sources")):
        problems.append(
            Problem(path, line_of(text, "sources"), "missing sources: name the books or articles the facts come from")
        )
    for key in ("updated", "review_by"):
        value = meta.get(key)
        if value is None or value == "":
            if key == "updated":
                problems.append(Problem(path, line_of(text, key), "missing updated date (write it like 2026-01-31)"))
            continue
        if not is_iso_date(as_date(value)):
            problems.append(
                Problem(path, line_of(text, key), f"{key} {value!r} is not a date; write it like 2026-01-31")
            )
    owner = meta.get("owner")
    if owner is not None and not (isinstance(owner, str) and OWNER_PATTERN.match(owner)):
        problems.append(
            Problem(
                path,
                line_of(text, "owner"),
                f"owner {owner!r} must name a maintainer role as a lowercase slug, such as fees-and-legal",
            )
        )
    disclaimer = meta.get("disclaimer")
    if disclaimer is not None and not isinstance(disclaimer, bool) and not as_phrases(disclaimer):
        problems.append(
            Problem(
                path,
                line_of(text, "disclaimer"),
                f"disclaimer must be true, false or a list of phrases its passages name, not {disclaimer!r}",
            )
        )
    return problems


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
        meta = yaml.load(front, Loader=FrontMatterLoader) or {}
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
        problems.append(
            Problem(path, line_of(text, "id"), f"id {note_id!r} must be a lowercase slug (a-z, 0-9, '-', '/')")
        )
    if not title:
        problems.append(Problem(path, line_of(text, "title"), "missing title"))
    questions = as_list(meta.get("questions"))
    if len(questions) < MIN_QUESTIONS:
        problems.append(
            Problem(
                path,
                line_of(text, "questions"),
                f"needs at least {MIN_QUESTIONS} alternate questions, has {len(questions)}",
            )
        )
    problems += _type_problems(path, text, meta)
    parts = split_body(body)
    answer = parts.answer
    problems += [
        Problem(
            path,
            body_line + offset,
            "a section question ('? ...') must come right under its section's heading, before the section's text",
        )
        for offset in parts.misplaced
    ]
    if parts.key_points and parts.questions and parts.questions[0]:
        problems.append(
            Problem(
                path,
                body_line + parts.offsets[0],
                "the key points take no '? ...' questions (each point is searched on its own): "
                "put them in the front matter's questions, or under a section of their own",
            )
        )
    if not answer:
        problems.append(Problem(path, body_line, "empty answer: the body needs a first paragraph"))
    problems += [Problem(path, body_line + offset, message) for offset, message in markup_problems(body)]
    caveat = _SELF_CAVEAT.search(body)
    if caveat:
        start = body.rfind("\n", 0, caveat.start()) + 1
        line_text = body[start:].split("\n", 1)[0].strip()
        problems.append(
            Problem(
                path,
                body_line + body.count("\n", 0, caveat.start()),
                f"the note writes its own caveat {line_text[:60]!r}: remove it and set disclaimer: true, "
                "which adds the bot's one-line notice",
            )
        )
    todo = re.search(r"\bTODO\b", body)
    if todo:
        problems.append(Problem(path, body_line + body.count("\n", 0, todo.start()), "note still marked TODO"))
    note = KnowledgeNote(
        id=note_id,
        title=title,
        questions=questions,
        answer=answer,
        key_points=parts.key_points,
        sections=parts.sections,
        section_items=parts.items,
        section_questions=parts.questions,
        section_lines=[body_line + offset for offset in parts.offsets],
        tags=as_list(meta.get("tags")),
        related=as_list(meta.get("related")),
        sources=as_list(meta.get("sources")),
        updated=as_date(meta.get("updated")),
        review_by=as_date(meta.get("review_by")),
        owner=str(meta.get("owner") or "").strip(),
        disclaimer=meta.get("disclaimer") is True,
        disclaimer_on=as_phrases(meta.get("disclaimer")),
        path=path,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        body_line=body_line,
        id_line=line_of(text, "id"),
        related_line=line_of(text, "related"),
        disclaimer_line=line_of(text, "disclaimer"),
    )
    return note, problems


def _is_draft(path: Path, folder: Path) -> bool:
    return DRAFTS_DIR in path.relative_to(folder).parts[:-1]


def _markdown_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.md") if p.name.lower() != "readme.md" and p.is_file())


def note_files(folder: Path) -> list[Path]:
    """List the note files of a knowledge folder, sorted, skipping README files and drafts."""
    return [p for p in _markdown_files(folder) if not _is_draft(p, folder)]


def draft_files(folder: Path) -> list[Path]:
    """List the note files under `drafts/` folders of a knowledge folder, sorted."""
    return [p for p in _markdown_files(folder) if _is_draft(p, folder)] if folder.is_dir() else []


def _load_files(folder: Path, paths: list[Path], outside: dict[str, KnowledgeNote]) -> KnowledgeBase:
    """Parse and validate `paths`; ids in `outside` count as taken and as valid related ids."""
    from bot.knowledge.preview import render_note_text

    problems: list[Problem] = []
    notes: dict[str, KnowledgeNote] = {}
    digest = hashlib.sha256()
    for path in paths:
        note, found = parse_note(path)
        problems.extend(found)
        if note is None:
            digest.update(f"{path}:unreadable".encode())
            continue
        digest.update(f"{path.relative_to(folder)}:{note.digest}\n".encode())
        if not note.id:
            continue
        if note.id in notes or note.id in outside:
            other = (notes.get(note.id) or outside[note.id]).path
            problems.append(Problem(path, note.id_line, f"duplicate id {note.id!r} (also in {other})"))
            continue
        notes[note.id] = note
    for note in notes.values():
        for rel in note.related:
            if rel not in notes and rel not in outside:
                problems.append(Problem(note.path, note.related_line, f"unknown related id {rel!r}"))
        rendered = render_note_text(note)
        if len(rendered) > MAX_REPLY_CHARS:
            problems.append(
                Problem(
                    note.path,
                    note.body_line,
                    f"too long for one chat message once rendered ({len(rendered)} > {MAX_REPLY_CHARS} characters)",
                )
            )
    return KnowledgeBase(notes, problems, digest.hexdigest())


def load_knowledge(folder: Path) -> KnowledgeBase:
    """Load and validate every note under a folder (drafts excepted).

    Notes with problems are still reported, never silently dropped; a note
    whose file cannot be parsed at all is left out of `notes` but listed in
    `problems`. What the bot may serve is `load_knowledge(folder).servable()`.

    Args:
        folder: The knowledge folder.

    Returns:
        The knowledge base with its problems and a fingerprint of the files.
    """
    if not folder.is_dir():
        return KnowledgeBase({}, [Problem(folder, 0, "knowledge folder not found")], "")
    kb = _load_files(folder, note_files(folder), {})
    if not kb.notes and not kb.problems:
        kb.problems.append(Problem(folder, 0, "no notes found"))
    return kb


def load_drafts(folder: Path, live: KnowledgeBase) -> KnowledgeBase:
    """Load and validate the drafts under `drafts/` folders, which the bot never serves.

    Args:
        folder: The knowledge folder.
        live: The knowledge in the folder outside drafts (its ids are taken, and valid as related ids).

    Returns:
        The drafts and their problems.
    """
    return _load_files(folder, draft_files(folder), live.notes)


def stale_notes(kb: KnowledgeBase, today: dt.date | None = None) -> list[KnowledgeNote]:
    """Return notes whose `review_by` date has passed."""
    today = today or dt.date.today()
    return [n for n in kb.notes.values() if n.review_by and n.review_by < today.isoformat()]
