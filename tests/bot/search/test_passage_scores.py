"""A note's passages are scored on plain floats per question; the scores and order match the chunk-by-chunk way."""

from __future__ import annotations

import pytest

from bot.conversation.core import Core
from bot.search.retrieval import _passages, rank_notes

QUESTIONS = [
    "how much does a virtual assistant cost",
    "what should go into a contract with a freelancer",
    "how do I cross the chasm",
    "Virtual assistants: how much?",
    "can I outsource my bookkeeping and payroll",
    "zqx fnord blorp",
]


@pytest.mark.parametrize("mode", ["fused", "semantic"])
def test_passages_match_the_chunk_by_chunk_scoring(real_core: Core, mode: str) -> None:
    index = real_core.index
    vectors = real_core.embedder.embed(QUESTIONS)
    compared = 0
    for question, vector in zip(QUESTIONS, vectors):
        sims = index.matrix @ vector
        lexical = dict(index.lexical_chunks(question)) if mode == "fused" else {}
        top = max(lexical.values(), default=0.0)
        for candidate in rank_notes(index, vector, question, mode, limit=len(index.note_ids)):
            expected = _passages(index, candidate.note_id, sims, lexical, top, mode)
            assert candidate.passages == expected, (question, candidate.note_id)
            compared += bool(expected)
    assert compared > len(QUESTIONS) * 10
