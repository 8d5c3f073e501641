"""Per-user rate limiting (a sliding window of recent message times)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque

PRUNE_AT = 10_000


class RateLimiter:
    """Allows `limit` messages per `window` seconds for each key; safe to call from several threads.

    Keys are kept in the order of their last allowed message, so idle keys are
    dropped from the front in constant time per key, however many are tracked.

    Args:
        limit: Messages allowed in the window (0 disables the limit).
        window: Window length in seconds.
    """

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _prune(self, now: float) -> None:
        """Forget keys with no message inside the window (the oldest come first), so memory stays bounded."""
        while self._seen:
            key, times = next(iter(self._seen.items()))
            if times and now - times[-1] < self.window:
                return
            del self._seen[key]

    def tracked(self) -> int:
        """How many keys are held in memory."""
        with self._lock:
            return len(self._seen)

    def check(self, key: str, now: float | None = None) -> float:
        """Record one message for `key`.

        Returns:
            0 when allowed, else how many seconds until the next message would be.
        """
        if self.limit <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._seen) >= PRUNE_AT:
                # Before looking the key up, so the deque we append to is the one kept.
                self._prune(now)
            times = self._seen.get(key)
            if times is None:
                times = self._seen[key] = deque()
            while times and now - times[0] >= self.window:
                times.popleft()
            if len(times) >= self.limit:
                return self.window - (now - times[0])
            times.append(now)
            self._seen.move_to_end(key)
            return 0.0
