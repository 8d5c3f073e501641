"""The Bot API client (aiohttp through PTB's `BaseRequest`) and the bounded number of updates the bot works on.

The client keeps few requests in its pool and sends what PTB's own client sent; both bounds keep the
event loop's cost per answer flat as chats grow. These tests run the client against small aiohttp
servers on 127.0.0.1 and the whole bot against the fake Bot API, and check that nothing is lost or
reordered behind the bounds and that each failure becomes the error PTB (and retry.py) expect.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from adapters.redaction import install_redaction, remove_redaction
from adapters.telegram.app import CONCURRENT_UPDATES, build_application, running
from adapters.telegram.config import TelegramConfig
from adapters.telegram.retry import RetryingRateLimiter, _maybe_delivered
from adapters.telegram.transport import CONNECTIONS, AiohttpRequest
from adapters.telegram.updates import ChatFairProcessor
from bot.conversation.core import Core
from tests.adapters.fake_telegram import TOKEN, FakeTelegram

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
def redaction() -> Iterator[None]:
    """Take the token filter back off the log handlers after the test."""
    yield
    remove_redaction(install_redaction([TOKEN]))


@asynccontextmanager
async def serve(route: Route) -> AsyncIterator[str]:
    """Serve `route` on every path of 127.0.0.1 and yield the base URL."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", route)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def client() -> AsyncIterator[AiohttpRequest]:
    request = AiohttpRequest(connections=4, read_timeout=5.0)
    await request.initialize()
    yield request
    await request.shutdown()


def data(**parameters: Any) -> RequestData:
    """Request data as PTB builds it for a call with these parameters."""
    return RequestData([RequestParameter.from_input(name, value) for name, value in parameters.items()])


def test_sniffio_is_installed_for_httpcore() -> None:
    """httpcore imports sniffio on every lock and event it sets up; missing, each import searches sys.path again.

    The bot's own requests no longer go through httpcore, but PTB still ships it (and a test client may use it).
    """
    assert importlib.util.find_spec("sniffio") is not None, "pip install -e '.[telegram]' (sniffio)"


async def test_parameters_go_as_a_form_and_the_answer_comes_back_whole(client: AiohttpRequest) -> None:
    seen: dict[str, Any] = {}

    async def route(request: web.Request) -> web.Response:
        seen.update(
            method=request.method, path=request.path, type=request.content_type, agent=request.headers["User-Agent"]
        )
        seen["form"] = dict(await request.post())
        return web.json_response({"ok": True, "result": {"echo": "é" * 5000}}, status=201)

    async with serve(route) as url:
        markup = {"inline_keyboard": [[{"text": "👍", "callback_data": "f:1"}]]}
        status, body = await client.do_request(
            f"{url}/botTOKEN/sendMessage", "POST", data(chat_id=7, text="<b>é &amp;</b>", reply_markup=markup)
        )
    assert status == 201
    assert json.loads(body) == {"ok": True, "result": {"echo": "é" * 5000}}
    assert seen["method"] == "POST" and seen["path"] == "/botTOKEN/sendMessage"
    assert seen["type"] == "application/x-www-form-urlencoded"
    assert seen["agent"] == AiohttpRequest.USER_AGENT
    assert seen["form"]["chat_id"] == "7" and seen["form"]["text"] == "<b>é &amp;</b>"
    assert json.loads(seen["form"]["reply_markup"]) == markup


async def test_a_file_goes_as_multipart_with_the_other_parameters(client: AiohttpRequest) -> None:
    seen: dict[str, Any] = {}

    async def route(request: web.Request) -> web.Response:
        seen["type"] = request.content_type
        form = await request.post()
        upload = form["document"]
        assert isinstance(upload, web.FileField)
        seen.update(chat_id=form["chat_id"], name=upload.filename, content=upload.file.read())
        return web.json_response({"ok": True, "result": True})

    async with serve(route) as url:
        document = InputFile(b"question,answer\n", filename="faq.csv")
        status, _ = await client.do_request(f"{url}/botTOKEN/sendDocument", "POST", data(chat_id=7, document=document))
    assert status == 200
    assert seen == {"type": "multipart/form-data", "chat_id": "7", "name": "faq.csv", "content": b"question,answer\n"}


