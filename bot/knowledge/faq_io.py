"""Import and export of knowledge notes as CSV (FAQ spreadsheets) or JSON, and writing note files.

CSV has one row per note with the columns FAQ spreadsheets usually have
(`question`, `answer`, `title`) plus optional ones that make the round trip
exact: `id`, `questions` (more phrasings, one per line), `tags`, `related`,
`sources` (one per line), `updated`, `review_by`, `owner`, `disclaimer` (yes, or the phrases of the
passages that need it, one per line), `path`.
`answer` holds the note's whole Markdown body. JSON is a list of the same
records with lists for the multi-valued fields.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from bot.knowledge.notes import DRAFTS_DIR, KnowledgeBase, KnowledgeNote, load_knowledge, parse_note

log = logging.getLogger(__name__)

FORMATS = ("csv", "json")
CSV_COLUMNS = [
    "question",
    "answer",
    "title",
    "id",
    "questions",
    "tags",
    "related",
    "sources",
    "updated",
    "review_by",
    "owner",
    "disclaimer",
    "path",
]
LIST_FIELDS = ("tags", "related", "sources")
TODAY = dt.date.today
JSON_KIND = "outsourcebot-notes"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ImportError_(ValueError):
    """The import file cannot be read; the message says why."""


@dataclass
class ImportResult:
    """What an import did.

    Attributes:
        written: Paths of the notes written (new or, with force, replaced).
        skipped: "id: reason" for records not written.
        rejected: "row N: reason" for rows with no question or no answer (never written).
        problems: Validation problems of the written notes (`kb check` will report them too).
        drafted: Notes written to `drafts/` because they are not ready to serve yet.
        unchanged: Ids of notes the file repeats exactly; they are left alone, with or without force.
    """

    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    drafted: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split a note file into its front matter mapping and its Markdown body.

    Raises:
        ValueError: When the file has no readable front matter.
    """
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    end = text.find("\n---", 4)
    if not text.startswith("---\n") or end == -1:
        raise ValueError("missing YAML front matter")
    meta = yaml.safe_load(text[4 : end + 1]) or {}
    if not isinstance(meta, dict):
        raise ValueError("front matter is not a mapping")
    rest = text[end + 4 :]
    return meta, rest.split("\n", 1)[1] if "\n" in rest else ""


def _yaml_value(value: Any) -> str:
    """One YAML value on one line, quoted only when YAML needs it."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**6).strip()
    return text[: -len("...")].rstrip() if text.endswith("\n...") else text


def note_markdown(record: dict[str, Any]) -> str:
    """The text of a note file from a record (id, title, questions, answer = body, optional fields).

    The front matter follows the layout of the hand-written notes: phrasings and
    sources one per line, tags and related ids inline, dates unquoted.
    """
    lines = [f"id: {_yaml_value(record['id'])}", f"title: {_yaml_value(record['title'])}", "questions:"]
    lines += [f"  - {_yaml_value(q)}" for q in record.get("questions") or []]
    for key in ("tags", "related"):
        if record.get(key):
            lines.append(f"{key}: {_yaml_value(list(record[key]))}")
    if record.get("sources"):
        lines += ["sources:"] + [f"  - {_yaml_value(s)}" for s in record["sources"]]
    for key in ("updated", "review_by"):
        value = str(record.get(key) or "")
        if value:
            lines.append(f"{key}: {value if _DATE.fullmatch(value) else _yaml_value(value)}")
    if record.get("owner"):
        lines.append(f"owner: {_yaml_value(str(record['owner']))}")
    disclaimer = record.get("disclaimer")
    if isinstance(disclaimer, list) and disclaimer:
        lines.append(f"disclaimer: {_yaml_value(list(disclaimer))}")
    elif disclaimer:
        lines.append("disclaimer: true")
    body = str(record.get("answer") or "").replace("\r\n", "\n").rstrip().lstrip("\n") + "\n"
    return "---\n" + "\n".join(lines) + "\n---\n" + body


def slugify(text: str, words: int = 6) -> str:
    """A note id from free text: lowercase words joined by '-'."""
    parts = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(parts[:words]) or "note"


# ----- export ---------------------------------------------------------------------------------------


def note_records(kb: KnowledgeBase, folder: Path) -> list[dict[str, Any]]:
    """Every note as an export record, in id order."""
    return [_note_record(note, folder) for note in sorted(kb.notes.values(), key=lambda n: n.id)]


def _note_record(note: KnowledgeNote, folder: Path) -> dict[str, Any]:
    """One note as an export record."""
    _, body = split_front_matter(note.path.read_text(encoding="utf-8"))
    return {
        "id": note.id,
        "title": note.title,
        "questions": list(note.questions),
        "answer": body.strip("\n"),
        "tags": list(note.tags),
        "related": list(note.related),
        "sources": list(note.sources),
        "updated": note.updated,
        "review_by": note.review_by,
        "owner": note.owner,
        "disclaimer": True if note.disclaimer else list(note.disclaimer_on) or False,
        "path": note.path.relative_to(folder).as_posix(),
    }


def _unchanged(record: dict[str, Any], note: KnowledgeNote, folder: Path) -> bool:
    """Whether an import record says exactly what an existing note says (its path and layout aside)."""

    def comparable(value: Any) -> Any:
        return value if isinstance(value, bool | list) else str(value or "")

    current = _note_record(note, folder)
    return all(comparable(record.get(k)) == comparable(v) for k, v in current.items() if k != "path")


def export_notes(folder: Path, fmt: str) -> str:
    """Export the notes of a knowledge folder as CSV or JSON text.

    Args:
        folder: The knowledge folder.
        fmt: "csv" or "json".

    Returns:
        The exported text.
    """
    records = note_records(load_knowledge(folder), folder)
    if fmt == "json":
        return json.dumps({"kind": JSON_KIND, "version": 1, "notes": records}, ensure_ascii=False, indent=1) + "\n"
    if fmt != "csv":
        raise ValueError(f"unknown format {fmt!r}; use csv or json")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in records:
        row = dict(r, question=r["questions"][0] if r["questions"] else "", questions="\n".join(r["questions"][1:]))
        row.update({k: "\n".join(r[k]) for k in LIST_FIELDS})
        disclaimer = r["disclaimer"]
        row["disclaimer"] = "\n".join(disclaimer) if isinstance(disclaimer, list) else "yes" if disclaimer else ""
        writer.writerow({k: _safe_cell(v) for k, v in row.items()})
    return out.getvalue()


def _safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run as a formula: a leading = + - @ tab or CR gets a `'` before it.

    Titles and phrasings can come from users' questions (`kb draft`); import strips the `'` again.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _unsafe_cell(value: Any) -> Any:
    """Undo `_safe_cell` on a cell read from CSV."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


