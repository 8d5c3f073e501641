"""A micro-batcher: questions arriving together are embedded in one model call."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import numpy as np

log = logging.getLogger(__name__)


class MicroBatcher:
    """Embeds concurrent texts together, in at most `max_inflight` model calls at a time.

    A text arriving while the model is idle is sent at once, together with
    everything else that arrived in the same event-loop turn; texts arriving
    while every worker is busy wait for the next free one and go in one batch.
    So a lone question never waits, and a burst costs a few calls, not one each.
    `max_wait` (seconds) optionally holds a batch open a little longer for company.

    Args:
        embed: The blocking batch embed function; it runs in a worker thread.
        max_batch: Largest batch sent to the model.
        max_inflight: Model calls running at once. One, because the ONNX encoder already uses
            every core for a single call; more calls would only fight over them.
        max_wait: Extra time a batch is held open, in seconds (0 by default).
    """

    def __init__(
        self,
        embed: Callable[[list[str]], np.ndarray],
        max_batch: int = 32,
        max_inflight: int = 1,
        max_wait: float = 0.0,
    ) -> None:
        self._embed = embed
        self.max_batch = max_batch
        self.max_inflight = max_inflight
        self.max_wait = max_wait
        self._pending: list[tuple[str, asyncio.Future[np.ndarray]]] = []
        self._inflight = 0
        self._scheduled = False
        self.calls = 0

    async def embed(self, text: str) -> np.ndarray:
        """Embed one text, sharing a model call with whatever arrives at the same time."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[np.ndarray] = loop.create_future()
        self._pending.append((text, future))
        self._schedule(loop)
        return await future

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._scheduled or not self._pending or self._inflight >= self.max_inflight:
            return
        self._scheduled = True
        if self.max_wait > 0:
            loop.call_later(self.max_wait, self._flush, loop)
        else:
            loop.call_soon(self._flush, loop)

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        self._scheduled = False
        while self._pending and self._inflight < self.max_inflight:
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
            self._inflight += 1
            loop.create_task(self._run(batch, loop))

    async def _run(self, batch: list[tuple[str, asyncio.Future[np.ndarray]]], loop: asyncio.AbstractEventLoop) -> None:
        self.calls += 1
        try:
            vectors = await loop.run_in_executor(None, self._embed, [t for t, _ in batch])
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
        else:
            for (_, future), vector in zip(batch, vectors):
                if not future.done():
                    future.set_result(vector)
        finally:
            self._inflight -= 1
            self._schedule(loop)
