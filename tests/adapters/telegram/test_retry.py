"""Waiting out 429s and retrying network errors (adapters/telegram/retry.py), and which failed calls are repeated."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.error import NetworkError, TimedOut

from adapters.telegram.retry import RetryingRateLimiter
from bot.conversation.core import Core
from tests.adapters.fake_telegram import FakeTelegram, bad_gateway, too_many_requests
from tests.adapters.telegram.harness import USER, Sleeps, answers, bot_running, bounded, button


@bounded(20)
async def test_429_waits_retry_after_then_succeeds(core: Core, fake: FakeTelegram) -> None:
    sleeps = Sleeps()
    fake.fail("sendMessage", too_many_requests(retry_after=7))
    async with bot_running(core, fake, sleeps):
        fake.push_private(USER, "what is the chasm")
        answer = (await answers(fake, USER))[0]
    assert answer["text"].startswith("Crossing the chasm")
    first, second = fake.calls_to("sendMessage")
    assert (first.status, second.status) == (429, 200)
    assert sleeps.durations == [pytest.approx(7, abs=0.5)], "the retry waited Telegram's retry_after"


@bounded(20)
async def test_network_errors_are_retried_with_backoff(core: Core, fake: FakeTelegram) -> None:
    sleeps = Sleeps()
    fake.fail("sendMessage", bad_gateway(), bad_gateway())
    async with bot_running(core, fake, sleeps):
        fake.push_private(USER, "what is the chasm")
        await answers(fake, USER)
    assert [c.status for c in fake.calls_to("sendMessage")] == [502, 502, 200]
    first, second = sleeps.durations
    assert 0.04 <= first <= 0.06 and 0.08 <= second <= 0.12, "backoff 0.05 s, doubled, with ±20 % jitter"


@bounded(20)
async def test_429_in_one_chat_pauses_only_that_chat(core: Core, fake: FakeTelegram) -> None:
    sleeps = Sleeps(open=False)  # the paused chat stays paused until the test says otherwise
    fake.fail("sendMessage", too_many_requests(retry_after=30), chat_id=USER)
    async with bot_running(core, fake, sleeps):
        fake.push_private(USER, "what is the chasm")
        await fake.wait_for(lambda: [c for c in fake.calls_to("sendMessage") if c.status == 429])
        fake.push_private(USER + 1, "do I need an NDA")
        assert (await answers(fake, USER + 1))[0]["text"].startswith("Contracts"), (
            "another chat is answered during the pause"
        )
        assert not fake.sent_to(USER)
        sleeps.open()
        assert (await answers(fake, USER))[0]["text"].startswith("Crossing the chasm")
    assert sleeps.durations and all(25 < d <= 30 for d in sleeps.durations)


@bounded(20)
async def test_429_without_a_chat_pauses_every_chat(core: Core, fake: FakeTelegram) -> None:
    sleeps = Sleeps(open=False)
    async with bot_running(core, fake, sleeps):
        fake.push_private(USER, "what is the chasm")
        answer = (await answers(fake, USER))[0]
        fake.fail("answerCallbackQuery", too_many_requests(retry_after=30))  # no chat_id: a limit on the whole bot
        fake.press(answer, button(answer, "👍"), USER)
        await fake.wait_for(lambda: fake.calls_to("answerCallbackQuery"))
        fake.push_private(USER + 1, "do I need an NDA")
        await sleeps.until(2)  # the retried acknowledgement and the other chat's first call both wait
        assert not fake.sent_to(USER + 1)
        sleeps.open()
        assert (await answers(fake, USER + 1))[0]["text"].startswith("Contracts")
    assert [c.status for c in fake.calls_to("answerCallbackQuery")] == [429, 200]


async def _no_sleep(_: float) -> None:
    return None


async def attempts(endpoint: str, error: NetworkError) -> int:
    """How many times the limiter makes a call that fails once with `error` and then succeeds."""
    calls = 0

    async def call() -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise error
        return True

    limiter = RetryingRateLimiter(max_retries=3, backoff=0.01, sleep=_no_sleep)
    try:
        await limiter.process_request(call, (), {}, endpoint, {"chat_id": 1}, None)
    except NetworkError:
        pass
    return calls


@pytest.mark.parametrize(
    ("endpoint", "error", "expected"),
    [
        # The request may have reached Telegram: sending it again could post the answer twice.
        ("sendMessage", TimedOut("Timed out"), 1),
        ("copyMessage", TimedOut(), 1),
        # It never left the pool, or it posts nothing: safe to repeat.
        ("sendMessage", TimedOut("Pool timeout: All connections in the connection pool are occupied."), 2),
        ("sendMessage", NetworkError("httpx.ConnectError: connection refused"), 2),
        ("answerCallbackQuery", TimedOut("Timed out"), 2),
        ("editMessageReplyMarkup", TimedOut("Timed out"), 2),
    ],
)
async def test_a_timed_out_post_is_not_sent_twice(endpoint: str, error: NetworkError, expected: int) -> None:
    assert await attempts(endpoint, error) == expected
