"""What the Telegram bot logs: never its token, at DEBUG no raw ids or user text, the platform libraries at INFO."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.redaction import REDACTED, install_redaction, remove_redaction
from adapters.telegram.app import build_application, running
from bot.conversation.core import Core
from tests.adapters.fake_telegram import TOKEN, FakeTelegram, bad_gateway, cant_parse
from tests.adapters.telegram.harness import USER, answers, bot_running, bounded, config_for, fast_limiter
from tests.conftest import make_core


@bounded(20)
async def test_token_never_appears_in_logs(core: Core, fake: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    config = config_for(fake)
    app = build_application(core, config, fast_limiter())
    assert logging.getLogger("httpx").level == logging.WARNING
    # Even when someone turns the HTTP client's request logging back on, the URL's token is hidden.
    caplog.set_level(logging.DEBUG, logger="httpx")
    fake.fail("sendMessage", bad_gateway())
    async with running(app, config):
        fake.push_private(USER, "/start")
        await answers(fake, USER)
    remove_redaction(install_redaction(config.secrets()))
    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert f"/bot{REDACTED}/" in logged, "the HTTP client's URLs were logged, redacted"
    assert TOKEN not in logged and TOKEN.split(":")[1] not in logged


PLATFORM_LOGGERS = ("telegram", "httpx", "httpcore", "discord", "aiohttp", "websockets", "apscheduler")


@pytest.fixture
def logger_levels() -> Iterator[None]:
    """Put the platform libraries' log levels back after a test that configures logging."""
    levels = {name: logging.getLogger(name).level for name in (*PLATFORM_LOGGERS, "")}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@bounded(30)
async def test_debug_logs_hold_no_raw_ids_no_user_text_and_no_platform_debug(
    tiny_knowledge: Path,
    tmp_path: Path,
    fake: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    logger_levels: None,
) -> None:
    """At OUTSOURCEBOT_LOG_LEVEL=DEBUG: salted hashes instead of ids, and the platform libraries stay at INFO."""
    from adapters.cli import setup_logging

    user = 7349215  # an id that cannot turn up in a log line by chance
    monkeypatch.setenv("OUTSOURCEBOT_LOG_LEVEL", "DEBUG")
    monkeypatch.delenv("OUTSOURCEBOT_PLATFORM_DEBUG", raising=False)
    setup_logging()
    caplog.set_level(logging.DEBUG)
    core = make_core(tiny_knowledge, tmp_path / "log-data", rate_limit=3, rate_window=60)
    fake.fail("sendMessage", cant_parse())
    async with bot_running(core, fake):
        fake.push_private(user, "jane@example.com zqx fnord 🤷")
        await answers(fake, user)
        fake.push_private(user, "/stats")
        fake.push_private(user, "what is the chasm")
        fake.push_private(user, "what is the chasm")
        fake.push_private(user, "what is the chasm")
        await answers(fake, user, 4)
        await fake.wait_for(lambda: "dropping a message" in caplog.text)
    assert "rejected the HTML" in caplog.text and "refused /stats" in caplog.text
    assert str(user) not in caplog.text, "no raw user or chat id"
    assert core.store.hash_id("telegram", str(user))[:12] in caplog.text, "a salted hash names the user instead"
    assert "jane@example.com" not in caplog.text and f"User{user}" not in caplog.text, "no user text or names"
    debug = [r for r in caplog.records if r.name.split(".")[0] in PLATFORM_LOGGERS and r.levelno < logging.INFO]
    assert debug == [], "the platform libraries log at INFO or above"
    monkeypatch.setenv("OUTSOURCEBOT_PLATFORM_DEBUG", "1")  # the separate, documented-as-unsafe setting
    setup_logging()
    assert logging.getLogger("telegram").getEffectiveLevel() == logging.DEBUG
    assert "OUTSOURCEBOT_PLATFORM_DEBUG is on" in caplog.text
