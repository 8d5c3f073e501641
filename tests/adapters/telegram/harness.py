"""What the Telegram tests share: the users, running the bot against the fake, waiting for its answers."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from adapters.redaction import install_redaction, remove_redaction
from adapters.telegram.app import build_application, running
from adapters.telegram.config import TelegramConfig
from adapters.telegram.handlers import TelegramApp
from adapters.telegram.retry import RetryingRateLimiter
from bot.conversation.core import Core
from tests.adapters.fake_telegram import TOKEN, FakeTelegram

ADMIN = 4242
USER = 1001
NOTICE = "You're sending messages faster"
GROUP = -1001234567890
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def bounded(seconds: float) -> Callable[[F], F]:
    """Fail an async test that runs longer than `seconds` instead of hanging the suite."""

    def decorate(test: F) -> F:
        @functools.wraps(test)
        async def run(*args: Any, **kwargs: Any) -> Any:
            async with asyncio.timeout(seconds):
                return await test(*args, **kwargs)

        return run  # type: ignore[return-value]

    return decorate


def config_for(fake: FakeTelegram, **overrides: Any) -> TelegramConfig:
    """Settings pointing the bot at the fake server."""
    values: dict[str, Any] = dict(token=TOKEN, api_url=fake.base_url, admin_ids=frozenset({ADMIN}))
    values.update(overrides)
    return TelegramConfig(**values)


class Sleeps:
    """The retry policy's sleep, for tests: records every wait and returns without waiting for the clock.

    Closed (`Sleeps(open=False)`), every wait lasts until the test calls `open()`: a pause
    that never ends on its own, whatever the machine's speed.
    """

    def __init__(self, open: bool = True) -> None:
        self.durations: list[float] = []
        self._gate = asyncio.Event()
        if open:
            self._gate.set()

    async def __call__(self, seconds: float) -> None:
        self.durations.append(seconds)
        await self._gate.wait()

    def open(self) -> None:
        """End the waits in progress; later ones return at once."""
        self._gate.set()

    async def until(self, count: int) -> None:
        """Wait until at least `count` waits have started."""
        while len(self.durations) < count:
            await asyncio.sleep(0.005)


def fast_limiter(sleeps: Sleeps | None = None) -> RetryingRateLimiter:
    """The production retry policy, with a recording sleep that does not wait, so tests stay quick."""
    return RetryingRateLimiter(max_retries=3, backoff=0.05, sleep=sleeps or Sleeps())


@asynccontextmanager
async def bot_running(
    core: Core, fake: FakeTelegram, sleeps: Sleeps | None = None, **overrides: Any
) -> AsyncIterator[TelegramApp]:
    """Run the bot over `core` against the fake for the duration of a `with` block (its waits go to `sleeps`)."""
    config = config_for(fake, **overrides)
    app = build_application(core, config, fast_limiter(sleeps))
    try:
        async with running(app, config):
            yield app
    finally:
        remove_redaction(install_redaction(config.secrets()))


async def answers(fake: FakeTelegram, chat_id: int, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Wait until the bot has sent at least `count` messages to a chat and return them all."""
    return await fake.wait_for(lambda: (sent := fake.sent_to(chat_id)) and len(sent) >= count and sent, timeout)  # type: ignore[no-any-return]


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Every inline button under a message."""
    return [b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


def button(message: dict[str, Any], text: str) -> str:
    """The callback data of the button labelled `text`."""
    return str(next(b["callback_data"] for b in buttons(message) if b["text"] == text))
