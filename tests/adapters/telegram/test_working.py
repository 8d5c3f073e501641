"""What a chat shows while the core works (adapters/telegram/working.py): "typing", only for a slow answer."""

from __future__ import annotations

import pytest

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
