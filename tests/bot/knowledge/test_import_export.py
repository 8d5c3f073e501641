"""Import and export of notes (CSV and JSON) round-trip, and never overwrite without force."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from adapters.cli import main
from bot.knowledge.faq_io import ImportError_, export_notes, import_notes
from bot.knowledge.notes import KnowledgeNote, load_knowledge, parse_note
from bot.maintainers.report import ReportData, UnansweredGroup, save_latest
from tests.conftest import write_note


def _fields(note: KnowledgeNote) -> tuple[object, ...]:
    return (
        note.id,
        note.title,
        note.questions,
        note.answer,
        note.key_points,
        note.sections,
        note.tags,
        note.related,
        note.sources,
        note.updated,
        note.review_by,
        note.owner,
        note.disclaimer,
        note.disclaimer_on,
    )


@pytest.fixture
def rich_knowledge(tiny_knowledge: Path) -> Path:
    """The tiny folder plus a note in a subfolder with review_by, owner, commas, quotes and unicode."""
    sub = tiny_knowledge / "legal"
    sub.mkdir()
    (sub / "tax.md").write_text(
        """---
id: legal/tax-basics
title: "Tax basics: VAT, GST & \\"sales tax\\""
questions:
  - do I charge VAT to a freelancer, or do they?
  - GST for contractors
  - sales tax — who pays
tags: [tax, legal]
related: [contracts]
sources:
  - "HMRC, VAT guide (gov.uk), 2026"
updated: 2026-11-27
review_by: 2026-12-31
owner: ana
disclaimer: true
---
Who charges VAT depends on where each of you is registered.

## Key points

- A registered supplier charges VAT; a reverse charge may apply across borders.
- Keep invoices for six years.

## Good to know

Rules differ by country, "so" check.
""",
        encoding="utf-8",
    )
    (sub / "ads.md").write_text(
        """---
id: legal/ads
title: Ads
questions: [who runs my ads, an ads freelancer, paid ads help]
sources: ["A book"]
updated: 2026-11-27
disclaimer: [advertising rules, Fake reviews]
---
Hire one specialist per ad channel.

## Key points

- Keep the ad account in your name.
- Follow the advertising rules of your country.

## Fake reviews

