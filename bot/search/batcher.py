"""A micro-batcher: questions arriving together are embedded in one model call."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

log = logging.getLogger(__name__)

T = TypeVar("T")

GROUP = 8
"""A model call embeds at most this many texts of a larger batch (see `MicroBatcher._embed_grouped`)."""


@dataclass
class _Request:
    """Texts waiting for one model call, and what to do with their vectors in the worker thread."""

    texts: list[str]
    then: Callable[[np.ndarray], Any] | None
    future: asyncio.Future[Any] = field(repr=False)


@dataclass
class _Batch:
    """Requests sent to the model in one call; `released` once the call no longer holds the model."""

    requests: list[_Request]
    released: bool = False


def _resolve(future: asyncio.Future[Any], value: Any, error: Exception | None) -> None:
    """On the event loop: give a request its result or error (unless it was cancelled meanwhile)."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


def _hand_over(
    loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], value: Any, error: Exception | None
) -> None:
    """From the worker thread: resolve the request on its loop (nothing to do once that loop is closed)."""
    try:
        loop.call_soon_threadsafe(_resolve, future, value, error)
    except RuntimeError:  # the loop closed meanwhile: nobody waits, but the batch's other answers still run
        pass


class MicroBatcher:
    """Embeds concurrent texts together, in at most `max_inflight` model calls at a time.

    A text arriving while the model is idle is sent at once, together with
    everything else that arrived in the same event-loop turn; texts arriving
    while every worker is busy wait for the next free one and go in one batch.
    So a lone question never waits, and a burst costs a few calls, not one each.
    `max_wait` (seconds) optionally holds a batch open a little longer for company.

    `embed_then` also runs a function of the vectors in the same worker thread, right after the
    model call: a question's ranking and database write then cost no second hop to a thread.
    When requests are waiting, the model takes the next batch as soon as its call returns, while
    those functions run.

    Args:
        embed: The blocking batch embed function; it runs in a worker thread.
        max_batch: Largest batch sent to the model, in texts (a request's texts stay together,
            so a batch of one request may be larger).
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
        self._pending: list[_Request] = []
        self._inflight = 0
        self._scheduled = False
        self._lock = threading.Lock()  # the worker thread frees the model; the event loop sends batches
        self.calls = 0
        """Model calls made so far."""

    async def embed(self, text: str) -> np.ndarray:
        """Embed one text, sharing a model call with whatever arrives at the same time."""
        vectors: np.ndarray = await self._submit([text], None)
        vector: np.ndarray = vectors[0]
        return vector

    async def embed_then(self, texts: list[str], then: Callable[[np.ndarray], T]) -> T:
        """Embed `texts` (sharing a model call), then return `then(vectors)`, run in the worker thread.

        Args:
            texts: The texts to embed (at least one); they go in one model call.
            then: Called with their vectors, shape (len(texts), dim), in the model's worker thread;
                it may block (a database write), but holds up only the requests of its own batch.

        Returns:
            What `then` returned; an exception of the model call or of `then` is raised here.
        """
        result: T = await self._submit(list(texts), then)
        return result

    def _submit(self, texts: list[str], then: Callable[[np.ndarray], Any] | None) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            self._pending.append(_Request(texts, then, future))
        self._schedule(loop)
        return future

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            if self._scheduled or not self._pending or self._inflight >= self.max_inflight:
                return
            self._scheduled = True
        if self.max_wait > 0:
            loop.call_later(self.max_wait, self._flush, loop)
        else:
            loop.call_soon(self._flush, loop)

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            self._scheduled = False
            batches = []
            while self._pending and self._inflight < self.max_inflight:
                size = count = 0
                for request in self._pending:
                    if count and size + len(request.texts) > self.max_batch:
                        break
                    size += len(request.texts)
                    count += 1
                batches.append(_Batch(self._pending[:count]))
                self._pending = self._pending[count:]
                self._inflight += 1
        for batch in batches:
            loop.create_task(self._run(batch, loop))

    def _release(self, batch: _Batch, loop: asyncio.AbstractEventLoop) -> None:
        """The batch's model call is over (any thread): the model is free, and a waiting batch is sent."""
        with self._lock:
            if batch.released:
                return
            batch.released = True
            self._inflight -= 1
            waiting = bool(self._pending)
        # From the worker thread the event loop is woken only when a batch waits for the model.
        if waiting:
            loop.call_soon_threadsafe(self._schedule, loop)

    async def _run(self, batch: _Batch, loop: asyncio.AbstractEventLoop) -> None:
        try:
            await loop.run_in_executor(None, self._work, batch, loop)
        except Exception as exc:  # the model call failed: every request of the batch fails with it
            for request in batch.requests:
                if not request.future.done():
                    request.future.set_exception(exc)
        finally:
            self._release(batch, loop)  # when the worker never ran (a shut-down executor)

    def _work(self, batch: _Batch, loop: asyncio.AbstractEventLoop) -> None:
        """In the worker thread: one model call for the batch, then each request's function of its vectors.

        Each request is resolved as soon as its own function is done, not after the whole batch:
        under load its reply goes out while the rest of the batch is still ranked.
        """
        try:
            vectors = self._embed_grouped([t for request in batch.requests for t in request.texts])
        finally:
            self._release(batch, loop)
        start = 0
        for request in batch.requests:
            mine = vectors[start : start + len(request.texts)]
            start += len(request.texts)
            if request.then is None or request.future.cancelled():  # a cancelled answer is not recorded
                _hand_over(loop, request.future, mine, None)
                continue
            try:
                value = request.then(mine)
            except Exception as exc:  # this request's own failure, not its batch's
                _hand_over(loop, request.future, None, exc)
            else:
                _hand_over(loop, request.future, value, None)

    def _embed_grouped(self, texts: list[str]) -> np.ndarray:
        """Embed a batch in one model call, or, past `GROUP` texts, in calls of `GROUP` texts of similar length.

        Every text of a model call is padded to its longest, and the model's work grows with the
        padded length: 32 questions of mixed lengths cost 20-30% more CPU time in one call than in
        four calls of 8 sorted by length. A question's own texts (fewer than `GROUP`) stay one call.
        """
        with self._lock:
            self.calls += 1 if len(texts) <= GROUP else -(-len(texts) // GROUP)
        if len(texts) <= GROUP:
            return self._embed(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        parts = [order[start : start + GROUP] for start in range(0, len(order), GROUP)]
        vectors: np.ndarray | None = None
        for part in parts:
            embedded = self._embed([texts[i] for i in part])
            if vectors is None:
                vectors = np.empty((len(texts), embedded.shape[1]), dtype=embedded.dtype)
            vectors[part] = embedded
        assert vectors is not None
        return vectors
