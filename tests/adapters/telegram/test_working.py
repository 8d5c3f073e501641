"""What a chat shows while the core works (adapters/telegram/working.py): "typing", only for a slow answer."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from telegram.ext import ExtBot

from adapters.telegram import working
from adapters.telegram.handlers import TelegramApp
from tests.adapters.fake_telegram import FakeTelegram
from tests.adapters.telegram.harness import USER, answers, bounded, button, buttons


@bounded(20)
async def test_a_quick_answer_comes_without_typing(bot: TelegramApp, fake: FakeTelegram) -> None:
    fake.push_private(USER, "how much does a freelancer cost?")
    assert (await answers(fake, USER))[0]["text"].startswith("Pricing and costs")
    assert fake.calls_to("sendChatAction") == [], "answered within TYPING_DELAY: no typing call"


@bounded(20)
async def test_private_question_is_answered_with_typing_and_buttons(
    bot: TelegramApp, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(working, "TYPING_DELAY", 0.0)  # as if the answer took longer than the delay
    fake.push_private(USER, "how much does a freelancer cost?")
    answer = (await answers(fake, USER))[0]
    assert answer["text"].startswith("Pricing and costs\n\nFreelancers charge hourly")
    assert "<b>Pricing and costs</b>" in answer["raw"] and "<b>Key points:</b>" in answer["raw"]
    assert [b["text"] for b in buttons(answer)] == ["Contracts", "👍", "👎"]
    assert button(answer, "Contracts") == "t:contracts"
    assert button(answer, "👍").startswith("fb:+:")

    methods = [(c.method, c.params.get("chat_id")) for c in fake.calls if c.method in ("sendChatAction", "sendMessage")]
    assert methods.index(("sendChatAction", USER)) < methods.index(("sendMessage", USER))
    assert fake.calls_to("sendChatAction")[0].params["action"] == "typing"


class SlowTypingBot:
    """Records each "typing" sent, and when; each one takes `takes` seconds to go through."""

    def __init__(self, takes: float = 0.0) -> None:
        self.takes = takes
        self.sent: list[float] = []
        self.finished = 0

    async def send_chat_action(self, chat_id: int, action: str, **kwargs: Any) -> bool:
        self.sent.append(asyncio.get_running_loop().time())
        await asyncio.sleep(self.takes)
        self.finished += 1
        return True


@bounded(10)
async def test_typing_starts_after_the_delay_refreshes_and_stops_with_the_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(working, "TYPING_DELAY", 0.1)
    monkeypatch.setattr(working, "TYPING_REFRESH", 0.1)
    bot = SlowTypingBot()
    tasks_before = len(asyncio.all_tasks())
    async with working.typing(cast(ExtBot[Any], bot), 7):
        await asyncio.sleep(0.05)
        assert bot.sent == [] and len(asyncio.all_tasks()) == tasks_before, "no task before the delay"
    await asyncio.sleep(0.2)
    assert bot.sent == [], "a block shorter than the delay never shows typing"

    started = asyncio.get_running_loop().time()
    async with working.typing(cast(ExtBot[Any], bot), 7):
        await asyncio.sleep(0.45)
    assert 2 <= len(bot.sent) <= 5, "shown after the delay, then refreshed"
    assert bot.sent[0] - started >= 0.09
    count = len(bot.sent)
    await asyncio.sleep(0.3)
    assert len(bot.sent) == count, "nothing after the block ends"


@bounded(10)
async def test_a_typing_under_way_when_the_answer_is_ready_finishes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(working, "TYPING_DELAY", 0.05)
    bot = SlowTypingBot(takes=0.2)
    async with working.typing(cast(ExtBot[Any], bot), 7):
        await asyncio.sleep(0.1)  # the typing request is on its way
    assert bot.sent and bot.finished == len(bot.sent), "the answer waits for it, so it cannot land after the answer"
