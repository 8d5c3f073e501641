"""Waiting out Telegram's 429s and retrying network errors, for every Bot API call the bot makes.

python-telegram-bot routes every request except `getUpdates` through the application's rate
limiter, so that is where the retries live (the updater retries `getUpdates` itself, with backoff).
The `[rate-limiter]` extra (AIORateLimiter) is not needed: this bot only reacts to limits.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

JSON = bool | dict[str, Any] | list[dict[str, Any]]


def retry_after_seconds(exc: RetryAfter) -> float:
    """The wait Telegram asked for, in seconds (without tripping PTB's int/timedelta deprecation)."""
    value = getattr(exc, "_retry_after", None)
    if not isinstance(value, dt.timedelta):
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class RetryingRateLimiter(BaseRateLimiter[int]):
    """Retry a Bot API call after a 429 (waiting `retry_after`) or a network error (with backoff).

    A 429 pauses every outgoing call, not just the one that got it: Telegram's limits are
    mostly per bot, and hammering on makes the wait longer. `BadRequest` (a subclass of
    `NetworkError` in python-telegram-bot) is never retried: the same request would fail again.

    Args:
        max_retries: Retries per call after the first attempt.
        backoff: First wait after a network error, in seconds; doubled on each retry.
        max_backoff: Longest wait after a network error.
        max_retry_after: Longest 429 wait honoured; a longer one is raised to the caller.
    """

    def __init__(self, max_retries: int = 4, backoff: float = 1.0, max_backoff: float = 30.0, max_retry_after: float = 120.0) -> None:
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self._resume_at = 0.0
        self.retries = 0

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def _wait_for_pause(self) -> None:
        loop = asyncio.get_running_loop()
        while (delay := self._resume_at - loop.time()) > 0:
            await asyncio.sleep(delay)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSON:
        """Make the call, retrying as described in the class docstring.

        Args:
            callback: Makes the request.
            args: Positional arguments for `callback`.
            kwargs: Keyword arguments for `callback`.
            endpoint: The Bot API method, such as "sendMessage".
            data: The request's parameters.
            rate_limit_args: Retries for this call instead of `max_retries`.

        Returns:
            What `callback` returned.
        """
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        loop = asyncio.get_running_loop()
        for attempt in range(retries + 1):
            await self._wait_for_pause()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                if attempt >= retries or wait > self.max_retry_after:
                    raise
                log.warning("Telegram said 429 Too Many Requests on %s; retrying in %.0f s", endpoint, wait)
                self._resume_at = max(self._resume_at, loop.time() + wait)
            except BadRequest:
                raise
            except NetworkError as exc:
                if attempt >= retries:
                    raise
                # Jitter keeps many callers that failed together from retrying together.
                wait = min(self.max_backoff, self.backoff * 2**attempt) * random.uniform(0.8, 1.2)
                log.warning("network error on %s (%s); retry %d of %d in %.1f s", endpoint, exc, attempt + 1, retries, wait)
                await asyncio.sleep(wait)
            self.retries += 1
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
