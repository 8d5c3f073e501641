"""The whole bot through Telegram: the core's one pacing gate for every kind of event, and many users at once."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from adapters.telegram import working
from bot.conversation.core import Core
from tests.adapters.fake_telegram import FakeTelegram, too_many_requests
from tests.adapters.telegram.harness import NOTICE, USER, Sleeps, answers, bot_running, bounded, button
from tests.conftest import make_core


@bounded(20)
async def test_rate_limited_user_gets_a_polite_reply(tiny_knowledge: Path, tmp_path: Path, fake: FakeTelegram) -> None:
    core = make_core(tiny_knowledge, tmp_path / "rl-data", rate_limit=2, rate_window=60)
    async with bot_running(core, fake):
        for _ in range(3):
            fake.push_private(USER, "what is the chasm")
        sent = await answers(fake, USER, 3)
        assert [m["text"].split("\n")[0][:30] for m in sent] == ["Crossing the chasm"] * 2 + [
            "You're sending messages faster"
        ]


@bounded(30)
async def test_a_flooding_user_gets_one_notice_and_stalls_nobody(
    tiny_knowledge: Path,
    tmp_path: Path,
    fake: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.conversation.pacing")
    monkeypatch.setattr(working, "TYPING_DELAY", 0.0)  # every admitted question shows typing at once
    core = make_core(tiny_knowledge, tmp_path / "flood-data", rate_limit=3, rate_window=60)
    sleeps = Sleeps(open=False)
    # Telegram's flood control on the flooder's chat: its first answer gets a 429 that lasts until the test ends it.
    fake.fail("sendMessage", too_many_requests(retry_after=30), chat_id=USER)
    async with bot_running(core, fake, sleeps) as app:
        for _ in range(60):
            fake.push_private(USER, "what is the chasm")
        await fake.wait_for(lambda: [c for c in fake.calls_to("sendMessage") if c.status == 429])
        fake.push_private(USER + 1, "do I need an NDA")
        other = (await answers(fake, USER + 1))[0]
        assert other["text"].startswith("Contracts"), "another user is answered while the flooder's chat waits"
        sleeps.open()
        await answers(fake, USER, 4)
        await app.stop()  # lets every handler finish: a second notice would be here by now
    sent = [m["text"] for m in fake.sent_to(USER)]
    assert [t.split("\n")[0] for t in sent[:3]] == ["Crossing the chasm"] * 3
    assert len(sent) == 4 and sent[3].startswith(NOTICE), "exactly one notice, after the answers"
    assert (
        len(
            [
                c
                for c in fake.calls_to("sendChatAction")
                if c.params["chat_id"] == str(USER) or c.params["chat_id"] == USER
            ]
        )
        == 3
    ), "no typing for dropped messages"
    assert caplog.text.count("dropping a message from rate-limited user") == 56
    assert core.store.count("questions") == 4


@bounded(20)
async def test_topic_buttons_are_rate_limited_like_questions(
    tiny_knowledge: Path, tmp_path: Path, fake: FakeTelegram
) -> None:
    core = make_core(tiny_knowledge, tmp_path / "rl-topic-data", rate_limit=2, rate_window=60)
    async with bot_running(core, fake) as app:
        fake.push_private(USER, "/topics")
        topics = (await answers(fake, USER))[0]
        presses = [
            fake.press(topics, button(topics, title), USER)["callback_query"]["id"]
            for title in ("Contracts", "Crossing the chasm", "Pricing and costs")
        ]
        await fake.wait_for(lambda: len(fake.calls_to("answerCallbackQuery")) >= 3)
        await app.stop()
    assert [m["text"].split("\n")[0] for m in fake.sent_to(USER)][1:] == ["Contracts"]
    acks = {c.params["callback_query_id"]: c.params.get("text") for c in fake.calls_to("answerCallbackQuery")}
    assert len(acks) == 3, "every press is answered once"
    first, second, third = (acks[p] for p in presses)
    assert first is None and str(second).startswith(NOTICE) and third is None, "one notice, then silence"


@bounded(30)
async def test_rating_presses_and_forget_are_rate_limited_like_questions(
    tiny_knowledge: Path, tmp_path: Path, fake: FakeTelegram
) -> None:
    """Every kind of event passes the core's one pacing gate: 20 👍/👎 presses, then 10 /forget."""
    core = make_core(tiny_knowledge, tmp_path / "rl-press-data", rate_limit=3, rate_window=60)
    async with bot_running(core, fake) as app:
        fake.push_private(USER, "what goes in a freelance contract")
        answer = (await answers(fake, USER))[0]
        presses = [fake.press(answer, button(answer, "👍" if i % 2 else "👎"), USER) for i in range(20)]
        await fake.wait_for(lambda: len(fake.calls_to("answerCallbackQuery")) >= len(presses))
        for _ in range(10):
            fake.push_private(USER + 1, "/forget")
        await answers(fake, USER + 1, 3)
        await app.stop()  # lets every handler finish: more replies would be here by now
    acks = [c.params.get("text") or "" for c in fake.calls_to("answerCallbackQuery")]
    assert len(acks) == 20, "every press is answered once (or its button keeps spinning)"
    assert sum(t.startswith("Thanks") for t in acks) == 2 and sum(t.startswith(NOTICE) for t in acks) == 1
    forgets = [m["text"] for m in fake.sent_to(USER + 1)]
    assert len(forgets) == 4 and forgets[3].startswith(NOTICE), "three /forget, one notice, then silence"


@bounded(90)
async def test_200_messages_from_50_users_each_answered_exactly_once(core: Core, fake: FakeTelegram) -> None:
    questions = {
        "how much does a freelancer cost": "Pricing and costs",
        "what is the chasm": "Crossing the chasm",
        "do I need an NDA": "Contracts",
        "visionaries and pragmatists": "Crossing the chasm",
    }
    asked = list(questions)
    users = [20_000 + i for i in range(50)]
    async with bot_running(core, fake) as app:
        for round_ in range(4):
            for n, user in enumerate(users):
                fake.push_private(user, asked[(n + round_) % 4])
        await fake.wait_for(lambda: len(fake.sent) >= 200, timeout=60)
        await app.stop()  # waits for every handler: a duplicate answer would be sent by now
    assert len(fake.sent) == 200
    for n, user in enumerate(users):
        titles = [m["text"].split("\n")[0] for m in fake.sent_to(user)]
        assert titles == [questions[asked[(n + r) % 4]] for r in range(4)], f"user {user}"
    assert core.store.count("questions") == 200
    assert all(c.status == 200 for c in fake.calls)