Never buy them.
""",
        encoding="utf-8",
    )
    return tiny_knowledge


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_then_import_round_trips_every_note(rich_knowledge: Path, tmp_path: Path, fmt: str) -> None:
    original = load_knowledge(rich_knowledge)
    assert original.ok
    exported = tmp_path / f"notes.{fmt}"
    exported.write_text(export_notes(rich_knowledge, fmt), encoding="utf-8")
    target = tmp_path / "imported"
    result = import_notes(exported, target)
    assert result.skipped == [] and result.problems == []
    assert len(result.written) == len(original.notes)
    copy = load_knowledge(target)
    assert copy.ok, copy.problems
    assert {i: _fields(n) for i, n in copy.notes.items()} == {i: _fields(n) for i, n in original.notes.items()}
    assert (target / "legal" / "tax.md").is_file()
    # And again: an export of the copy is the same text.
    assert export_notes(target, fmt) == export_notes(rich_knowledge, fmt)


def test_csv_export_has_the_faq_spreadsheet_columns(tiny_knowledge: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(export_notes(tiny_knowledge, "csv"))))
    assert len(rows) == 3
    pricing = next(r for r in rows if r["id"] == "pricing")
    assert pricing["question"] == "how much does a freelancer cost"
    assert pricing["title"] == "Pricing and costs"
    assert pricing["answer"].startswith("Freelancers charge hourly")


def test_import_a_plain_faq_spreadsheet(tmp_path: Path) -> None:
    faq = tmp_path / "faq.csv"
    faq.write_text(
        "\ufeffQuestion,Answer,Title\n"
        '"Do you sign NDAs?","Yes, we sign mutual NDAs before any project starts.",NDAs\n'
        '"How fast do you reply?","Within one working day.",\n',
        encoding="utf-8",
    )
    target = tmp_path / "knowledge"
    result = import_notes(faq, target)
    assert [p.name for p in result.written] == ["ndas.md", "how-fast-do-you-reply.md"]
    # One phrasing and no sources are too little for kb check: the notes go to drafts/, which the
    # bot never serves, so they cannot block reloads; the import says what to finish.
    assert result.drafted == result.written and all(p.parent == target / "drafts" for p in result.written)
    assert any("alternate questions" in p for p in result.problems)
    assert load_knowledge(target).notes == {}
    ndas, _ = parse_note(result.written[0])
    assert ndas is not None and ndas.answer == "Yes, we sign mutual NDAs before any project starts."
    assert ndas.updated and ndas.review_by > ndas.updated
    reply, _ = parse_note(result.written[1])
    assert reply is not None and reply.title == "How fast do you reply?"


def test_import_never_overwrites_without_force(tiny_knowledge: Path, tmp_path: Path) -> None:
    exported = tmp_path / "notes.json"
    data = json.loads(export_notes(tiny_knowledge, "json"))
    for note in data["notes"]:
        note["answer"] = note["answer"].replace("Freelancers charge", "Freelancers bill")
    exported.write_text(json.dumps(data), encoding="utf-8")
    before = (tiny_knowledge / "pricing.md").read_text(encoding="utf-8")

    result = import_notes(exported, tiny_knowledge)
    assert result.written == [] and len(result.skipped) == 1
    assert sorted(result.unchanged) == ["chasm", "contracts"]
    assert "--force" in result.skipped[0]
    assert (tiny_knowledge / "pricing.md").read_text(encoding="utf-8") == before

    result = import_notes(exported, tiny_knowledge, force=True)
    assert result.written == [tiny_knowledge / "pricing.md"], "only the changed note is rewritten"
    assert load_knowledge(tiny_knowledge).notes["pricing"].answer.startswith("Freelancers bill")


def test_import_rejects_files_without_question_and_answer(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email\nann,a@example.org\n", encoding="utf-8")
    with pytest.raises(ImportError_, match="question"):
        import_notes(bad, tmp_path / "k")


def test_cli_export_import_and_draft(
    tiny_knowledge: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("OUTSOURCEBOT_KNOWLEDGE_DIR", str(tiny_knowledge))
    monkeypatch.setenv("OUTSOURCEBOT_DATA_DIR", str(data_dir))
    out = tmp_path / "faq.csv"
    assert main(["kb", "export", "--format", "csv", "--output", str(out)]) == 0
    assert main(["kb", "import", str(out)]) == 0  # everything exists already, unchanged: a no-op
    assert "3 unchanged, 0 skipped" in capsys.readouterr().out
    copy = tmp_path / "copy"
    assert main(["kb", "import", str(out), "--into", str(copy)]) == 0
    assert load_knowledge(copy).ok

    assert main(["kb", "draft", "1"]) == 1
    assert "run `outsourcebot report` first" in capsys.readouterr().err
    save_latest(ReportData(generated="2026-01-01T00:00:00+00:00", since=None, groups=[]), data_dir)
    assert main(["kb", "draft", "1"]) == 1
    err = capsys.readouterr().err
    assert "has no unanswered-question groups, so there is nothing to draft" in err and "1 to 0" not in err
    group = UnansweredGroup(
        1,
        4,
        ["how do I pay a contractor in india", "paying indian contractors", "send money to india"],
        "pricing",
        "Pricing and costs",
        0.5,
    )
    save_latest(ReportData(generated="2026-01-01T00:00:00+00:00", since=None, groups=[group]), data_dir)
    assert main(["kb", "draft", "1"]) == 0
    path = tiny_knowledge / "drafts" / "how-do-i-pay-a-contractor.md"
    assert path.is_file()
    # Drafts are checked and their problems listed, but they are never served, so the check passes.
    assert main(["kb", "check"]) == 0
    printed = capsys.readouterr().out
    assert f"{path}:13: draft, not served: note still marked TODO" in printed
    assert "3 notes OK" in printed
    assert main(["kb", "draft", "2"]) == 1


def test_csv_rows_without_question_or_answer_are_rejected_and_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    faq = tmp_path / "faq.csv"
    faq.write_text(
        "question,answer,title\n"
        '"Do you sign NDAs?","Yes, we sign mutual NDAs.",NDAs\n'
        ',"An answer nobody asked for.",Orphan answer\n'
        '"A question nobody answered?",,\n'
        ",,Only a title\n",
        encoding="utf-8",
    )
    target = tmp_path / "knowledge"
    result = import_notes(faq, target)
    assert [p.name for p in result.written] == ["ndas.md"]
    assert result.rejected == [
        "row 3: no question (Orphan answer)",
        "row 4: no answer (A question nobody answered?)",
        "row 5: no question and no answer (Only a title)",
    ]
    assert [p.name for p in (target / "drafts").iterdir()] == ["ndas.md"]  # no note with zero questions
    for path in result.written:
        text = path.read_text(encoding="utf-8")
        assert text.endswith("\n") and not text.endswith("\n\n")
        note, _ = parse_note(path)
        assert note is not None and note.questions == ["Do you sign NDAs?"]

    monkeypatch.setenv("OUTSOURCEBOT_DATA_DIR", str(tmp_path / "data"))
    assert main(["kb", "import", str(faq), "--into", str(tmp_path / "cli")]) == 1
    out, err = capsys.readouterr()
    assert "1 note(s) written (1 as drafts), 0 unchanged, 0 skipped, 3 rejected" in out
    assert "rejected row 3: no question (Orphan answer)" in err


def test_imported_answer_with_trailing_blank_space_ends_with_one_newline(tmp_path: Path) -> None:
    faq = tmp_path / "faq.json"
    faq.write_text(json.dumps([{"question": "q one", "answer": "An answer.\n\n   \n", "title": "T"}]), encoding="utf-8")
    [path] = import_notes(faq, tmp_path / "k").written
    assert path.read_text(encoding="utf-8").endswith("---\nAn answer.\n")


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_importing_an_unchanged_export_is_a_no_op(
    rich_knowledge: Path, tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kb import` of what `kb export` just wrote exits 0 and touches no file, with or without --force."""
    from adapters.cli import main

    exported = tmp_path / f"notes.{fmt}"
    exported.write_text(export_notes(rich_knowledge, fmt), encoding="utf-8")
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in rich_knowledge.rglob("*.md")}
    monkeypatch.setenv("OUTSOURCEBOT_KNOWLEDGE_DIR", str(rich_knowledge))
    monkeypatch.setenv("OUTSOURCEBOT_DATA_DIR", str(tmp_path / "data"))
    for extra in ([], ["--force"]):
        assert main(["kb", "import", str(exported), *extra]) == 0
        out, err = capsys.readouterr()
        assert f"0 note(s) written (0 as drafts), {len(before)} unchanged, 0 skipped" in out, out + err
        assert "skipped" not in err
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in rich_knowledge.rglob("*.md")} == before


