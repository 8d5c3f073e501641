"""Which failed Bot API calls the retrying limiter repeats (adapters/telegram/retry.py)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from telegram import Update
from telegram.error import NetworkError, TimedOut

from adapters.telegram.config import TelegramConfig
from adapters.telegram.handlers import TelegramHandlers
from adapters.telegram.retry import RetryingRateLimiter
from bot.conversation.core import Core
from tests.adapters.fake_telegram import TOKEN


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


class RecordingBot:
    """Stands in for the bot in the error boundary: records what it would send."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send_message(self, *args: Any, **kwargs: Any) -> None:
        self.sent.append({"args": args, **kwargs})


async def test_a_timed_out_reply_gets_no_apology_after_it(core: Core) -> None:
    """A timed-out sendMessage may have arrived: an apology would follow the answer (load test, 10 of 1,000)."""
    handlers = TelegramHandlers(core, TelegramConfig(token=TOKEN, api_url="http://127.0.0.1:9/bot"))
    update = Update.de_json(
        {"update_id": 7, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "hi"}},
        None,
    )
    bot = RecordingBot()
    await handlers.on_error(update, SimpleNamespace(error=TimedOut(), bot=bot))  # type: ignore[arg-type]
    assert bot.sent == []
    await handlers.on_error(update, SimpleNamespace(error=RuntimeError("index exploded"), bot=bot))  # type: ignore[arg-type]
    assert len(bot.sent) == 1 and "Sorry, something went wrong" in str(bot.sent[0])
