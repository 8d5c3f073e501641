"""The per-user rate limiter: a sliding window per key, with bounded memory."""

from __future__ import annotations

from bot.conversation import ratelimit
from bot.conversation.ratelimit import RateLimiter


def test_limits_each_key_within_its_window() -> None:
    limiter = RateLimiter(limit=3, window=60)
    assert [limiter.check("a", now=t) for t in (0, 1, 2)] == [0, 0, 0]
    assert limiter.check("a", now=3) == 57
    assert limiter.check("b", now=3) == 0
    assert limiter.check("a", now=60.5) == 0  # the first message left the window


def test_new_users_are_still_limited_once_many_users_are_tracked() -> None:
    limiter = RateLimiter(limit=12, window=60)
    for n in range(ratelimit.PRUNE_AT + 1):
        limiter.check(f"user-{n}", now=0.0)
    allowed = sum(limiter.check("newcomer", now=1.0 + i / 100) == 0 for i in range(500))
    assert allowed == 12


def test_memory_stays_bounded_and_idle_users_are_forgotten() -> None:
    limiter = RateLimiter(limit=12, window=60)
    for n in range(ratelimit.PRUNE_AT + 500):
        limiter.check(f"user-{n}", now=float(n) / 1000)
    assert limiter.tracked() == ratelimit.PRUNE_AT + 500  # all still inside the window: none may be dropped
    limiter.check("late", now=1000.0)  # everyone else has been idle for more than a window
    assert limiter.tracked() == 1
    assert limiter.check("late", now=1000.5) == 0