def _json_file(tmp_path: Path, records: list[dict[str, object]]) -> Path:
    path = tmp_path / "import.json"
    path.write_text(json.dumps({"kind": "outsourcebot-notes", "version": 1, "notes": records}), encoding="utf-8")
    return path


def _record(note_id: str, **extra: object) -> dict[str, object]:
    return dict(
        id=note_id, title=f"Title {note_id}", questions=[f"question about {note_id}"], answer="An answer.", **extra
    )


def test_force_never_replaces_a_different_note_through_its_path(tiny_knowledge: Path, tmp_path: Path) -> None:
    before = (tiny_knowledge / "pricing.md").read_bytes()
    result = import_notes(_json_file(tmp_path, [_record("rates", path="pricing.md")]), tiny_knowledge, force=True)
    assert result.written == []
    assert len(result.skipped) == 1 and "holds another note (pricing)" in result.skipped[0]
    assert (tiny_knowledge / "pricing.md").read_bytes() == before
    assert set(load_knowledge(tiny_knowledge).notes) == {"pricing", "contracts", "chasm"}


@pytest.mark.parametrize("path", ["README.md", "guides/readme.md", "notes.txt", "../outside.md", "/tmp/abs.md"])
def test_a_path_outside_the_note_files_is_refused(path: str, tiny_knowledge: Path, tmp_path: Path) -> None:
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = import_notes(_json_file(tmp_path, [_record("guide", path=path)]), tiny_knowledge, force=True)
    assert result.written == [] and len(result.skipped) == 1 and "not a note file" in result.skipped[0]
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.name != "import.json")
    assert after == [p for p in before if p.name != "import.json"]


