"""The Discord token never reaches the logs, not even in a record's stack info (adapters/redaction.py)."""

from __future__ import annotations

import logging

import pytest

from adapters.redaction import redacting
from bot.conversation.core import Core
from tests.adapters.discord.harness import PRICING_QUESTION, ask, running
from tests.adapters.fake_discord import TOKEN, FakeDiscord


async def test_the_token_never_reaches_the_logs(
    core: Core, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # The CLI's logging set-up (run in-process by other tests) keeps the "discord" loggers at INFO.
    caplog.set_level(logging.DEBUG, logger="discord.http")
    async with running(core, fake):
        logging.getLogger("discord.http").debug("request with Authorization: Bot %s", TOKEN)
        await ask(fake, PRICING_QUESTION)
    assert "[REDACTED]" in caplog.text
    assert TOKEN not in caplog.text


def test_the_token_filter_scrubs_stack_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    logger = logging.getLogger("discord.client")
    with redacting([TOKEN]):
        record = logger.makeRecord(
            logger.name,
            logging.WARNING,
            __file__,
            1,
            "connecting",
            (),
            None,
            sinfo=f'Stack (most recent call last):\n  File "x.py", line 1, in start\n    login("{TOKEN}")',
        )
        logger.handle(record)
    assert "connecting" in caplog.text and 'login("[REDACTED]")' in caplog.text
    assert TOKEN not in caplog.text
