"""The maintained list of subjects no note covers, knowledge/not-covered.yaml (bot.knowledge.not_covered)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import REPO_DIR
from bot.knowledge.not_covered import FILE_NAME, check_not_covered, load_not_covered, parse_not_covered
from bot.knowledge.notes import load_knowledge
from bot.search.not_covered import covered_warnings


def test_the_shipped_list_loads_and_names_the_issues_subjects() -> None:
    knowledge = REPO_DIR / "knowledge"
    assert check_not_covered(knowledge) is None
    shipped = load_not_covered(knowledge)
    words = {w.lower() for s in shipped.subjects for w in s.words}
    assert {"loan", "franchise", "crm", "llc", "investor", "trademark", "visa"} <= words


def test_the_shipped_list_names_nothing_a_note_is_titled_or_tagged_with() -> None:
    knowledge = REPO_DIR / "knowledge"
    assert covered_warnings(knowledge, load_knowledge(knowledge)) == []


def test_subjects_keep_their_words_as_listed_and_an_optional_pointer() -> None:
    listed = parse_not_covered(
        "subjects:\n  loans:\n    words: [loan, line  of credit]\n    pointer: Ask your bank.\n"
        "  franchising:\n    words: [franchise]\n"
    )
    assert [(s.name, s.words, s.pointer) for s in listed.subjects] == [
        ("loans", ("loan", "line of credit"), "Ask your bank."),
        ("franchising", ("franchise",), ""),
    ]


@pytest.mark.parametrize(
    "text, problem",
    [
        ("misc:\n  loans: {words: [loan]}\n", "expected only the section subjects"),
        ("subjects: [loan]\n", "must map each subject"),
        ("subjects:\n  loans: [loan]\n", "loans: expected the keys words, pointer"),
        ("subjects:\n  loans: {words: [loan], see: accounting}\n", "loans: unknown key(s) see"),
        ("subjects:\n  loans: {pointer: Ask a bank.}\n", "loans: needs a list of words"),
        ("subjects:\n  loans: {words: []}\n", "loans: needs a list of words"),
        ("subjects:\n  loans: {words: [loan, '  ']}\n", "loans: an empty word"),
        ("subjects:\n  loans: {words: [loan, null]}\n", "loans: an empty word"),
        ("subjects:\n  a: {words: [loan]}\n  b: {words: [Loan]}\n", "b: 'Loan' is already listed under a"),
        ("subjects:\n  loans: {words: [loan], pointer: [bank]}\n", "pointer must be text"),
        ("subjects: {loans: {words: [\n", "not valid YAML"),
    ],
)
def test_broken_lists_are_reported_and_served_as_empty(tmp_path: Path, text: str, problem: str) -> None:
    (tmp_path / FILE_NAME).write_text(text, encoding="utf-8")
    found = check_not_covered(tmp_path)
    assert found is not None and problem in found, found
    assert found.startswith(f"{tmp_path / FILE_NAME}:1:")
    assert len(load_not_covered(tmp_path)) == 0  # never a crash


def test_a_missing_list_is_not_a_problem(tmp_path: Path) -> None:
    assert check_not_covered(tmp_path) is None
    assert len(load_not_covered(tmp_path)) == 0
    assert covered_warnings(tmp_path, load_knowledge(tmp_path)) == []


def test_a_subject_a_note_is_titled_or_tagged_with_is_a_warning(tiny_knowledge: Path) -> None:
    (tiny_knowledge / FILE_NAME).write_text(
        "subjects:\n  pricing:\n    words: [price, prices]\n  legal:\n    words: [contract]\n"
        "  fine:\n    words: [franchise]\n",
        encoding="utf-8",
    )
    note = tiny_knowledge / "contracts.md"
    note.write_text(note.read_text(encoding="utf-8").replace("tags: [", "tags: [franchise, "), encoding="utf-8")
    kb = load_knowledge(tiny_knowledge)
    assert kb.ok
    warnings = covered_warnings(tiny_knowledge, kb)
    path = tiny_knowledge / FILE_NAME
    # Matched as the bot matches questions: "Pricing and costs" does not name "price" (a whole word),
    # but "prices" and "pricing" are one word's forms to the bot.
    assert warnings == [
        f"{path}:3: warning: 'prices' (pricing) is in the title of note pricing, so the notes cover it: "
        "take it out of this list",
        f"{path}:5: warning: 'contract' (legal) is in the title of note contracts, so the notes cover it: "
        "take it out of this list",
        f"{path}:7: warning: 'franchise' (fine) is in the tags of note contracts, so the notes cover it: "
        "take it out of this list",
    ]
    assert check_not_covered(tiny_knowledge) is None  # a warning, not a problem


def test_a_warning_points_at_the_line_listing_the_word(tiny_knowledge: Path) -> None:
    (tiny_knowledge / FILE_NAME).write_text(
        "# A header that says contract, as the shipped one says loan.\nsubjects:\n  fine:\n    words: [franchise]\n"
        "  legal:\n    words:\n      - lawsuit\n      - contract\n",
        encoding="utf-8",
    )
    warnings = covered_warnings(tiny_knowledge, load_knowledge(tiny_knowledge))
    assert [w.split(": warning")[0] for w in warnings] == [f"{tiny_knowledge / FILE_NAME}:8"]