def test_every_row_is_checked_before_any_is_written(tiny_knowledge: Path, tmp_path: Path) -> None:
    records = [_record(f"note-{n}") for n in range(11)] + [_record("bad\x00id"), _record("note-12")]
    result = import_notes(_json_file(tmp_path, records), tiny_knowledge)
    assert len(result.skipped) == 1 and result.skipped[0].startswith("'bad\\x00id'")
    assert len(result.written) == 12, "the good rows are written and listed"
    assert all(p.exists() for p in result.written)


def test_two_rows_for_one_file_write_neither_over_the_other(tiny_knowledge: Path, tmp_path: Path) -> None:
    records = [_record("one", path="shared.md"), _record("two", path="shared.md")]
    result = import_notes(_json_file(tmp_path, records), tiny_knowledge)
    assert [p.name for p in result.written] == ["shared.md"] and len(result.skipped) == 1
    assert "shared.md" in result.skipped[0]


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_csv_export_neutralises_cells_a_spreadsheet_would_run(start: str, tiny_knowledge: Path) -> None:
    title = f'{start}HYPERLINK("https://evil.example","click")'
    write_note(tiny_knowledge, "formula", json.dumps(title), ["a question", "another question"], "Body.")
    assert load_knowledge(tiny_knowledge).notes["formula"].title == title
    rows = list(csv.DictReader(io.StringIO(export_notes(tiny_knowledge, "csv"))))
    row = next(r for r in rows if r["id"] == "formula")
    assert row["title"] == "'" + title
    for r in rows:
        assert all(not (v or "").startswith(("=", "+", "-", "@", "\t", "\r")) for v in r.values()), r


def test_neutralised_cells_import_back_unchanged(tiny_knowledge: Path, tmp_path: Path) -> None:
    title = '=HYPERLINK("https://evil.example","click")'
    questions = ["+44 20 7946 0000 who is it", "@mention me"]
    write_note(tiny_knowledge, "formula", json.dumps(title), [json.dumps(q) for q in questions], "Body.")
    exported = tmp_path / "faq.csv"
    exported.write_text(export_notes(tiny_knowledge, "csv"), encoding="utf-8")
    target = tmp_path / "again"
    written = next(p for p in import_notes(exported, target).written if p.name == "formula.md")
    note, _ = parse_note(written)
    assert note is not None and note.title == title and note.questions[:2] == questions


@pytest.mark.parametrize("cell", ["\tcmd", "\rcmd", "=1+1", "-2+3", "@SUM(A1)", "+1"])
def test_every_formula_start_is_neutralised(cell: str) -> None:
    from bot.knowledge.faq_io import _safe_cell, _unsafe_cell

    assert _safe_cell(cell) == "'" + cell and _unsafe_cell(_safe_cell(cell)) == cell
    assert _safe_cell("plain text") == "plain text" and _unsafe_cell("'quoted") == "'quoted"
