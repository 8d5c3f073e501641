"""Updates are worked on a bounded number at once, one per chat, so a busy chat cannot hold every slot."""

from __future__ import annotations

import asyncio

from telegram import Update

from adapters.telegram.updates import ChatFairProcessor


def update_in(chat: int, number: int) -> Update:
    data = {
        "update_id": number,
        "message": {"message_id": number, "date": 0, "chat": {"id": chat, "type": "group"}, "text": f"q{number}"},
    }
    update = Update.de_json(data, None)
    assert update is not None
    return update


class Log:
    """Coroutines that record when they start and wait until released."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.release: dict[str, asyncio.Event] = {}

    async def work(self, name: str) -> None:
        self.started.append(name)
        event = self.release.setdefault(name, asyncio.Event())
        await event.wait()

    def done(self, name: str) -> None:
        self.release.setdefault(name, asyncio.Event()).set()


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def test_a_busy_group_does_not_hold_every_slot() -> None:
    async def scenario() -> None:
        processor = ChatFairProcessor(working=2)
        log = Log()
        group = [
            asyncio.create_task(processor.process_update(update_in(-100, i), log.work(f"group{i}"))) for i in range(10)
        ]
        await settle()
        private = asyncio.create_task(processor.process_update(update_in(7, 99), log.work("private")))
        await settle()
        # One group update at a time; the private chat's question starts at once, beside it.
        assert log.started == ["group0", "private"]
        log.done("private")
        await private
        for i in range(10):
            log.done(f"group{i}")
        await asyncio.gather(*group)
        assert log.started == ["group0", "private", *(f"group{i}" for i in range(1, 10))]  # the group's order kept
        assert processor.busy_chats == 0  # no lock kept for a chat that went quiet

    asyncio.run(scenario())


def test_no_more_than_the_working_slots_run_at_once_across_chats() -> None:
    async def scenario() -> None:
        processor = ChatFairProcessor(working=3)
        log = Log()
        tasks = [
            asyncio.create_task(processor.process_update(update_in(chat, chat), log.work(f"c{chat}")))
            for chat in range(8)
        ]
        await settle()
        assert log.started == ["c0", "c1", "c2"]
        log.done("c1")
        await settle()
        assert log.started == ["c0", "c1", "c2", "c3"]
        for chat in range(8):
            log.done(f"c{chat}")
        await asyncio.gather(*tasks)
        assert len(log.started) == 8 and processor.busy_chats == 0

    asyncio.run(scenario())


def test_an_update_without_a_chat_only_waits_for_a_slot() -> None:
    async def scenario() -> None:
        processor = ChatFairProcessor(working=1)
        log = Log()
        first = asyncio.create_task(processor.process_update(object(), log.work("a")))
        second = asyncio.create_task(processor.process_update(object(), log.work("b")))
        await settle()
        assert log.started == ["a"]
        log.done("a")
        log.done("b")
        await asyncio.gather(first, second)
        assert log.started == ["a", "b"] and processor.busy_chats == 0

    asyncio.run(scenario())


def test_a_failing_update_frees_its_chat_and_slot() -> None:
    async def boom() -> None:
        raise RuntimeError("handler failed")

    async def scenario() -> None:
        processor = ChatFairProcessor(working=1)
        log = Log()
        failed = asyncio.create_task(processor.process_update(update_in(5, 1), boom()))
        after = asyncio.create_task(processor.process_update(update_in(5, 2), log.work("next")))
        await settle()
        assert failed.done() and isinstance(failed.exception(), RuntimeError)
        assert log.started == ["next"]
        log.done("next")
        await after
        assert processor.busy_chats == 0

    asyncio.run(scenario())
