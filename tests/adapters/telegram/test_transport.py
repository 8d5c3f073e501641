"""The Bot API client keeps few requests in its connection pool and the bot works on a bounded number of updates.

Both bounds keep the event loop's cost per answer flat as chats grow (httpcore re-scans its pool on every
request; every update under way past the core's pace only waits, showing "typing"); these tests check the
bounds hold, and that nothing is lost or reordered behind them.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from telegram.request import HTTPXRequest

from adapters.redaction import install_redaction, remove_redaction
from adapters.telegram.app import CONCURRENT_UPDATES, build_application, running
from adapters.telegram.config import TelegramConfig
from adapters.telegram.retry import RetryingRateLimiter
from adapters.telegram.transport import CONNECTIONS, GatedHTTPXRequest
from adapters.telegram.updates import ChatFairProcessor
from bot.conversation.core import Core
from tests.adapters.fake_telegram import TOKEN, FakeTelegram


@pytest.fixture
def redaction() -> Iterator[None]:
    """Take the token filter back off the log handlers after the test."""
    yield
    remove_redaction(install_redaction([TOKEN]))


def test_sniffio_is_installed_for_httpcore() -> None:
    """httpcore imports sniffio on every lock and event it sets up; missing, each import searches sys.path again.

    That search was a sixth of the bot's event loop under load. sniffio is in the telegram extra.
    """
    assert importlib.util.find_spec("sniffio") is not None, "pip install -e '.[telegram]' (sniffio)"


async def test_the_gate_lets_at_most_its_connections_into_the_pool_in_arrival_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inside, most, entered = 0, 0, []

    async def pooled(self: HTTPXRequest, url: str, method: str, *args: Any) -> tuple[int, bytes]:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        entered.append(url)
        for _ in range(3):  # stay inside across a few turns of the loop, as a real request does
            await asyncio.sleep(0)
        inside -= 1
        return 200, url.encode()

    monkeypatch.setattr(HTTPXRequest, "do_request", pooled)
    request = GatedHTTPXRequest(connections=4)
    urls = [f"http://127.0.0.1/bot/sendMessage?n={n}" for n in range(40)]
    async with asyncio.timeout(10):
        answers = await asyncio.gather(*(request.do_request(url, "POST") for url in urls))
    assert most == 4
    assert entered == urls
    assert [body.decode() for _, body in answers] == urls
    await request.shutdown()


async def test_a_failed_request_gives_its_place_back(monkeypatch: pytest.MonkeyPatch) -> None:
    async def failing(self: HTTPXRequest, *args: Any) -> tuple[int, bytes]:
        raise OSError("connection refused")

    monkeypatch.setattr(HTTPXRequest, "do_request", failing)
    request = GatedHTTPXRequest(connections=2)
    for _ in range(5):  # more failures than places: each one released its place
        with pytest.raises(OSError):
            await asyncio.wait_for(request.do_request("http://127.0.0.1/bot/getMe", "POST"), 5)
    await request.shutdown()


def test_the_application_uses_the_gated_client_and_bounded_updates(core: Core, tmp_path: Path, redaction: None) -> None:
    config = TelegramConfig(token=TOKEN, api_url="http://127.0.0.1:9/bot")
    app = build_application(core, config, RetryingRateLimiter())
    assert isinstance(app.bot.request, GatedHTTPXRequest)
    assert app.bot.request.connections == CONNECTIONS
    assert isinstance(app.update_processor, ChatFairProcessor)
    assert app.update_processor.working == CONCURRENT_UPDATES
    assert 1 < CONNECTIONS < CONCURRENT_UPDATES


class CountingFake(FakeTelegram):
    """The fake Bot API, counting the sendMessage calls under way at once (each takes a little while)."""

    def __init__(self) -> None:
        super().__init__()
        self.sending = 0
        self.most_sending = 0

    async def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        self.sending += 1
        self.most_sending = max(self.most_sending, self.sending)
        try:
            await asyncio.sleep(0.01)
            return await super()._m_sendmessage(params)
        finally:
            self.sending -= 1


async def test_many_chats_at_once_are_each_answered_once_in_order_through_few_connections(
    core: Core, redaction: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("adapters.telegram.app.CONNECTIONS", 3)
    core.pacing.limiter.limit = 0
    fake = CountingFake()
    await fake.start()
    users = [70_000 + n for n in range(30)]
    try:
        config = TelegramConfig(token=TOKEN, api_url=fake.base_url)
        app = build_application(core, config, RetryingRateLimiter(max_retries=0))
        async with asyncio.timeout(60), running(app, config):
            for user in users:
                fake.push_private(user, "/start")
                fake.push_private(user, "/forget")
            await fake.wait_for(lambda: len(fake.sent) >= 2 * len(users), timeout=50)
            await app.stop()
    finally:
        await fake.close()
    assert len(fake.sent) == 2 * len(users)
    assert 1 < fake.most_sending <= 3
    for user in users:
        first, second = fake.sent_to(user)
        assert not first["text"].startswith("Done:") and second["text"].startswith("Done: I deleted"), "in order"
