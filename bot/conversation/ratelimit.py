"""Per-user rate limiting (a sliding window of recent message times)."""

from __future__ import annotations

import time
from collections import deque

PRUNE_AT = 10_000


class RateLimiter:
    """Allows `limit` messages per `window` seconds for each key.

    Args:
        limit: Messages allowed in the window (0 disables the limit).
        window: Window length in seconds.
    """

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._seen: dict[str, deque[float]] = {}

    def _prune(self, now: float) -> None:
        """Forget users with no message inside the window, so memory stays bounded."""
        for stale in [k for k, t in self._seen.items() if not t or now - t[-1] >= self.window]:
            del self._seen[stale]

    def check(self, key: str, now: float | None = None) -> float:
        """Record one message for `key`.

        Returns:
            0 when allowed, else how many seconds until the next message would be.
        """
        if self.limit <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        times = self._seen.setdefault(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(self._seen) > PRUNE_AT:
            self._prune(now)
        if len(times) >= self.limit:
            return self.window - (now - times[0])
        times.append(now)
        return 0.0
