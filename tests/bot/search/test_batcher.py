"""The micro-batcher: concurrent questions share model calls and get the same replies."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from bot.conversation.core import Core
from bot.messages import Message
from bot.search.batcher import GROUP, MicroBatcher
from tests.fakes import HashingEmbedder

QUESTIONS = [
    "do I need an NDA",
    "how much does a freelancer cost",
    "visionaries and pragmatists",
    "who owns the IP",
    "hourly or fixed price",
    "what is the chasm",
    "what's the weather like",
    "zqx fnord blorp",
    "freelancer rates for design",
    "moore chasm book",
]


async def test_concurrent_messages_share_model_calls(core: Core, fake_embedder: HashingEmbedder) -> None:
    messages = [Message(QUESTIONS[i % len(QUESTIONS)], f"user{i}", f"async-{i}") for i in range(50)]
    fake_embedder.calls.clear()
    replies = await asyncio.gather(*(core.handle(m) for m in messages))
    calls = len(fake_embedder.calls)
    assert fake_embedder.embedded_texts == 50
    assert 1 <= calls <= 10, fake_embedder.calls
    assert max(len(c) for c in fake_embedder.calls) > 1
    for message, reply in zip(messages, replies):
        expected = core.answer(Message(message.text, message.user, f"sync-{message.chat}"))
        assert reply.kind == expected.kind
        assert reply.answered == expected.answered
        assert reply.sources == expected.sources
        assert reply.suggestions == expected.suggestions
        assert reply.text == expected.text
        assert reply.answer_id and reply.answer_id != expected.answer_id


def _echo(texts: list[str]) -> np.ndarray:
    return np.array([[float(len(t)), float(sum(map(ord, t)))] for t in texts], dtype=np.float32)


async def test_each_text_gets_its_own_vector() -> None:
    sizes: list[int] = []

    def embed(texts: list[str]) -> np.ndarray:
        sizes.append(len(texts))
        return _echo(texts)

    batcher = MicroBatcher(embed, max_batch=8)
    texts = [f"text number {i}" * (i % 4 + 1) for i in range(30)]
    vectors = await asyncio.gather(*(batcher.embed(t) for t in texts))
    for text, vector in zip(texts, vectors):
        np.testing.assert_array_equal(vector, _echo([text])[0])
    assert sum(sizes) == 30
    assert max(sizes) <= 8
    assert len(sizes) < 30


async def test_a_failing_model_call_fails_its_waiters_and_the_next_call_works() -> None:
    fail = threading.Event()
    fail.set()

    def embed(texts: list[str]) -> np.ndarray:
        if fail.is_set():
            raise RuntimeError("model exploded")
        return _echo(texts)

    batcher = MicroBatcher(embed)
    results = await asyncio.gather(*(batcher.embed(t) for t in ["a", "b", "c"]), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    fail.clear()
    np.testing.assert_array_equal(await batcher.embed("ok"), _echo(["ok"])[0])


async def test_a_lone_text_is_embedded_alone() -> None:
    sizes: list[int] = []

    def embed(texts: list[str]) -> np.ndarray:
        sizes.append(len(texts))
        return _echo(texts)

    batcher = MicroBatcher(embed)
    for text in ["one", "two"]:
        await batcher.embed(text)
    assert sizes == [1, 1]


async def test_handle_error_propagates_to_the_caller(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(texts: list[str]) -> np.ndarray:
        raise RuntimeError("no model")

    monkeypatch.setattr(core, "batcher", MicroBatcher(broken))
    with pytest.raises(RuntimeError, match="no model"):
        await core.handle(Message("do I need an NDA", "u", "c"))


async def test_embed_then_runs_its_function_in_the_worker_thread() -> None:
    sizes: list[int] = []
    threads: list[str] = []

    def embed(texts: list[str]) -> np.ndarray:
        sizes.append(len(texts))
        return _echo(texts)

    def then(vectors: np.ndarray) -> float:
        threads.append(threading.current_thread().name)
        return float(vectors[:, 0].sum())

    batcher = MicroBatcher(embed)
    results = await asyncio.gather(batcher.embed_then(["ab", "abc"], then), batcher.embed_then(["a"], then))
    assert list(results) == [5.0, 1.0]
    assert sizes == [3], "both requests went in one model call"
    assert threads and threading.main_thread().name not in threads


async def test_a_failing_function_fails_only_its_own_request() -> None:
    def then(vectors: np.ndarray) -> int:
        if vectors[0, 0] == 3.0:
            raise ValueError("bad question")
        return len(vectors)

    batcher = MicroBatcher(_echo)
    results = await asyncio.gather(
        batcher.embed_then(["bad"], then), batcher.embed_then(["ok", "fine"], then), return_exceptions=True
    )
    assert isinstance(results[0], ValueError)
    assert results[1] == 2


async def test_the_model_takes_the_next_batch_while_a_function_runs() -> None:
    started, second_done = threading.Event(), threading.Event()

    def then(vectors: np.ndarray) -> bool:
        started.set()
        return second_done.wait(20)  # True only if the next text was embedded meanwhile

    batcher = MicroBatcher(_echo)
    first = asyncio.create_task(batcher.embed_then(["first"], then))
    assert await asyncio.to_thread(started.wait, 10)
    np.testing.assert_array_equal(await asyncio.wait_for(batcher.embed("second"), 5), _echo(["second"])[0])
    second_done.set()
    assert await first is True


async def test_a_large_batch_is_embedded_in_groups_of_similar_length() -> None:
    calls: list[list[str]] = []

    def embed(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        return _echo(texts)

    batcher = MicroBatcher(embed, max_batch=32)
    texts = ["x" * (1 + (i * 7) % 20) + str(i) for i in range(GROUP * 2 + 3)]
    vectors = await asyncio.gather(*(batcher.embed(t) for t in texts))
    for text, vector in zip(texts, vectors):
        np.testing.assert_array_equal(vector, _echo([text])[0])
    assert [len(c) for c in calls] == [GROUP, GROUP, 3]
    longest = [max(map(len, c)) for c in calls]
    assert all(max(map(len, later)) >= longest[i] for i, later in enumerate(calls[1:])), "shortest first"
    assert all(min(map(len, c)) >= longest[i] for i, c in enumerate(calls[1:]))
    calls.clear()
    await asyncio.gather(*(batcher.embed(t) for t in texts[:GROUP]))
    assert calls == [texts[:GROUP]], "a batch of at most GROUP texts is one call, in order"


async def test_each_request_of_a_batch_is_resolved_as_soon_as_its_own_work_is_done() -> None:
    batcher = MicroBatcher(_echo)
    release = threading.Event()

    def slow(vectors: np.ndarray) -> str:
        assert release.wait(10), "never released"
        return "second"

    first = asyncio.ensure_future(batcher.embed_then(["a"], lambda vectors: "first"))
    second = asyncio.ensure_future(batcher.embed_then(["bb"], slow))
    try:
        # One batch (both arrived in the same turn): the first answer does not wait for the second's work.
        assert await asyncio.wait_for(first, 10) == "first"
        assert not second.done()
    finally:
        release.set()
    assert await asyncio.wait_for(second, 10) == "second"
    assert batcher.calls == 1
