"""Parsing and validating knowledge notes: every problem as `path:line: message`, never dropped."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest

from adapters.cli import main
from bot.config import REPO_DIR
from bot.knowledge.notes import (
    MAX_REPLY_CHARS,
    Problem,
    load_drafts,
    load_knowledge,
    note_files,
    parse_note,
    stale_notes,
)
from tests.conftest import make_core, write_note

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
        (
            GOOD.replace("The direct answer comes first.\n\nMore detail in a second paragraph.\n", ""),
            13,
            "empty answer",
        ),
        (GOOD.replace("Do this, then that.", "TODO write the steps"), 25, "TODO"),
        (GOOD.replace("tags: [a]", "tags: a: b: c"), 8, "bad YAML"),
        (GOOD.replace("tags: [a]", "tags: [a\n\tb]"), 9, "bad YAML"),
        (GOOD.replace("---\n", "", 1), 1, "missing YAML front matter"),
        ("---\nid: x\ntitle: y\nquestions: [a, b, c]\n\nBody without a closing line.\n", 1, "not closed"),
        ("---\n- just\n- a list\n---\nbody\n", 2, "mapping"),
    ],
    ids=[
        "missing-id",
        "bad-id",
        "missing-title",
        "few-questions",
        "unknown-related",
        "empty-answer",
        "todo",
        "bad-yaml",
        "bad-yaml-tab",
        "no-front-matter",
        "unclosed-front-matter",
        "not-a-mapping",
    ],
)
def test_each_problem_is_reported_with_its_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    problems = problems_of(tmp_path, text)
    matching = [p for p in problems if fragment in p.message]
    assert matching, problems
    assert matching[0].line == line, matching
    assert matching[0].path == tmp_path / "kb" / "note.md"
    assert str(matching[0]).startswith(f"{tmp_path / 'kb' / 'note.md'}:{line}: ")


@pytest.mark.parametrize(
    ("old", "new", "line", "fragment"),
    [
        (
            "The direct answer comes first.",
            "The **direct** answer comes first.",
            13,
            "** in the answer 'The **direct**",
        ),
        ("The direct answer comes first.", "The direct answer\ncomes `first`.", 14, "` in the answer 'comes `first`.'"),
        ("- Point two.", "- __Point__ two.", 21, "__ in the key point '__Point__ two.'"),
        ("  continues here.", "  continues **here**.", 20, "** in the key point 'continues **here**.'"),
    ],
    ids=["bold-answer", "code-answer-second-line", "underscore-bold-point", "point-continuation"],
)
def test_inline_markup_in_answer_or_key_points_is_reported(
    tmp_path: Path, old: str, new: str, line: int, fragment: str
) -> None:
    [problem] = problems_of(tmp_path, GOOD.replace(old, new))
    assert problem.line == line, problem
    assert problem.message.startswith("inline markup shows literally in chat: ") and fragment in problem.message, (
        problem
    )


def test_inline_markup_outside_the_answer_and_key_points_is_fine(tmp_path: Path) -> None:
    text = GOOD.replace("More detail in a second paragraph.", "More **detail** in a `second` paragraph.")
    assert problems_of(tmp_path, text.replace("Do this, then that.", "Run `kb check`, then **that**.")) == []


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("Do this, then that.", "Do this, then that.\n\nThis note is general information, not legal advice.", 29),
        ("- Point two.", "- Point two. This is not tax or legal advice.", 23),
        (
            "The direct answer comes first.",
            "The direct answer comes first; it is no substitute for professional advice.",
            15,
        ),
    ],
    ids=["closing-line", "in-a-key-point", "in-the-answer"],
)
def test_a_note_that_writes_its_own_caveat_is_reported(tmp_path: Path, old: str, new: str, line: int) -> None:
    [problem] = problems_of(tmp_path, DATED.replace(old, new))
    assert problem.line == line, problem
    assert problem.message.startswith("the note writes its own caveat ") and "disclaimer: true" in problem.message


def test_advice_that_is_not_a_caveat_is_fine(tmp_path: Path) -> None:
    text = DATED.replace("Do this, then that.", "Take advice first, and ask an accountant; check local rules.")
    assert problems_of(tmp_path, text.replace("- Point two.", "- Not every freelancer needs legal cover.")) == []


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

    (tiny_knowledge / "broken.md").write_text("---\nid: a: b\n---\nBody\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        core = make_core(tiny_knowledge, tmp_path / "d")
    assert set(core.kb.notes) == {"pricing", "contracts", "chasm"}
    assert any("broken.md:2: bad YAML" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)


def test_core_start_serves_only_notes_without_problems(
    tmp_path: Path, tiny_knowledge: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.messages import Message

    # An unfinished note (TODO, no sources) that a served note links to.
    todo = write_note(
        tiny_knowledge,
        "tornado",
        "Inside the tornado",
        ["what is the tornado", "hypergrowth", "mass market"],
        "TODO: write the answer.",
        related="chasm",
    )
    todo.write_text(todo.read_text(encoding="utf-8").replace('sources: ["Test source"]\n', ""), encoding="utf-8")
    write_note(
        tiny_knowledge,
        "chasm",
        "Crossing the chasm",
        ["what is the chasm", "visionaries and pragmatists", "moore chasm book"],
        "The chasm is the gap between visionaries and pragmatists.",
        related="tornado",
    )
    with caplog.at_level(logging.ERROR):
        core = make_core(tiny_knowledge, tmp_path / "d")
    assert set(core.kb.notes) == {"pricing", "contracts", "chasm"}
    assert {i for c in core.index.chunks for i in [c.note_id]} == {"pricing", "contracts", "chasm"}
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert sum(f"{todo}:" in e for e in errors) == 2  # one line per problem: TODO and missing sources
    assert core.note("chasm").related == []  # type: ignore[union-attr]
    reply = core.answer(Message("what is the tornado", "u", "c"))
    assert "tornado" not in [s.id for s in reply.sources + reply.suggestions]
    reply = core.answer(Message("what is the chasm", "u", "c"))
    assert reply.answered and reply.sources[0].id == "chasm" and "Inside the tornado" not in reply.text
    # Reloading the same folder still refuses it, and keeps serving.
    assert not core.reload().ok and set(core.kb.notes) == {"pricing", "contracts", "chasm"}


def test_servable_is_the_same_knowledge_when_nothing_is_wrong(tiny_knowledge: Path) -> None:
    kb = load_knowledge(tiny_knowledge)
    assert kb.servable() is kb
    write_note(tiny_knowledge, "bad", "Bad", ["a", "b"], "Too few questions.", related="pricing")
    full = load_knowledge(tiny_knowledge)
    served = full.servable()
    assert set(full.notes) == {"pricing", "contracts", "chasm", "bad"} and set(served.notes) == {
        "pricing",
        "contracts",
        "chasm",
    }
    assert served.problems == full.problems and served.fingerprint != full.fingerprint
    assert served.servable() is served


def test_drafts_are_checked_but_never_loaded_as_notes(tiny_knowledge: Path) -> None:
    drafts = tiny_knowledge / "drafts"
    drafts.mkdir()
    write_note(
        drafts,
        "pay-india",
        "Paying in India",
        ["pay india", "send money to india", "rupee invoices"],
        "TODO answer.",
        related="pricing",
    )
    write_note(drafts, "chasm", "Another chasm", ["a", "b", "c"], "A finished answer.")
    kb = load_knowledge(tiny_knowledge)
    assert kb.ok and set(kb.notes) == {"pricing", "contracts", "chasm"}
    assert note_files(tiny_knowledge) == sorted(tiny_knowledge.glob("*.md"))
    found = load_drafts(tiny_knowledge, kb)
    assert set(found.notes) == {"pay-india"}
    messages = sorted((p.path.name, p.message.split(" (")[0]) for p in found.problems)
    assert messages == [("chasm.md", "duplicate id 'chasm'"), ("pay-india.md", "note still marked TODO")]


DATED = GOOD.replace("updated: 2026-01-02\n", "updated: 2026-01-02\nreview_by: 2027-01-02\ndisclaimer: true\n")


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (
            DATED.replace("disclaimer: true", 'disclaimer: "no"'),
            13,
            "disclaimer must be true, false or a list of phrases its passages name, not 'no'",
        ),
        (DATED.replace("disclaimer: true", "disclaimer: 1"), 13, "disclaimer must be true, false or a list of phrases"),
        (DATED.replace("updated: 2026-01-02", "updated: last spring"), 11, "updated 'last spring' is not a date"),
        (DATED.replace("updated: 2026-01-02", "updated: 2026-13-01"), 11, "updated '2026-13-01' is not a date"),
        (DATED.replace("review_by: 2027-01-02", "review_by: 31/12/2027"), 12, "review_by '31/12/2027' is not a date"),
        (DATED.replace("review_by: 2027-01-02", "review_by: 2027"), 12, "review_by 2027 is not a date"),
        (DATED.replace('sources: ["A book"]\n', ""), 1, "missing sources"),
        (DATED.replace('sources: ["A book"]', "sources: []"), 10, "missing sources"),
        (DATED.replace("updated: 2026-01-02\n", ""), 1, "missing updated date"),
        (DATED.replace("disclaimer: true", "owner: Jane Smith\ndisclaimer: true"), 13, "owner 'Jane Smith' must name"),
        (
            DATED.replace("disclaimer: true", "owner: [legal]\ndisclaimer: true"),
            13,
            "maintainer role as a lowercase slug",
        ),
    ],
    ids=[
        "disclaimer-no",
        "disclaimer-1",
        "updated-words",
        "updated-month-13",
        "review-by-dmy",
        "review-by-year",
        "no-sources",
        "empty-sources",
        "no-updated",
        "owner-a-person",
        "owner-a-list",
    ],
)
def test_front_matter_types_are_checked_with_their_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    problems = problems_of(tmp_path, text)
    assert [(p.line, fragment in p.message) for p in problems] == [(line, True)], problems


def test_owner_names_a_maintainer_role(tmp_path: Path) -> None:
    text = DATED.replace("disclaimer: true", "owner: fees-and-legal\ndisclaimer: true")
    note, problems = parse_note(tmp_path / "n.md", text)
    assert problems == [] and note is not None and note.owner == "fees-and-legal"
    note, problems = parse_note(tmp_path / "n.md", DATED)
    assert problems == [] and note is not None and note.owner == ""


def test_valid_dates_and_flags_are_accepted(tmp_path: Path) -> None:
    note, problems = parse_note(tmp_path / "n.md", DATED.replace("updated: 2026-01-02", 'updated: "2026-01-02"'))
    assert problems == [] and note is not None
    assert (note.updated, note.review_by, note.disclaimer) == ("2026-01-02", "2027-01-02", True)
    note, _ = parse_note(tmp_path / "n.md", DATED.replace("disclaimer: true", 'disclaimer: "no"'))
    assert note is not None and note.disclaimer is False


def test_a_disclaimer_can_name_the_passages_that_need_it(tmp_path: Path) -> None:
    text = DATED.replace("disclaimer: true", "disclaimer: [direct answer, Tax rules]")
    note, problems = parse_note(tmp_path / "n.md", text)
    assert problems == [] and note is not None
    assert note.disclaimer is False and note.disclaimer_on == ["direct answer", "Tax rules"]
    assert note.needs_disclaimer(["The DIRECT answer comes first."])
    assert note.needs_disclaimer(["Tax rules\nVAT applies."])
    assert not note.needs_disclaimer(["More detail in a second paragraph.", ""])
    whole, _ = parse_note(tmp_path / "n.md", DATED)
    assert whole is not None and whole.needs_disclaimer(["anything at all"])
    none, _ = parse_note(tmp_path / "n.md", GOOD)
    assert none is not None and not none.needs_disclaimer(["The direct answer comes first."])


@pytest.mark.parametrize("value", ["[]", '[""]', "[1, 2]", "{a: b}"])
def test_a_disclaimer_list_must_hold_phrases(tmp_path: Path, value: str) -> None:
    problems = problems_of(tmp_path, DATED.replace("disclaimer: true", f"disclaimer: {value}"))
    assert [(p.line, "disclaimer must be true, false or a list of phrases" in p.message) for p in problems] == [
        (13, True)
    ]


def test_stale_notes(tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "n.md").write_text(
        GOOD.replace("updated: 2026-01-02", "updated: 2026-01-02\nreview_by: 2026-06-01"), encoding="utf-8"
    )
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


def test_kb_check_json_prints_only_one_json_object(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_knowledge: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_note(tiny_knowledge, "lonely", "Lonely", ["one", "two"], "Answer.", related="ghost")
    (tiny_knowledge / "drafts").mkdir()
    write_note(tiny_knowledge / "drafts", "next", "Next", ["a", "b", "c"], "TODO")
    monkeypatch.setenv("OUTSOURCEBOT_KNOWLEDGE_DIR", str(tiny_knowledge))
    monkeypatch.setenv("OUTSOURCEBOT_DATA_DIR", str(tmp_path / "data"))
    assert main(["kb", "check", "--json", "--stale"]) == 1
    out, err = capsys.readouterr()
    data = json.loads(out)
    path = tiny_knowledge / "lonely.md"
    assert data["problems"] == [
        f"{path}:4: needs at least 3 alternate questions, has 2",
        f"{path}:8: unknown related id 'ghost'",
    ]
    assert data["notes"] == 4 and data["stale"] == [] and data["ok"] is False
    assert data["drafts"] == 1 and len(data["draft_problems"]) == 1 and "TODO" in data["draft_problems"][0]
    assert "2 problem(s)" in err
    (path).unlink()
    assert main(["kb", "check", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_kb_check_passes_on_the_real_knowledge(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _kb_check(monkeypatch, REPO_DIR / "knowledge", tmp_path) == 0
    assert "notes OK" in capsys.readouterr().out


SECTIONS = GOOD.replace(
    "## Steps\n\nDo this, then that.\n",
    "## Steps\n? what do I do first\n?   and after that?\n\nDo this, then that.\n\n## Rates\n\n- Cheap.\n- Dear.\n",
)


def test_section_questions_are_read_and_kept_out_of_the_sections_text(tmp_path: Path) -> None:
    note, problems = parse_note(tmp_path / "n.md", SECTIONS)
    assert problems == [] and note is not None
    assert note.sections[1] == ("Steps", "Do this, then that.")
    assert note.section_questions == [[], ["what do I do first", "and after that?"], []]
    assert note.section_items[2] == ["Cheap.", "Dear."]
    lines = SECTIONS.splitlines()
    assert [lines[n - 1] for n in note.section_lines] == ["## Key points", "## Steps", "## Rates"]


def test_a_section_question_below_the_text_or_on_the_key_points_is_a_problem(tmp_path: Path) -> None:
    late = SECTIONS.replace("Do this, then that.\n", "Do this, then that.\n? a late question\n")
    problems = problems_of(tmp_path, late)
    assert len(problems) == 1 and "right under its section's heading" in problems[0].message
    assert late.splitlines()[problems[0].line - 1] == "? a late question"
    on_points = SECTIONS.replace("## Key points\n", "## Key points\n? what matters\n")
    (tmp_path / "other").mkdir()
    problems = problems_of(tmp_path / "other", on_points)
    assert [p.message.split(" (")[0] for p in problems] == ["the key points take no '? ...' questions"]
