"""Telegram settings from the environment, checked at start-up (adapters/telegram/config.py)."""

from __future__ import annotations

import pytest

from adapters.telegram.config import load_telegram_config
from bot.config import ConfigError
from tests.adapters.fake_telegram import TOKEN


def test_config_requires_token_and_parses_the_rest() -> None:
    with pytest.raises(ConfigError, match="@BotFather"):
        load_telegram_config({})
    with pytest.raises(ConfigError, match="does not look like a bot token"):
        load_telegram_config({"TELEGRAM_BOT_TOKEN": "not a token"})
    with pytest.raises(ConfigError, match="TELEGRAM_ADMIN_IDS"):
        load_telegram_config({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_ADMIN_IDS": "12, alice"})
    with pytest.raises(ConfigError, match="https://"):
        load_telegram_config({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_URL": "http://example.com/hook"})
    for url in ("https://bot.example.com:8080/hook", "https://bot.example.com:99999/hook", "https:///hook"):
        with pytest.raises(ConfigError, match=r"TELEGRAM_WEBHOOK_URL=.*(443, 80, 88 or 8443|host)"):
            load_telegram_config({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_URL": url})
    for url in ("https://bot.example.com/hook", "https://bot.example.com:8443/hook", "https://bot.example.com:88/h"):
        assert load_telegram_config({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_URL": url}).webhook_url == url

    config = load_telegram_config(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": "http://localhost:8081/",
            "TELEGRAM_ADMIN_IDS": "12, 34",
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.com/telegram/hook",
            "TELEGRAM_WEBHOOK_PORT": "8080",
        }
    )
    assert config.api_url == "http://localhost:8081/bot"
    assert config.file_url == "http://localhost:8081/file/bot"
    assert config.admin_ids == frozenset({12, 34}) and config.is_admin(12) and not config.is_admin(99)
    assert config.mode == "webhook" and config.webhook_path == "telegram/hook" and config.webhook_port == 8080
    assert config.webhook_secret, "a webhook without a configured secret gets a random one"
    assert load_telegram_config({"TELEGRAM_BOT_TOKEN": TOKEN}).api_url == "https://api.telegram.org/bot"
