"""Ratings: the latest rating of an answer counts, the reply says when it replaced one, and a decline is no "help"."""

from __future__ import annotations

from bot.conversation.core import Core
from bot.conversation.events import Rating
from bot.messages import Message, Reply, ReplyKind


def ask(core: Core, text: str, user: str = "u") -> Reply:
    reply = core.answer(Message(text, user, user))
    assert reply.answer_id
    return reply


def rate(core: Core, reply: Reply, rating: int, user: str = "u") -> str:
    assert reply.answer_id
    thanks = core.answer(Rating(reply.answer_id, rating, user, user))
    assert thanks.kind == ReplyKind.FEEDBACK
    return thanks.text


def ratings(core: Core) -> list[int]:
    return [r["rating"] for r in core.store.db.query("select rating from feedback order by ts")]


def test_good_then_bad_replaces_the_first_and_says_so(core: Core) -> None:
    answer = ask(core, "what goes in a freelance contract")
    assert answer.kind == ReplyKind.ANSWER
    assert "glad it helped" in rate(core, answer, 1)
    second = rate(core, answer, -1)
    assert "changed your rating to 👎" in second and "(it replaces your 👍)" in second
    assert ratings(core) == [-1], "the latest rating counts, the first is gone"
    assert core.store.stats().up == 0 and core.store.stats().down == 1
    back = rate(core, answer, 1)
    assert "changed your rating to 👍" in back and "(it replaces your 👎)" in back
    assert ratings(core) == [1]


def test_rating_twice_the_same_way_says_it_was_already_recorded(core: Core) -> None:
    answer = ask(core, "what goes in a freelance contract")
    rate(core, answer, -1)
    again = rate(core, answer, -1)
    assert "already rated this 👎" in again and "recorded" in again
    assert "changed" not in again
    assert ratings(core) == [-1]


def test_two_people_rating_one_answer_are_two_first_ratings(core: Core) -> None:
    answer = ask(core, "what goes in a freelance contract")
    assert "glad it helped" in rate(core, answer, 1, user="u")
    assert "Maintainers review" in rate(core, answer, -1, user="someone else")
    assert sorted(ratings(core)) == [-1, 1]


def test_a_rating_on_a_decline_is_feedback_on_the_unanswered_question(core: Core) -> None:
    decline = ask(core, "zqx fnord plorb")
    assert decline.kind == ReplyKind.FALLBACK
    for rating in (1, -1):
        text = rate(core, decline, rating, user=f"rater{rating}")
        assert "glad it helped" not in text
        assert "logged for the maintainers" in text and "add a note" in text
    changed = rate(core, decline, -1, user="rater1")
    assert "changed your rating to 👎" in changed and "glad it helped" not in changed
