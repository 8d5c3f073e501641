"""The maintained abbreviation list in knowledge/abbreviations.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import REPO_DIR
from bot.knowledge.abbreviations import check_abbreviations, load_abbreviations, parse_abbreviations
from bot.search.queries import plan_queries


def test_the_shipped_list_loads_and_covers_the_common_terms() -> None:
    assert check_abbreviations(REPO_DIR / "knowledge") is None
    shipped = load_abbreviations(REPO_DIR / "knowledge")
    terms = {term.lower() for term, _, _ in shipped.entries}
    assert {
        "ip",
        "seo",
        "bpo",
        "mvp",
        "peo",
        "eor",
        "sow",
        "nda",
        "3pl",
        "va",
        "odesk",
        "elance",
        "rentacoder",
    } <= terms


def test_terms_match_whole_words_longest_first_and_case_only_where_asked() -> None:
    abbreviations = parse_abbreviations(
        "abbreviations:\n  VA: virtual assistant\n  VAs: virtual assistants\n"
        "old_names:\n  oDesk: Upwork, formerly oDesk\nexact_case:\n  PA: personal assistant\n"
    )
    assert abbreviations.expand("two vas and a VA") == "two virtual assistants and a virtual assistant"
    assert abbreviations.expand("my PA, pa and java") == "my personal assistant, pa and java"
    assert abbreviations.expand("ODESK fees") == "Upwork, formerly oDesk fees"
    assert abbreviations.expand("VA-based") == "VA-based"  # part of a hyphenated word stays


@pytest.mark.parametrize(
    "text, problem",
    [
        ("abbreviations: [VA]\n", "must map each term"),
        ("misc:\n  VA: x\n", "expected only the sections"),
        ("abbreviations:\n  VA: \n", "needs a meaning"),
        ("abbreviations:\n  VA: a\nold_names:\n  va: b\n", "listed twice"),
        ("abbreviations: {VA: [\n", "not valid YAML"),
    ],
)
def test_broken_lists_are_reported(tmp_path: Path, text: str, problem: str) -> None:
    (tmp_path / "abbreviations.yaml").write_text(text, encoding="utf-8")
    found = check_abbreviations(tmp_path)
    assert found is not None and problem in found and found.startswith(str(tmp_path / "abbreviations.yaml") + ":1:")
    assert len(load_abbreviations(tmp_path)) == 0  # served as an empty list, never a crash


def test_a_missing_list_is_not_a_problem(tmp_path: Path) -> None:
    assert check_abbreviations(tmp_path) is None
    assert plan_queries("hire a VA", None, load_abbreviations(tmp_path)).texts == ["hire a VA"]


def test_questions_are_searched_as_typed_and_spelled_out() -> None:
    plan = plan_queries("how do I protect our IP")
    assert plan.texts == ["how do I protect our IP", "how do I protect our intellectual property"]
    assert plan.own == 2


def test_a_text_without_any_term_is_left_as_it_is_and_one_term_anywhere_expands() -> None:
    abbreviations = parse_abbreviations(
        "abbreviations:\n  VA: virtual assistant\n  SEO: search engine optimisation\nexact_case:\n  PA: personal assistant\n"
    )
    for untouched in ("hire a vase", "a pa-style role", "pay my pa", "SEO-friendly", "no terms here", ""):
        assert abbreviations.expand(untouched) == untouched
    assert abbreviations.expand("my PA and a va for seo") == (
        "my personal assistant and a virtual assistant for search engine optimisation"
    )
    assert parse_abbreviations("").expand("a VA") == "a VA"
