"""Knowledge notes: parsing Markdown files with YAML front matter, and validating them."""

from __future__ import annotations

import dataclasses
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
_SECTION_QUESTION = re.compile(r"^\?\s+(.*\S)\s*$")
"""A section's own alternate question: a line `? how much does a VA in the Philippines cost` right under its heading."""
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INLINE_MARKUP = re.compile(r"\*\*|__|`")
"""Bold (`**`, `__`) and code (backticks) markup, which the chat renderers escape and so show literally."""
_SELF_CAVEAT = re.compile(
    r"\bnot\s+(?:(?:legal|tax|financial|professional|employment|accounting|investment)\s+(?:or\s+|and\s+)?)+advice\b"
    r"|\bgeneral information(?:\s+only)?,?\s+not\b|\b(?:not a|no) substitute for (?:\w+\s+){0,2}advice\b",
    re.IGNORECASE,
)
"""A caveat a note writes for itself ("general information, not legal advice"); `disclaimer: true` adds the bot's own."""
OWNER_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
"""A note's `owner` names a maintainer role as a slug (`fees-and-legal`, `strategy`), never a person or an address."""
DRAFTS_DIR = "drafts"
"""Note files under a folder of this name are drafts: `kb check` checks them, the bot never serves them."""


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML's safe loader with dates left as text, so they are validated here with their line."""


def _date_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(node.value)


_FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _date_as_text)


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
        path: The file the note came from.
        body_line, id_line, related_line: Where those parts start in the file, for problem reports.
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
    path: Path = Path()
    digest: str = ""
    body_line: int = 1
    id_line: int = 1
    related_line: int = 1


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
    return str(value or "").strip()


def _is_iso_date(text: str) -> bool:
    if not _ISO_DATE.fullmatch(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _type_problems(path: Path, text: str, meta: dict[str, Any]) -> list[Problem]:
    """Problems with the types of `sources`, `updated`, `review_by`, `owner` and `disclaimer`."""
    problems = []
    if not _as_list(meta.get("sources")):
        problems.append(
            Problem(path, _line_of(text, "sources"), "missing sources: name the books or articles the facts come from")
        )
    for key in ("updated", "review_by"):
        value = meta.get(key)
        if value is None or value == "":
            if key == "updated":
                problems.append(Problem(path, _line_of(text, key), "missing updated date (write it like 2026-01-31)"))
            continue
        if not _is_iso_date(_as_date(value)):
            problems.append(
                Problem(path, _line_of(text, key), f"{key} {value!r} is not a date; write it like 2026-01-31")
            )
    owner = meta.get("owner")
    if owner is not None and not (isinstance(owner, str) and OWNER_PATTERN.match(owner)):
        problems.append(
            Problem(
                path,
                _line_of(text, "owner"),
                f"owner {owner!r} must name a maintainer role as a lowercase slug, such as fees-and-legal",
            )
        )
    disclaimer = meta.get("disclaimer")
    if disclaimer is not None and not isinstance(disclaimer, bool):
        problems.append(
            Problem(path, _line_of(text, "disclaimer"), f"disclaimer must be true or false, not {disclaimer!r}")
        )
    return problems


@dataclass
class _Body:
    """A note body split into its parts (see `KnowledgeNote`); `offsets` are 0-based lines in the body."""

    answer: str
    key_points: list[str]
    sections: list[tuple[str, str]]
    items: list[list[str]]
    questions: list[list[str]]
    offsets: list[int]
    misplaced: list[int]
    """Body lines of `? ...` questions that are not right under their heading."""


def _split_body(body: str) -> _Body:
    """Split a body into the first paragraph, the first section's bullets and every section with its questions."""
    intro: list[str] = []
    sections: list[tuple[str, list[str], list[str]]] = []
    offsets: list[int] = []
    misplaced: list[int] = []
    for offset, line in enumerate(body.splitlines()):
        heading = _HEADING.match(line)
        if heading:
            sections.append((heading.group(1).strip(), [], []))
            offsets.append(offset)
            continue
        question = _SECTION_QUESTION.match(line)
        if sections and question and not any(x.strip() for x in sections[-1][1]):
            sections[-1][2].append(question.group(1))
        elif question:
            misplaced.append(offset)
        elif sections:
            sections[-1][1].append(line)
        else:
            intro.append(line)
    paragraphs = [p.strip() for p in "\n".join(intro).split("\n\n") if p.strip()]
    answer = " ".join(paragraphs[0].split()) if paragraphs else ""
    key_points = _bullets(sections[0][1]) if sections else []
    texts = [(h, " ".join("\n".join(lines).split())) for h, lines, _ in sections]
    return _Body(
        answer,
        key_points,
        texts,
        [_bullets(lines) for _, lines, _ in sections],
        [qs for _, _, qs in sections],
        offsets,
        misplaced,
    )


def _bullets(lines: list[str]) -> list[str]:
    """The bullets among a section's lines, continuation lines joined to their bullet."""
    items: list[str] = []
    for line in lines:
        bullet = _BULLET.match(line)
        if bullet:
            items.append(bullet.group(1).strip())
        elif items and line.startswith((" ", "\t")) and line.strip():
            items[-1] += " " + line.strip()
    return items


def _markup_problems(path: Path, body: str, body_line: int) -> list[Problem]:
    """Inline Markdown emphasis or code in the answer paragraph or the key points, one problem per line."""
    problems = []
    headings = 0
    answer_started = answer_done = False
    for offset, line in enumerate(body.splitlines()):
        if _HEADING.match(line):
            headings += 1
            if headings > 1:
                break
            continue
        if headings == 0:
            if not line.strip():
                answer_done = answer_started
                continue
            if answer_done:
                continue
            answer_started = True
        elif not (_BULLET.match(line) or (line.startswith((" ", "\t")) and line.strip())):
            continue
        match = _INLINE_MARKUP.search(line)
        if match:
            bullet = _BULLET.match(line) if headings else None
            where, text = (
                ("key point", bullet.group(1)) if bullet else ("answer" if headings == 0 else "key point", line.strip())
            )
            problems.append(
                Problem(
                    path,
                    body_line + offset,
                    f"inline markup shows literally in chat: {match.group(0)} in the {where} {text[:60]!r}",
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
        meta = yaml.load(front, Loader=_FrontMatterLoader) or {}
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
            Problem(path, _line_of(text, "id"), f"id {note_id!r} must be a lowercase slug (a-z, 0-9, '-', '/')")
        )
    if not title:
        problems.append(Problem(path, _line_of(text, "title"), "missing title"))
    questions = _as_list(meta.get("questions"))
    if len(questions) < MIN_QUESTIONS:
        problems.append(
            Problem(
                path,
                _line_of(text, "questions"),
                f"needs at least {MIN_QUESTIONS} alternate questions, has {len(questions)}",
            )
        )
    problems += _type_problems(path, text, meta)
    parts = _split_body(body)
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
    problems += _markup_problems(path, body, body_line)
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
        tags=_as_list(meta.get("tags")),
        related=_as_list(meta.get("related")),
        sources=_as_list(meta.get("sources")),
        updated=_as_date(meta.get("updated")),
        review_by=_as_date(meta.get("review_by")),
        owner=str(meta.get("owner") or "").strip(),
        disclaimer=meta.get("disclaimer") is True,
        path=path,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        body_line=body_line,
        id_line=_line_of(text, "id"),
        related_line=_line_of(text, "related"),
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
