"""A first end-to-end check of the real core."""

from bot.conversation.core import Core
from bot.messages import Message


def test_real_core_answers_an_outsourcing_question(real_core: Core) -> None:
    reply = real_core.answer(Message("how much does a virtual assistant cost per hour?", "u1", "c1"))
    assert reply.answered
    assert reply.sources[0].id in {"virtual-assistants", "pricing-and-costs"}
    assert reply.answer_id


def test_real_core_declines_off_topic(real_core: Core) -> None:
    reply = real_core.answer(Message("what's the capital of mongolia", "u1", "c2"))
    assert not reply.answered
    assert reply.kind == "fallback"
    assert reply.suggestions
