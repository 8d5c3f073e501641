"""A micro-batcher: questions arriving together are embedded in one model call."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import numpy as np

log = logging.getLogger(__name__)


class MicroBatcher:
    """Collects texts for at most `max_wait` seconds (or `max_batch` texts) and embeds them together.

    Args:
        embed: The blocking batch embed function; it runs in a worker thread.
        max_batch: Largest batch sent to the model.
        max_wait: Longest a text waits for company, in seconds.
    """

    def __init__(self, embed: Callable[[list[str]], np.ndarray], max_batch: int = 32, max_wait: float = 0.002) -> None:
        self._embed = embed
        self.max_batch = max_batch
        self.max_wait = max_wait
        self._pending: list[tuple[str, asyncio.Future[np.ndarray]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self.batches = 0

    async def embed(self, text: str) -> np.ndarray:
        """Embed one text, sharing a model call with whatever arrives at the same time."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[np.ndarray] = loop.create_future()
        self._pending.append((text, future))
        if len(self._pending) >= self.max_batch:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.max_wait, self._flush)
        return await future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
        if self._pending:
            self._timer = asyncio.get_running_loop().call_later(self.max_wait, self._flush)
        if batch:
            asyncio.ensure_future(self._run(batch))

    async def _run(self, batch: list[tuple[str, asyncio.Future[np.ndarray]]]) -> None:
        self.batches += 1
        try:
            vectors = await asyncio.get_running_loop().run_in_executor(None, self._embed, [t for t, _ in batch])
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), vector in zip(batch, vectors):
            if not future.done():
                future.set_result(vector)
