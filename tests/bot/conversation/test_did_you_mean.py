"""'Did you mean' only when the answer is unsure; a confident answer offers its related topics."""

from __future__ import annotations

from bot.conversation.answers import UNSURE_BAND, UNSURE_GAP, is_unsure
from bot.conversation.core import Core
from bot.messages import Message
from bot.search.retrieval import CLOSE_MARGIN, Candidate

THRESHOLD = 0.45


def candidate(note_id: str, confidence: float, cosine: float | None = None) -> Candidate:
    return Candidate(note_id, confidence, confidence, confidence if cosine is None else cosine, 0.0)


def test_a_confident_answer_with_a_runner_up_inside_the_close_margin_is_sure() -> None:
    gap = (UNSURE_GAP + CLOSE_MARGIN) / 2  # close enough for the old "did you mean", not for the new
    best = candidate("a", THRESHOLD + UNSURE_BAND + 0.2)
    assert not is_unsure([best, candidate("b", best.cosine - gap)], THRESHOLD)


def test_a_near_tie_or_a_low_score_is_unsure() -> None:
    high = THRESHOLD + UNSURE_BAND + 0.2
    assert is_unsure([candidate("a", high), candidate("b", high - UNSURE_GAP / 2)], THRESHOLD)
    low = THRESHOLD + UNSURE_BAND / 2
    assert is_unsure([candidate("a", low), candidate("b", low - 0.07)], THRESHOLD)
    assert not is_unsure([candidate("a", low)], THRESHOLD), "nothing to offer instead"


def test_a_confident_correct_answer_offers_related_topics_not_did_you_mean(real_core: Core) -> None:
    reply = real_core.answer(Message("what should i outsource first", "dym-1", "dym-1"))
    assert reply.answered and reply.sources[0].id == "what-to-outsource"
    assert reply.suggestion_label == "Related topics"
    assert "Did you mean" not in reply.text


def test_an_unsure_answer_offers_the_near_miss_as_did_you_mean(real_core: Core) -> None:
    reply = real_core.answer(Message("how does escrow payment work with freelancers", "dym-2", "dym-2"))
    assert reply.answered
    assert reply.suggestion_label == "Did you mean"
    offered = [s.id for s in reply.suggestions]
    assert {"paying-freelancers", "freelance-marketplaces"} & set([*offered, reply.sources[0].id]) == {
        "paying-freelancers",
        "freelance-marketplaces",
    }, "both close notes are in front of the person: one answered, the other offered"
