"""A note's passages are ranked per question: each passage once, at its best chunk's score, best first."""

from __future__ import annotations

from bot.conversation.core import Core
from bot.search.retrieval import PASSAGE_LEXICAL_WEIGHT, passage_scores, rank_notes

QUESTIONS = [
    "how much does a virtual assistant cost",
    "what should go into a contract with a freelancer",
    "how do I cross the chasm",
    "can I outsource my bookkeeping and payroll",
]


def test_a_passage_scores_its_best_chunk_plus_its_lexical_bonus(real_core: Core) -> None:
    index = real_core.index
    for question, vector in zip(QUESTIONS, real_core.embedder.embed(QUESTIONS)):
        sims = (index.matrix @ vector).tolist()
        lexical = dict(index.lexical_chunks(question))
        top = max(lexical.values())
        bonus = {i: PASSAGE_LEXICAL_WEIGHT * (s / top) for i, s in lexical.items()}
        best = rank_notes(index, vector, question)[0]
        passages = passage_scores(index, best.note_id, sims, bonus)
        assert best.passages == passages, "ranking uses the same scores"
        assert [score for _, score in passages] == sorted((score for _, score in passages), reverse=True)
        assert len({part for part, _ in passages}) == len(passages), "each passage once"
        plain = dict(passage_scores(index, best.note_id, sims, {}))
        # A section's own question counts only when as close as the note's own questions and title.
        bar = max(sims[i] for i in index.note_question_chunks[best.note_id])
        counted = [(i, p) for i, p, own in index.passage_entries[best.note_id] if not own or sims[i] >= bar]
        assert {p for _, p in counted} == set(plain)
        for part, score in passages:
            assert score == max(sims[i] + bonus.get(i, 0.0) for i, p in counted if p == part)
            assert score >= plain[part], "a lexical match only adds"


def test_without_cosines_only_lexically_matched_chunks_count(real_core: Core) -> None:
    index = real_core.index
    question = "what should go into a contract with a freelancer"
    lexical = dict(index.lexical_chunks(question))
    note = next(n for n, entries in index.passage_entries.items() if any(i in lexical for i, _, _ in entries))
    passages = dict(passage_scores(index, note, None, lexical))
    matched = {
        p: max(lexical[i] for i, q, _ in index.passage_entries[note] if q == p and i in lexical) for p in passages
    }
    assert passages and passages == matched
    assert passage_scores(index, note, None, {}) == ()
