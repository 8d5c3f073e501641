"""`kb check` finds passages that cannot be shown in a focused reply, and openings that do not answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.cli import main
from bot.config import REPO_DIR
from bot.knowledge.notes import KnowledgeNote, load_knowledge, parse_note
from bot.knowledge.passages import (
    MAX_FIRST_SENTENCE_WORDS,
    MAX_PASSAGE_WORDS,
    indirect_opening,
    leaning_passages,
    long_passages,
    passage_problems,
    unnamed_disclaimer_phrases,
)

NOTE = """---
id: planted
title: A planted note
questions: [one question, another question, a third question]
sources: ["A book"]
updated: 2026-01-02
---
{answer}

## Key points

- {point}
- A short point.

## Details
? what are the details

{section}
"""
ANSWER = "Freelancers charge by the hour or by the project. Compare the total cost."


def note_of(
    tmp_path: Path, answer: str = ANSWER, point: str = "A point.", section: str = "Short details."
) -> KnowledgeNote:
    note, problems = parse_note(tmp_path / "planted.md", NOTE.format(answer=answer, point=point, section=section))
    assert problems == [] and note is not None
    return note


def words(n: int) -> str:
    return " ".join(["word"] * (n - 1)) + " end."


def test_a_disclaimer_phrase_no_passage_names_is_reported_with_its_line(tmp_path: Path) -> None:
    text = NOTE.format(answer=ANSWER, point="Check the tax rules.", section="Short details.")
    text = text.replace("updated: 2026-01-02\n", "updated: 2026-01-02\ndisclaimer: [tax rules, Details, visa rules]\n")
    note, problems = parse_note(tmp_path / "planted.md", text)
    assert problems == [] and note is not None
    found = unnamed_disclaimer_phrases(note)
    assert [(p.line, "'visa rules' is in none of the note's passages" in p.message) for p in found] == [(7, True)]


def test_a_clean_note_has_no_passage_problems(tmp_path: Path) -> None:
    note = note_of(tmp_path)
    assert long_passages(note) == [] and indirect_opening(note) == [] and leaning_passages(note) == []


@pytest.mark.parametrize(
    ("point", "section", "said"),
    [
        ("A point.", "The ranges above are rough.", "The ranges above"),
        ("A point.", "They are approximate and for simple jobs.", "They"),
        ("A point.", "Check the rates listed below first.", "the rates listed below"),
        ("As mentioned above, pay by milestone.", "Short details.", "mentioned above"),
    ],
)
def test_a_passage_that_points_at_text_shown_elsewhere_is_reported(
    tmp_path: Path, point: str, section: str, said: str
) -> None:
    problems = leaning_passages(note_of(tmp_path, point=point, section=section))
    assert len(problems) == 1 and repr(said) in problems[0].message


@pytest.mark.parametrize(
    "section",
    ["A quote far below the rest often means rework.", "The prices in this note are approximate."],
)
def test_comparisons_and_self_contained_sections_pass(tmp_path: Path, section: str) -> None:
    assert leaning_passages(note_of(tmp_path, section=section)) == []


def test_a_heading_that_points_elsewhere_is_reported(tmp_path: Path) -> None:
    text = NOTE.format(answer=ANSWER, point="A point.", section="Short details.").replace(
        "## Details", "## About those ranges"
    )
    note, _ = parse_note(tmp_path / "planted.md", text)
    assert note is not None
    (problem,) = leaning_passages(note)
    assert "heading says 'those'" in problem.message


def test_a_passage_over_the_limit_is_reported_with_its_line(tmp_path: Path) -> None:
    fits = note_of(tmp_path, point=words(MAX_PASSAGE_WORDS), section=words(MAX_PASSAGE_WORDS - 1))
    assert long_passages(fits) == []
    long_point = long_passages(note_of(tmp_path, point=words(MAX_PASSAGE_WORDS + 1)))
    assert len(long_point) == 1 and "key point 1" in long_point[0].message
    text = NOTE.format(answer=ANSWER, point="A point.", section=words(MAX_PASSAGE_WORDS))
    long_section = long_passages(note_of(tmp_path, section=words(MAX_PASSAGE_WORDS)))
    assert len(long_section) == 1 and "section 'Details' has 91 words" in long_section[0].message
    assert text.splitlines()[long_section[0].line - 1] == "## Details"
    long_answer = long_passages(note_of(tmp_path, answer=words(MAX_PASSAGE_WORDS + 5)))
    assert len(long_answer) == 1 and "opening answer has 95 words" in long_answer[0].message


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("It depends on the job. Freelancers charge by the hour.", "opens with 'It depends on'"),
        ("Well, that really depends on what you need. Hourly is common.", "opens with 'Well, that really'"),
        ("Good question! Freelancers charge by the hour.", "opens with 'Good question!'"),
        ("This note explains freelance pricing. Hourly is common.", "opens with 'This note explains'"),
        ("How much should a freelancer cost? Usually an hourly rate.", "opens with a question"),
        (words(MAX_FIRST_SENTENCE_WORDS + 1) + " Then a short one.", "first sentence has 51 words"),
    ],
)
def test_an_opening_that_does_not_answer_is_reported(tmp_path: Path, answer: str, reason: str) -> None:
    found = indirect_opening(note_of(tmp_path, answer=answer))
    assert len(found) == 1 and reason in found[0].message


@pytest.mark.parametrize(
    "answer",
    [
        "Yes. Depending on the job, freelancers charge by the hour.",
        "Whether it pays depends on your volume: compare the total cost.",
        words(MAX_FIRST_SENTENCE_WORDS) + " Then another sentence.",
    ],
)
def test_a_direct_opening_passes(tmp_path: Path, answer: str) -> None:
    assert indirect_opening(note_of(tmp_path, answer=answer)) == []


def test_kb_check_fails_on_a_planted_note_but_the_note_is_still_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "planted.md").write_text(NOTE.format(answer="It depends. " + ANSWER, point="A.", section="B."))
    monkeypatch.setenv("OUTSOURCEBOT_KNOWLEDGE_DIR", str(folder))
    monkeypatch.setenv("OUTSOURCEBOT_DATA_DIR", str(tmp_path / "data"))
    assert main(["kb", "check"]) == 1
    captured = capsys.readouterr()
    assert "planted.md:8: the opening answer is not a direct answer" in captured.out
    assert "1 problem(s)" in captured.err
    # Less focused is not wrong: the note stays in service.
    assert "planted" in load_knowledge(folder).servable().notes


def test_the_real_notes_have_no_passage_problems() -> None:
    problems = passage_problems(load_knowledge(REPO_DIR / "knowledge"))
    assert problems == [], "\n".join(str(p) for p in problems)
