"""Waiting out Telegram's 429s and retrying network errors, for every Bot API call the bot makes.

python-telegram-bot routes every request except `getUpdates` through the application's rate
limiter, so that is where the retries live (the updater retries `getUpdates` itself, with backoff,
and waits out a 429 on it for every chat, since it fetches updates for all of them).
The `[rate-limiter]` extra (AIORateLimiter) is not needed: this bot only reacts to limits.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

JSON = bool | dict[str, Any] | list[dict[str, Any]]
Sleep = Callable[[float], Awaitable[object]]
POSTING = ("send", "forward", "copy")
"""Bot API methods that post something (sendMessage, forwardMessage, copyMessage...): repeating
one Telegram already received posts it twice, and the Bot API has no idempotency key."""
PRUNE_PAUSES_AT = 1_000
"""Forget chats whose pause is over once this many are remembered, so memory stays bounded."""


def _maybe_delivered(exc: NetworkError, endpoint: str) -> bool:
    """True when a failed call that posts something may have reached Telegram, so a retry could post it twice.

    A timeout waiting for a free connection (python-telegram-bot's "Pool timeout") never sent the
    request; any other timeout may have sent it and lost only the answer. Under load that was the
    case for a few of 1,000 answers (tests/adapters/test_load.py), each then sent twice.
    """
    return isinstance(exc, TimedOut) and endpoint.startswith(POSTING) and not str(exc).startswith("Pool timeout")


def retry_after_seconds(exc: RetryAfter) -> float:
    """The wait Telegram asked for, in seconds (without tripping PTB's int/timedelta deprecation)."""
    value = getattr(exc, "_retry_after", None)
    if not isinstance(value, dt.timedelta):
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class RetryingRateLimiter(BaseRateLimiter[int]):
    """Retry a Bot API call after a 429 (waiting `retry_after`) or a network error (with backoff).

    A 429 on a call to one chat (a request with a `chat_id`, such as sendMessage) pauses only
    that chat: Telegram limits messages per chat, and one flooded chat must not hold up the
    others. A 429 on a call without a chat (answerCallbackQuery, setMyCommands, ...) is a
    limit on the whole bot and pauses every call. `BadRequest` (a subclass of `NetworkError`
    in python-telegram-bot) is never retried: the same request would fail again. A timeout on a
    call that posts something is not retried either unless the request never left (see
    `_maybe_delivered`): a duplicate answer is worse than a lost one the person can ask again.

    Args:
        max_retries: Retries per call after the first attempt.
        backoff: First wait after a network error, in seconds; doubled on each retry.
        max_backoff: Longest wait after a network error.
        max_retry_after: Longest 429 wait honoured; a longer one is raised to the caller.
        sleep: How to wait (`asyncio.sleep`; tests pass one that records the waits).
        clock: Monotonic seconds (`time.monotonic`).
    """

    def __init__(
        self,
        max_retries: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        max_retry_after: float = 120.0,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        self._clock = clock
        self._resume_at = 0.0
        self._chat_resume_at: dict[str, float] = {}
        self.retries = 0

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    def paused_until(self, chat: str | None) -> float:
        """When calls to `chat` (None: calls without a chat) may go again, on the `clock`'s scale."""
        return max(self._resume_at, self._chat_resume_at.get(chat, 0.0) if chat is not None else 0.0)

    def _pause(self, chat: str | None, seconds: float) -> None:
        until = self._clock() + seconds
        if chat is None:
            self._resume_at = max(self._resume_at, until)
            return
        if len(self._chat_resume_at) >= PRUNE_PAUSES_AT:
            now = self._clock()
            self._chat_resume_at = {c: t for c, t in self._chat_resume_at.items() if t > now}
        self._chat_resume_at[chat] = max(self._chat_resume_at.get(chat, 0.0), until)

    async def _wait_for_pause(self, chat: str | None) -> None:
        # Sleep until the pause ends, again only if another 429 extended it meanwhile.
        slept_for = None
        while (until := self.paused_until(chat)) != slept_for and (delay := until - self._clock()) > 0:
            slept_for = until
            await self._sleep(delay)

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
        chat = str(data["chat_id"]) if data.get("chat_id") is not None else None
        for attempt in range(retries + 1):
            await self._wait_for_pause(chat)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                if wait > self.max_retry_after:
                    raise
                # Telegram's word holds even when this call gives up: the next one waits too.
                self._pause(chat, wait)
                if attempt >= retries:
                    raise
                where = f"chat {chat}" if chat is not None else "every chat"
                log.warning("Telegram said 429 Too Many Requests on %s; pausing %s for %.0f s", endpoint, where, wait)
            except BadRequest:
                raise
            except NetworkError as exc:
                if attempt >= retries or _maybe_delivered(exc, endpoint):
                    raise
                # Jitter keeps many callers that failed together from retrying together.
                wait = min(self.max_backoff, self.backoff * 2**attempt) * random.uniform(0.8, 1.2)
                log.warning(
                    "network error on %s (%s); retry %d of %d in %.1f s", endpoint, exc, attempt + 1, retries, wait
                )
                await self._sleep(wait)
            self.retries += 1
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
