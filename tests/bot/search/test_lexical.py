"""Lexical queries are scored in memory with exactly FTS5's own `bm25()` ranking."""

from __future__ import annotations

import json
import logging

import pytest

from bot.config import REPO_DIR
from bot.conversation.core import Core
from bot.search.lexical import LexicalTable, fts_query

FTS5 = (
    "select chunks_fts.rowid, bm25(chunks_fts) from chunks_fts "
    "where chunks_fts match ? order by bm25(chunks_fts) limit ?"
)


def _fts5(table: LexicalTable, text: str, k: int = 40) -> list[tuple[int, float]]:
    query = fts_query(text)
    if not query:
        return []
    return [(rowid - 1, -score) for rowid, score in table._db.execute(FTS5, (query, k)).fetchall()]


def _questions() -> list[str]:
    lines = (REPO_DIR / "tests" / "data" / "eval.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def test_in_memory_scores_and_order_are_fts5s(real_core: Core) -> None:
    table = real_core.index._lexical
    questions = [*_questions(), "running runs ran", "the of and", "zqx fnord", "VA's costs, per-hour rates?"]
    compared = 0
    for question in questions:
        expected = _fts5(table, question)
        assert table.best_chunks(question) == expected, question  # the same floats, in the same order
        compared += bool(expected)
    assert compared > 250
    assert table.best_chunks("contracts freelancer", k=3) == _fts5(table, "contracts freelancer", 3)


def test_a_word_of_several_tokens_goes_to_fts5_and_a_closed_table_finds_nothing(
    real_core: Core, caplog: pytest.LogCaptureFixture
) -> None:
    table = real_core.index._lexical
    assert table._postings is not None and table._postings.term("freelance_contracts") is None
    assert table.best_chunks("freelance_contracts") == _fts5(table, "freelance_contracts") != []
    closed = LexicalTable(real_core.index.folder / "lexical.db")
    closed.close()
    with caplog.at_level(logging.WARNING):
        assert closed.best_chunks("contracts") == []
    assert any("lexical query failed" in r.getMessage() for r in caplog.records)
