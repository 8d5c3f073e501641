"""One redaction filter for every platform's secrets (adapters/redaction.py)."""

from __future__ import annotations

import logging

import pytest

from adapters.redaction import REDACTED, SecretRedactor, redact, redacting


def test_a_telegram_token_and_its_tail_are_both_hidden() -> None:
    token = "123456:ABCdefGHIjklMNOpqr"
    text = f"GET /bot{token}/getMe failed; retry with ABCdefGHIjklMNOpqr"
    assert redact(text, [token]) == f"GET /bot{REDACTED}/getMe failed; retry with {REDACTED}"


def test_one_secret_given_as_a_string_is_not_taken_character_by_character() -> None:
    assert SecretRedactor("discord.token.xyz").secrets == ["discord.token.xyz"]
    assert redact("a discord.token.xyz b", "discord.token.xyz") == f"a {REDACTED} b"


def test_redacting_hides_secrets_only_while_the_block_runs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    logger = logging.getLogger("tests.redaction.child")  # a child logger: its records reach the root's handlers
    with redacting(["s3cret-token-value"]):
        logger.info("calling with s3cret-token-value")
    logger.info("after: s3cret-token-value")
    assert f"calling with {REDACTED}" in caplog.text
    assert "after: s3cret-token-value" in caplog.text  # the filter is gone again