async def test_at_most_its_connections_are_under_way_and_they_go_in_arrival_order() -> None:
    inside, most, entered = 0, 0, []

    async def route(request: web.Request) -> web.Response:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        entered.append(request.query["n"])
        await asyncio.sleep(0.01)  # stay a while, as Telegram does
        inside -= 1
        return web.Response(body=request.query["n"].encode())

    request = AiohttpRequest(connections=4)
    await request.initialize()
    try:
        async with serve(route) as url:
            numbers = [str(n) for n in range(40)]
            async with asyncio.timeout(20):
                answers = await asyncio.gather(*(request.do_request(f"{url}/bot/getMe?n={n}", "POST") for n in numbers))
    finally:
        await request.shutdown()
    assert most == 4
    assert [body.decode() for _, body in answers] == numbers
    # Each of the 4 connections takes the next request in line, so the server sees them in order within one batch.
    assert sorted(entered[:4], key=int) == numbers[:4] and sorted(entered, key=int) == numbers


async def test_a_refused_connection_is_a_network_error_and_gives_its_place_back() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    request = AiohttpRequest(connections=2)
    await request.initialize()
    try:
        for _ in range(5):  # more failures than places: each one released its place
            with pytest.raises(NetworkError, match="aiohttp") as failure:
                await asyncio.wait_for(request.do_request(f"http://127.0.0.1:{port}/bot/getMe", "POST"), 5)
            assert not isinstance(failure.value, TimedOut)
    finally:
        await request.shutdown()


async def test_a_slow_answer_is_timed_out_and_a_full_pool_says_nothing_was_sent() -> None:
    release = asyncio.Event()

    async def route(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"ok": True, "result": True})

    request = AiohttpRequest(connections=1, read_timeout=0.3, pool_timeout=0.2)
    await request.initialize()
    try:
        async with serve(route) as url:
            slow = asyncio.create_task(request.do_request(f"{url}/bot/sendMessage", "POST", read_timeout=5.0))
            await asyncio.sleep(0.1)  # the slow one holds the only place
            with pytest.raises(TimedOut) as queued:
                await request.do_request(f"{url}/bot/sendMessage", "POST")
            assert str(queued.value).startswith("Pool timeout")
            assert not _maybe_delivered(queued.value, "sendMessage"), "retry.py may resend what never left"
            release.set()
            assert (await slow)[0] == 200
            release.clear()
            with pytest.raises(TimedOut) as late:
                await request.do_request(f"{url}/bot/sendMessage", "POST")
            assert _maybe_delivered(late.value, "sendMessage"), (
                "a post that timed out waiting for the answer may have arrived"
            )
            release.set()
    finally:
        await request.shutdown()


async def test_a_proxy_comes_from_the_environment_once_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    request = AiohttpRequest()
    assert str(request._proxy("https://api.telegram.org/botT/getMe")[0]) == "http://proxy.example:3128"
    assert request._proxy("http://127.0.0.1:8081/botT/getMe") == (None, None)
    monkeypatch.delenv("HTTPS_PROXY")
    assert request._proxy("https://api.telegram.org/botT/sendMessage")[0] is not None, "read once, not per request"
    assert AiohttpRequest()._proxy("https://api.telegram.org/botT/getMe") == (None, None)


async def test_a_request_before_initialize_or_after_shutdown_is_refused() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/bot/getMe", "POST")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/bot/getMe", "POST")
    await request.initialize()  # a restarted application opens it again
    await request.shutdown()


def test_the_application_uses_the_aiohttp_client_and_bounded_updates(
    core: Core, tmp_path: Path, redaction: None
) -> None:
    config = TelegramConfig(token=TOKEN, api_url="http://127.0.0.1:9/bot")
    app = build_application(core, config, RetryingRateLimiter())
    calls, polls = app.bot._request[1], app.bot._request[0]
    assert isinstance(calls, AiohttpRequest) and calls.connections == CONNECTIONS
    assert isinstance(polls, AiohttpRequest) and polls.connections == 1
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
