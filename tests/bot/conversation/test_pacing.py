"""The one door: every kind of event is paced the same way, and a chat's replies keep their order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from bot.conversation.core import Core
from bot.conversation.events import Command, CommandName, Event, Forget, MorePress, Rating, TopicPress
from bot.messages import Message, Reply


class Recorder:
    """A channel that records what it was asked to do, optionally slowly."""

    def __init__(self, log: list[str], name: str, delay: float = 0.0) -> None:
        self.log, self.name, self.delay = log, name, delay

    def working(self) -> AbstractAsyncContextManager[None]:
        @asynccontextmanager
        async def shown() -> AsyncIterator[None]:
            self.log.append(f"{self.name}: working")
            yield

        return shown()

    async def send(self, reply: Reply) -> None:
        await asyncio.sleep(self.delay)
        self.log.append(f"{self.name}: {reply.kind}")


async def test_every_kind_of_event_counts_against_the_limit_with_one_notice_then_silence(core: Core) -> None:
    core.pacing.limiter.limit = 4
    first = await core.handle(Message("what is the chasm", "u", "c", "telegram"))
    assert first.answer_id
    events: list[Event] = [
        Command(CommandName.TOPICS, "u", "c", "telegram"),
        TopicPress("pricing", "u", "c", "telegram"),
        MorePress("", "u", "c", "telegram"),
        Rating(first.answer_id, 1, "u", "c", "telegram"),
        Forget("u", "c", "telegram"),
        Command(CommandName.HELP, "u", "c", "telegram"),
    ]
    kinds = [(await core.handle(event)).kind for event in events]
    assert kinds == ["topics", "answer", "answer", "rate_limited", "silent", "silent"]
    assert core.store.count("questions") == 3, "the limited /forget deleted nothing"
    assert (await core.handle(Command(CommandName.HELP, "someone-else", "c", "telegram"))).kind == "help"


async def test_a_silenced_event_sends_nothing_and_shows_no_work(core: Core) -> None:
    core.pacing.limiter.limit = 1
    log: list[str] = []
    for n in range(3):
        await core.handle(Message("what is the chasm", "u", "c", "discord"), Recorder(log, f"m{n}"))
    assert log == ["m0: working", "m0: answer", "m1: rate_limited"]


async def test_a_chats_replies_keep_the_order_of_its_events(core: Core) -> None:
    log: list[str] = []
    slow = core.handle(Message("what is the chasm", "u1", "same", "telegram"), Recorder(log, "slow", delay=0.3))
    quick = core.handle(Command(CommandName.TOPICS, "u2", "same", "telegram"), Recorder(log, "quick"))
    elsewhere = core.handle(Command(CommandName.TOPICS, "u3", "other", "telegram"), Recorder(log, "elsewhere"))
    await asyncio.gather(slow, quick, elsewhere)
    assert log.index("slow: answer") < log.index("quick: topics"), "same chat: in order"
    assert log.index("elsewhere: topics") < log.index("slow: answer"), "another chat does not wait"


async def test_more_press_adds_the_next_section_of_the_chats_topic(core: Core) -> None:
    await core.handle(Message("what is the chasm", "u", "c-more"))
    more = await core.handle(MorePress("", "u", "c-more"))
    assert more.kind == "answer" and more.title == "Crossing the chasm"
    row = next(core.store.db.query("select question from questions where answer_id = ?", [more.answer_id]))
    assert row["question"] == "[more] Crossing the chasm"
    assert (await core.handle(MorePress("", "u", "c-new"))).kind == "expired", "no topic yet: nothing to say more about"


async def test_admin_commands_need_the_adapters_word(core: Core) -> None:
    refused = await core.handle(Command(CommandName.STATS, "u", "c", "telegram"))
    assert refused.kind == "refused" and "/stats" in refused.text
    assert (await core.handle(Command(CommandName.STATS, "u", "c", "telegram", admin=True))).kind == "stats"
    assert (await core.handle(Command(CommandName.RELOAD, "u", "c", "telegram", admin=True))).kind == "reload"
