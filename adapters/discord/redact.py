"""Keeps the bot token out of every log line, traceback included."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

MASK = "[REDACTED]"


class TokenFilter(logging.Filter):
    """Replaces a secret in a record's message, traceback and stack with `[REDACTED]`.

    Attach it to handlers (not loggers): a logger's filters do not see records
    propagated from child loggers such as `discord.http`.

    Args:
        secret: The text to hide.
    """

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drop it."""
        if not self.secret:
            return True
        message = record.getMessage()
        if self.secret in message:
            record.msg = message.replace(self.secret, MASK)
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self.secret in record.exc_text:
            record.exc_text = record.exc_text.replace(self.secret, MASK)
        if record.stack_info and self.secret in record.stack_info:
            record.stack_info = record.stack_info.replace(self.secret, MASK)
        return True


def redact(text: str, secrets: list[str]) -> str:
    """Return `text` with every non-empty secret replaced by `[REDACTED]`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


@contextmanager
def redacting(secret: str, logger: logging.Logger | None = None) -> Iterator[TokenFilter]:
    """Attach a `TokenFilter` to every handler of `logger` (default root) while the block runs."""
    target = logger or logging.getLogger()
    token_filter = TokenFilter(secret)
    handlers = list(target.handlers)
    for handler in handlers:
        handler.addFilter(token_filter)
    try:
        yield token_filter
    finally:
        for handler in handlers:
            handler.removeFilter(token_filter)
