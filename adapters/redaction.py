"""Keep the bot tokens (and the webhook secret) out of every log line, traceback included, on every platform.

python-telegram-bot and the HTTP clients (httpx, aiohttp) put the request URL, which contains the token, in log messages
and in some exception texts; discord.py can log its token in a traceback. A filter on every
handler rewrites such records before they are written, whichever logger they come from
(a logger's own filters would not see records propagated from child loggers such as
`discord.http`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

REDACTED = "[REDACTED]"
CHATTY_LOGGERS = ("httpx", "httpcore")
_installed: dict[tuple[str, ...], SecretRedactor] = {}


class SecretRedactor(logging.Filter):
    """A logging filter that replaces secrets in messages, tracebacks and stack traces.

    Args:
        secrets: Strings to hide. For a bot token `123:ABC`, the part after the colon is hidden too.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        found: set[str] = set()
        for secret in [secrets] if isinstance(secrets, str) else secrets:  # one secret, not its characters
            if secret:
                found.add(secret)
                tail = secret.partition(":")[2]
                if len(tail) >= 8:
                    found.add(tail)
        # Longest first, so the whole token is replaced before its tail.
        self.secrets = sorted(found, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """Return `text` with every secret replaced by [REDACTED]."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's problem to report, not ours
            return True
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def _handlers() -> list[logging.Handler]:
    handlers = list(logging.getLogger().handlers)
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            handlers.extend(logger.handlers)
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    return handlers


def install_redaction(secrets: Iterable[str]) -> SecretRedactor:
    """Hide `secrets` on every handler configured now, and quiet the HTTP client's per-request logs.

    Call it after logging is configured. Installing again for the same secrets is harmless.

    Args:
        secrets: The token and webhook secret.

    Returns:
        The filter, for `remove_redaction`.
    """
    redactor = SecretRedactor(secrets)
    redactor = _installed.setdefault(tuple(redactor.secrets), redactor)
    root = logging.getLogger()
    for target in [root, *_handlers()]:
        target.addFilter(redactor)  # a no-op when already there
    for name in CHATTY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)
    return redactor


def remove_redaction(redactor: SecretRedactor) -> None:
    """Take a filter installed by `install_redaction` off every handler (tests)."""
    for target in [logging.getLogger(), *_handlers()]:
        target.removeFilter(redactor)
    _installed.pop(tuple(redactor.secrets), None)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Return `text` with every non-empty secret (and a Telegram token's tail) replaced by [REDACTED]."""
    return SecretRedactor(secrets).redact(text)


@contextmanager
def redacting(secrets: Iterable[str]) -> Iterator[SecretRedactor]:
    """Hide `secrets` on every log handler while the block runs (see `install_redaction`)."""
    redactor = install_redaction(secrets)
    try:
        yield redactor
    finally:
        remove_redaction(redactor)
