"""Parsing and validating knowledge notes: every problem as `path:line: message`, never dropped."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from adapters.cli import main
from bot.config import REPO_DIR
from bot.notes import MAX_REPLY_CHARS, Problem, load_knowledge, note_files, parse_note, stale_notes
from tests.conftest import write_note

GOOD = """---
id: good-note
title: A good note
questions:
  - first question
  - second question
  - third question
tags: [a]
related: []
sources: ["A book"]
updated: 2026-01-02
---
The direct answer comes first.

More detail in a second paragraph.

## Key points

- Point one
  continues here.
- Point two.

## Steps

Do this, then that.
"""


def problems_of(tmp_path: Path, text: str | bytes, name: str = "note.md") -> list[Problem]:
    """Write one file into a fresh folder and return the problems `load_knowledge` reports."""
    folder = tmp_path / "kb"
    folder.mkdir(exist_ok=True)
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return load_knowledge(folder).problems


def test_good_note_parses_all_fields(tmp_path: Path) -> None:
    note, problems = parse_note(tmp_path / "n.md", GOOD)
    assert problems == []
    assert note is not None
    assert note.id == "good-note"
    assert note.title == "A good note"
    assert note.questions == ["first question", "second question", "third question"]
    assert note.answer == "The direct answer comes first."
    assert note.key_points == ["Point one continues here.", "Point two."]
    assert [h for h, _ in note.sections] == ["Key points", "Steps"]
    assert note.sections[1] == ("Steps", "Do this, then that.")
    assert note.updated == "2026-01-02"
    assert note.sources == ["A book"]
    assert note.body_line == 13


def test_crlf_and_bom_are_accepted(tmp_path: Path) -> None:
    note, problems = parse_note(tmp_path / "n.md", "\ufeff" + GOOD.replace("\n", "\r\n"))
    assert problems == []
    assert note is not None and note.id == "good-note"


def test_problem_prints_as_path_line_message(tmp_path: Path) -> None:
    assert str(Problem(tmp_path / "a.md", 7, "boom")) == f"{tmp_path / 'a.md'}:7: boom"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (GOOD.replace("id: good-note\n", ""), 2, "missing id"),
        (GOOD.replace("id: good-note", "id: Bad Id"), 2, "lowercase slug"),
        (GOOD.replace("title: A good note\n", ""), 1, "missing title"),
        (GOOD.replace("  - third question\n", ""), 4, "at least 3 alternate questions, has 2"),
        (GOOD.replace("related: []", "related: [nowhere]"), 9, "unknown related id 'nowhere'"),
        (GOOD.replace("The direct answer comes first.\n\nMore detail in a second paragraph.\n", ""), 13, "empty answer"),
        (GOOD.replace("Do this, then that.", "TODO write the steps"), 25, "TODO"),
        (GOOD.replace("tags: [a]", "tags: a: b: c"), 8, "bad YAML"),
        (GOOD.replace("tags: [a]", "tags: [a\n\tb]"), 9, "bad YAML"),
        (GOOD.replace("---\n", "", 1), 1, "missing YAML front matter"),
        ("---\nid: x\ntitle: y\nquestions: [a, b, c]\n\nBody without a closing line.\n", 1, "not closed"),
        ("---\n- just\n- a list\n---\nbody\n", 2, "mapping"),
    ],
    ids=["missing-id", "bad-id", "missing-title", "few-questions", "unknown-related", "empty-answer", "todo",
         "bad-yaml", "bad-yaml-tab", "no-front-matter", "unclosed-front-matter", "not-a-mapping"],
)
def test_each_problem_is_reported_with_its_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    problems = problems_of(tmp_path, text)
    matching = [p for p in problems if fragment in p.message]
    assert matching, problems
    assert matching[0].line == line, matching
    assert matching[0].path == tmp_path / "kb" / "note.md"
    assert str(matching[0]).startswith(f"{tmp_path / 'kb' / 'note.md'}:{line}: ")


def test_duplicate_id_is_reported_in_the_second_file(tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "a.md").write_text(GOOD, encoding="utf-8")
    (folder / "b.md").write_text("---\n# a comment first\n" + GOOD[4:], encoding="utf-8")
    kb = load_knowledge(folder)
    [problem] = kb.problems
    assert problem.path == folder / "b.md"
    assert problem.line == 3
    assert "duplicate id 'good-note'" in problem.message and str(folder / "a.md") in problem.message
    assert kb.notes["good-note"].path == folder / "a.md"


def test_too_long_once_rendered(tmp_path: Path) -> None:
    long_points = "".join(f"- {'word ' * 60}number {i}\n" for i in range(20))
    text = GOOD.replace("- Point one\n  continues here.\n- Point two.\n", long_points)
    [problem] = problems_of(tmp_path, text)
    assert problem.line == 13
    assert "too long for one chat message" in problem.message
    assert f"> {MAX_REPLY_CHARS}" in problem.message


def test_non_utf8_file_is_reported_not_dropped(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, GOOD.encode("utf-8").replace(b"A good note", b"A g\xf6\xf6d note"))
    [problem] = problems
    assert problem.line == 1
    assert "cannot read file" in problem.message


def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    note, problems = parse_note(tmp_path / "vanished.md")
    assert note is None
    [problem] = problems
    assert (problem.path, problem.line) == (tmp_path / "vanished.md", 1)
    assert "cannot read file" in problem.message


def test_broken_file_is_never_silently_dropped(tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    write_note(folder, "fine", "Fine", ["a", "b", "c"], "A fine answer.")
    (folder / "sub").mkdir()
    (folder / "sub" / "broken.md").write_text("---\nid: broken\ntitle: x: y: z\n---\nBody.\n", encoding="utf-8")
    kb = load_knowledge(folder)
    assert set(kb.notes) == {"fine"}
    assert [p.path for p in kb.problems] == [folder / "sub" / "broken.md"]
    assert not kb.ok


def test_broken_file_changes_the_fingerprint(tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    write_note(folder, "fine", "Fine", ["a", "b", "c"], "A fine answer.")
    before = load_knowledge(folder).fingerprint
    (folder / "broken.md").write_text("no front matter", encoding="utf-8")
    assert load_knowledge(folder).fingerprint != before


def test_readme_is_not_a_note_and_empty_folder_is_a_problem(tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "README.md").write_text("# About these notes\n", encoding="utf-8")
    kb = load_knowledge(folder)
    assert kb.notes == {}
    assert [p.message for p in kb.problems] == ["no notes found"]
    assert "not found" in load_knowledge(tmp_path / "missing").problems[0].message


def test_core_start_logs_broken_notes(tmp_path: Path, tiny_knowledge: Path, caplog: pytest.LogCaptureFixture) -> None:
    from bot.core import Core
    from bot.store import Store
    from tests.conftest import make_settings
    from tests.fakes import HashingEmbedder

    (tiny_knowledge / "broken.md").write_text("---\nid: a: b\n---\nBody\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        core = Core.start(make_settings(tiny_knowledge, tmp_path / "d"), embedder=HashingEmbedder(), store=Store(None, "s"))
    assert set(core.kb.notes) == {"pricing", "contracts", "chasm"}
    assert any("broken.md:2: bad YAML" in r.getMessage() for r in caplog.records)


def test_stale_notes(tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "n.md").write_text(GOOD.replace("updated: 2026-01-02", "updated: 2026-01-02\nreview_by: 2026-06-01"), encoding="utf-8")
    kb = load_knowledge(folder)
    assert [n.id for n in stale_notes(kb, dt.date(2026, 6, 2))] == ["good-note"]
    assert stale_notes(kb, dt.date(2026, 5, 31)) == []


def _kb_check(monkeypatch: pytest.MonkeyPatch, knowledge: Path, tmp_path: Path) -> int:
    monkeypatch.setenv("OUTSOURCEBOT_KNOWLEDGE_DIR", str(knowledge))
    monkeypatch.setenv("OUTSOURCEBOT_DATA_DIR", str(tmp_path / "data"))
    return main(["kb", "check"])


def test_kb_check_prints_problems_and_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_knowledge: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tiny_knowledge / "pricing.md").write_text(
        (tiny_knowledge / "pricing.md").read_text().replace("related: [contracts]", "related: [nope]"), encoding="utf-8"
    )
    (tiny_knowledge / "empty.md").write_text("", encoding="utf-8")
    assert _kb_check(monkeypatch, tiny_knowledge, tmp_path) == 1
    out, err = capsys.readouterr()
    assert f"{tiny_knowledge / 'pricing.md'}:9: unknown related id 'nope'" in out
    assert f"{tiny_knowledge / 'empty.md'}:1: missing YAML front matter" in out
    assert "2 problem(s)" in err


def test_kb_check_passes_on_the_real_knowledge(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _kb_check(monkeypatch, REPO_DIR / "knowledge", tmp_path) == 0
    assert "notes OK" in capsys.readouterr().out
