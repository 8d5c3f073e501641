"""Building, starting and stopping the application (adapters/telegram/app.py): commands, token, webhook mode."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from adapters.redaction import install_redaction, remove_redaction
from adapters.telegram.app import build_application, running
from adapters.telegram.handlers import TelegramApp
from bot.config import ConfigError
from bot.conversation.core import Core
from tests.adapters.fake_telegram import TOKEN, FakeTelegram
from tests.adapters.telegram.harness import USER, answers, bot_running, bounded, buttons, config_for, fast_limiter


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def redaction() -> Iterator[None]:
    """Take the token filter back off the log handlers after the test."""
    yield
    remove_redaction(install_redaction([TOKEN]))


@bounded(20)
async def test_start_registers_commands_and_greets(bot: TelegramApp, fake: FakeTelegram) -> None:
    menus = {
        str((c.params.get("scope") or {}).get("type", "default")): c.params["commands"]
        for c in fake.calls_to("setMyCommands")
        if c.status == 200
    }
    assert [c["command"] for c in menus["default"]] == ["start", "help", "topics", "ask", "forget"]
    assert {"reload", "stats"} <= {c["command"] for c in menus["chat"]}

    fake.push_private(USER, "/start")
    greeting = (await answers(fake, USER))[0]
    assert greeting["parse_mode"] == "HTML"
    assert "I'm outsourcebot" in greeting["text"]
    assert "/topics" in greeting["text"] and "/forget" in greeting["text"]
    assert all(b["callback_data"].startswith("t:") for b in buttons(greeting)) and buttons(greeting)


@bounded(20)
async def test_rejected_token_stops_start_up_with_botfather_hint(
    core: Core, fake: FakeTelegram, redaction: None
) -> None:
    wrong = "123456789:not-the-right-token-at-all"
    config = config_for(fake, token=wrong)
    app = build_application(core, config, fast_limiter())
    with pytest.raises(ConfigError, match="@BotFather") as caught:
        async with running(app, config):
            pass
    assert wrong not in str(caught.value)
    assert [c.status for c in fake.calls_to("getMe")] == [401]


@bounded(25)
async def test_webhook_mode_receives_an_update(core: Core, fake: FakeTelegram) -> None:
    port = free_port()
    overrides: dict[str, Any] = dict(
        webhook_url="https://bot.example.invalid/telegram/hook",
        webhook_listen="127.0.0.1",
        webhook_port=port,
        webhook_secret="s3cret-Token_1",
    )
    async with bot_running(core, fake, **overrides):
        assert fake.webhook["url"] == "https://bot.example.invalid/telegram/hook"
        assert fake.webhook["secret_token"] == "s3cret-Token_1"
        update = {"update_id": 500, "message": fake.message(fake.private_chat(USER), USER, "what is the chasm")}
        url = f"http://127.0.0.1:{port}/telegram/hook"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as refused:
                assert refused.status == 403
            async with http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"}
            ) as accepted:
                assert accepted.status == 200
        answer = (await answers(fake, USER))[0]
        assert answer["text"].startswith("Crossing the chasm")
    assert not fake.calls_to("getUpdates")
    assert len(fake.sent_to(USER)) == 1, "the update with the wrong secret was not processed"