# ----- import ---------------------------------------------------------------------------------------


def _lines(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "yes", "y", "x")


_FALSY = ("", "0", "false", "no", "n")


def _disclaimer(value: Any) -> bool | list[str]:
    """An imported `disclaimer`: yes/no, or the phrases of the passages that need it (a list, or one per line)."""
    if isinstance(value, list):
        return _lines(value) or False
    if isinstance(value, bool) or _truthy(value) or str(value or "").strip().lower() in _FALSY:
        return _truthy(value)
    return _lines(value)


def read_records(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Read import records from a CSV or JSON file (chosen by its ending), normalised.

    Returns:
        The records, and "row N: reason" for each row rejected for having no
        question or no answer (N counts the CSV header as row 1, as spreadsheets do).

    Raises:
        ImportError_: When the file is unreadable or lacks the question and answer columns.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportError_(f"cannot read {path}: {exc}") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ImportError_(f"{path} is not valid JSON: {exc}") from None
        raw = data.get("notes") if isinstance(data, dict) else data
        if not isinstance(raw, list):
            raise ImportError_(f"{path}: expected a list of notes (as `kb export --format json` writes)")
    else:
        reader = csv.DictReader(io.StringIO(text))
        columns = {(c or "").strip().lower() for c in reader.fieldnames or []}
        if "answer" not in columns or not columns & {"question", "questions"}:
            raise ImportError_(f"{path}: the CSV needs 'question' and 'answer' columns (and usually 'title')")
        raw = [{(k or "").strip().lower(): _unsafe_cell(v) for k, v in row.items()} for row in reader]
    records = []
    rejected = []
    is_json = path.suffix.lower() == ".json"
    for n, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise ImportError_(f"{path}: record {n} is not an object")
        questions = list(dict.fromkeys(_lines(item.get("question")) + _lines(item.get("questions"))))
        title = str(item.get("title") or "").strip() or (questions[0] if questions else "")
        answer = str(item.get("answer") or "").strip("\n")
        missing = [what for what, value in (("question", questions), ("answer", answer.strip())) if not value]
        if missing:
            where = f"record {n}" if is_json else f"row {n + 1}"
            rejected.append(f"{where}: no {' and no '.join(missing)}" + (f" ({title})" if title else ""))
            continue
        record = {
            "id": str(item.get("id") or "").strip() or slugify(title),
            "title": title,
            "questions": questions,
            "answer": answer,
            "updated": str(item.get("updated") or "").strip(),
            "review_by": str(item.get("review_by") or "").strip(),
            "owner": str(item.get("owner") or "").strip(),
            "disclaimer": _disclaimer(item.get("disclaimer")),
            "path": str(item.get("path") or "").strip(),
        }
        record.update({k: _lines(item.get(k)) for k in LIST_FIELDS})
        if not record["updated"]:
            # A plain spreadsheet row has no dates: it counts as reviewed today and is due again in a year.
            record["updated"] = TODAY().isoformat()
            record["review_by"] = record["review_by"] or (TODAY() + dt.timedelta(days=365)).isoformat()
        records.append(record)
    return records, rejected


def _target(folder: Path, record: dict[str, Any]) -> Path:
    """Where a record's note goes: its `path` inside the folder, else a file named after its id.

    Raises:
        ValueError: When `path` is not a note file of the folder (absolute, outside it, not
            `.md`, a README), or the id cannot name a file.
    """
    if not record["path"]:
        name = f"{record['id'].replace('/', '-')}.md"
        if any(ord(ch) < 32 for ch in name) or name.startswith("."):
            raise ValueError("its id cannot name a file; give it an id like `hiring-a-va`")
        return folder / name
    relative = PurePosixPath(record["path"].replace("\\", "/"))
    if (
        relative.is_absolute()
        or ".." in relative.parts
        or relative.suffix != ".md"
        or relative.name.lower() == "readme.md"
        or any(ord(ch) < 32 for ch in record["path"])
    ):
        raise ValueError(
            f"path {record['path']!r} is not a note file of the knowledge folder "
            "(a relative path ending in .md, not a README)"
        )
    return folder.joinpath(*relative.parts)


def import_notes(path: Path, folder: Path, force: bool = False) -> ImportResult:
    """Write the notes of a CSV or JSON file into a knowledge folder.

    Every record is checked before any file is written. An existing note (same id)
    or file is never replaced unless `force` is given; a replaced note keeps its
    file; a file holding a different note is never replaced, even with `force`.

    Args:
        path: The file to import.
        folder: The knowledge folder.
        force: Replace existing notes with the imported ones.

    Returns:
        What was written and skipped, and the problems `kb check` will raise.
    """
    records, rejected = read_records(path)
    folder.mkdir(parents=True, exist_ok=True)
    existing = load_knowledge(folder).notes
    holder = {note.path.resolve(): note.id for note in existing.values()}
    result = ImportResult(rejected=rejected)
    seen: set[str] = set()
    claimed: dict[Path, str] = {}
    planned: list[tuple[Path, str, list[str], bool]] = []
    for record in records:
        note_id = record["id"]
        if note_id in seen:
            result.skipped.append(f"{note_id}: appears twice in {path.name}")
            continue
        seen.add(note_id)
        if note_id in existing and _unchanged(record, existing[note_id], folder):
            result.unchanged.append(note_id)  # never rewritten, so an unchanged file keeps its layout
            continue
        try:
            target = existing[note_id].path if note_id in existing else _target(folder, record)
            other = holder.get(target.resolve())
            if other is not None and other != note_id:
                raise ValueError(f"{target} holds another note ({other}); give this one another path")
            if (note_id in existing or target.exists()) and not force:
                raise ValueError(f"already exists ({target}); pass --force to replace it")
            text = note_markdown(record)
            _, problems = parse_note(target, text)
            drafted = False
            if problems and DRAFTS_DIR not in target.relative_to(folder).parts:
                # Not ready to serve (a spreadsheet row has one phrasing and no sources): it goes to
                # drafts/, which kb check lists but the bot never serves, so reloads are not blocked.
                target = folder / DRAFTS_DIR / target.name
                if target.exists() and not force:
                    raise ValueError(f"a draft already exists ({target}); pass --force to replace it")
                _, problems = parse_note(target, text)
                drafted = True
            if target.resolve() in claimed:
                raise ValueError(f"{target} is also the file of {claimed[target.resolve()]} in {path.name}")
        except (ValueError, OSError) as exc:  # OSError: a name the file system refuses
            result.skipped.append(f"{note_id if note_id.isprintable() else repr(note_id)}: {exc}")
            continue
        claimed[target.resolve()] = note_id
        planned.append((target, text, [str(p) for p in problems], drafted))
    for target, text, messages, drafted in planned:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except OSError as exc:  # a full disk: say what was written before it, and what was not
            result.skipped.append(f"{claimed[target.resolve()]}: could not write {target}: {exc}")
            continue
        result.written.append(target)
        if drafted:
            result.drafted.append(target)
        result.problems.extend(messages)
    return result
