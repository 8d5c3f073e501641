"""The core's message handling: bad input, special replies, feedback, forgetting, reload."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.conversation.answers import rate_limited_reply
from bot.conversation.core import Core
from bot.conversation.events import Command, CommandName, Forget, Rating, TopicPress
from bot.messages import Message, Reply
from bot.search.text import MAX_QUESTION_CHARS
from tests.conftest import make_core, write_note

KINDS = {"answer", "fallback", "help", "rate_limited", "thanks", "acknowledgement"}


async def both(core: Core, text: str, chat: str = "c") -> tuple[Reply, Reply]:
    """The same message through the sync and the async path (separate chats, so no follow-up context)."""
    return core.answer(Message(text, "u", f"{chat}-sync")), await core.handle(Message(text, "u", f"{chat}-async"))


@pytest.mark.parametrize("text", ["", "   ", "\n\t  \n", "\u200b\u200d", "\x00\x07"])
async def test_empty_or_whitespace_gets_help(core: Core, text: str) -> None:
    for reply in await both(core, text):
        assert reply.kind == "help"
        assert "Just ask a question" in reply.text
        assert reply.suggestions and reply.suggestion_label == "Popular topics"
        assert reply.answer_id is None
    assert core.store.count("questions") == 0


async def test_over_long_message_is_answered_from_its_first_part(core: Core) -> None:
    text = "do I need an NDA with my freelancer? " * 30 + "visionaries pragmatists chasm " * 60
    assert len(text) > MAX_QUESTION_CHARS
    for reply in await both(core, text):
        assert reply.kind == "answer"
        assert reply.sources[0].id == "contracts"
        assert (
            reply.notice
            == f"Your message was long ({len(text)} characters), so I read only the first {MAX_QUESTION_CHARS}."
        )
        assert reply.text.startswith(reply.notice)
    stored = [r["question"] for r in core.store.db["questions"].rows]
    assert all(len(q) <= MAX_QUESTION_CHARS for q in stored)
    assert all(q.startswith("do I need an NDA") for q in stored)


async def test_over_long_punctuation_gets_help(core: Core) -> None:
    reply = core.answer(Message("? " * 3000, "u", "c"))
    assert reply.kind == "help" and reply.answer_id is None


@pytest.mark.parametrize(
    "text",
    [
        "do\x00 I need\x07 an NDA\x1b[31m",
        "do I need an N\u200bD\u200bA",
        "🤔 do I need an NDA? 🙏🏽",
        "\u202edo I need an NDA\u202c",
        "<b>do I need an NDA</b> &amp; <script>alert(1)</script>",
        "DO I NEED AN NDA!!!",
    ],
    ids=["control", "zero-width", "emoji", "rtl-override", "markup", "shouting"],
)
async def test_messy_input_is_cleaned_and_answered(core: Core, text: str) -> None:
    for reply in await both(core, text):
        assert reply.kind == "answer", reply.text
        assert reply.sources[0].id == "contracts"
        assert "<script>" not in reply.text and "&amp;amp;" not in reply.text


@pytest.mark.parametrize("text", ["שלום, מה שלומך?", "مرحبا كيف حالك", "你好世界", "Привет мир"])
async def test_other_scripts_do_not_crash(core: Core, text: str) -> None:
    for reply in await both(core, text):
        assert reply.kind in ("answer", "fallback")
        assert reply.answer_id


@pytest.mark.parametrize("text", ["???", "...!!!", "......", "?!?!", "🙂🙂🙂", "😀😀", "-- // **", "<b></b>"])
async def test_no_words_gets_help_like_empty_input(core: Core, text: str) -> None:
    for reply in await both(core, text):
        assert reply.kind == "help" and not reply.answered
        assert "Just ask a question" in reply.text
        assert reply.answer_id is None
    assert core.store.count("questions") == 0


@pytest.mark.parametrize("text", ["zzx qwv plorf", "xqzv blorp fnord", "asdfghjkl qwertyuiop"])
def test_gibberish_is_declined_by_the_real_core(real_core: Core, text: str) -> None:
    reply = real_core.answer(Message(text, "core-tests", "gibberish"))
    assert reply.kind == "fallback" and not reply.answered


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=1500))
def test_arbitrary_text_never_raises(core: Core, text: str) -> None:
    sync = core.answer(Message(text, "hyp", "hyp-sync"))
    async_ = asyncio.run(core.handle(Message(text, "hyp", "hyp-async")))
    for reply in (sync, async_):
        assert reply.kind in KINDS
        assert reply.text
    assert (sync.kind, sync.answered, [s.id for s in sync.sources]) == (
        async_.kind,
        async_.answered,
        [s.id for s in async_.sources],
    )


def test_rate_limit(tiny_knowledge: Path, tmp_path: Path) -> None:
    core = make_core(tiny_knowledge, tmp_path / "d", rate_limit=2)
    replies = [core.answer(Message("do I need an NDA", "same", "c")) for _ in range(3)]
    assert [r.kind for r in replies] == ["answer", "answer", "rate_limited"]
    assert "Please wait" in replies[2].text
    assert core.answer(Message("do I need an NDA", "someone-else", "c")).kind == "answer"
    assert core.store.count("questions") == 3


def test_answers_are_recorded_with_an_answer_id(core: Core) -> None:
    reply = core.answer(Message("do I need an NDA", "u", "c", "telegram"))
    assert reply.answer_id is not None
    row = core.store.db.table("questions").get(reply.answer_id)
    assert row["note_id"] == "contracts" and row["answered"] == 1 and row["platform"] == "telegram"
    assert row["question"] == "do I need an NDA"


def test_feedback_and_forget(core: Core) -> None:
    reply = core.answer(Message("do I need an NDA", "u", "c"))
    assert reply.answer_id
    assert "👍" in core.answer(Rating(reply.answer_id, 1, "u", "c")).text
    assert "👎" in core.answer(Rating(reply.answer_id, -1, "u", "c")).text
    assert [r["rating"] for r in core.store.db["feedback"].rows] == [-1]
    forgotten = core.answer(Forget("u", "c"))
    assert forgotten.kind == "forgotten"
    assert "(3 records)" in forgotten.text  # question, feedback, conversation
    assert core.store.count("questions") == 0


def test_answer_note_and_topics(core: Core) -> None:
    reply = core.answer(TopicPress("chasm", "u", "c"))
    assert reply.kind == "answer" and reply.title == "Crossing the chasm" and reply.answer_id
    assert core.store.last_note("console", "c") == "chasm"
    assert core.answer(TopicPress("nope", "u", "c")).kind == "expired"  # a topic that is gone
    topics = core.answer(Command(CommandName.TOPICS, "u", "c"))
    assert [s.title for s in topics.suggestions] == ["Contracts", "Crossing the chasm", "Pricing and costs"]
    assert "• Contracts\n• Crossing the chasm\n• Pricing and costs" in topics.text
    assert core.note("pricing") is not None and core.note("nope") is None


def test_help_lists_platform_commands(core: Core) -> None:
    core.platform_commands["console"] = "/start to begin"
    assert "/start to begin" in core.answer(Command(CommandName.HELP, "u", "c")).text
    assert "/start to begin" not in core.answer(Command(CommandName.HELP, "u", "c", "telegram")).text


def test_reload_refuses_broken_knowledge_and_keeps_serving(core: Core, tiny_knowledge: Path) -> None:
    (tiny_knowledge / "broken.md").write_text("---\nid: x: y\n---\nBody\n", encoding="utf-8")
    result = core.reload()
    assert not result.ok
    assert "Reload refused" in result.summary() and "broken.md:2" in result.summary()
    assert set(core.kb.notes) == {"pricing", "contracts", "chasm"}
    (tiny_knowledge / "broken.md").unlink()
    write_note(
        tiny_knowledge,
        "tornado",
        "Inside the tornado",
        ["what is the tornado", "hypergrowth market", "mass market demand"],
        "The tornado is hypergrowth.",
    )
    said: list[str] = []
    result = core.reload(say=said.append)
    assert result.ok and result.report is not None and result.report.added == ["tornado"]
    assert core.answer(Message("what is the tornado", "u", "c")).sources[0].id == "tornado"
    assert said and said[0].startswith("knowledge reloaded")
    assert core.reload().report is None  # nothing changed


def test_start_without_notes_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(RuntimeError, match="no usable notes"):
        make_core(tmp_path / "empty", tmp_path / "d")


async def test_huge_message_is_cut_before_cleaning_and_answered_with_the_notice(core: Core) -> None:
    text = "do I need an NDA with my freelancer?\u200b " * 160_000  # 6 MB
    for reply in await both(core, text, "huge"):
        assert reply.kind == "answer" and reply.sources[0].id == "contracts"
        assert reply.notice.startswith(f"Your message was long ({len(text)} characters)")


def test_source_scores_stay_between_0_and_1(core: Core) -> None:
    # An alternate question verbatim: its chunk's cosine is 1.0, the note's score a little less.
    reply = core.answer(Message("do I need an NDA", "u", "exact"))
    assert reply.sources[0].id == "contracts"
    assert reply.sources[0].score == max(s.score for s in reply.sources) > 0.5
    assert all(0.0 <= s.score <= 1.0 for s in reply.sources)


async def test_an_event_is_counted_once(core: Core) -> None:
    core.pacing.limiter.limit = 2
    for _ in range(2):
        reply = await core.handle(Message("what is the chasm", "u-admit", "c", "telegram"))
        assert reply.kind == "answer"
    assert (await core.handle(Message("what is the chasm", "u-admit", "c", "telegram"))).kind == "rate_limited"
    assert rate_limited_reply(3.2).kind == "rate_limited" and "3 seconds" in rate_limited_reply(3.2).text


def test_rating_an_answer_that_no_longer_exists_says_the_button_expired(core: Core) -> None:
    reply = core.answer(Message("what is the chasm", "u-gone", "c-gone"))
    assert reply.answer_id
    assert "Thanks" in core.answer(Rating(reply.answer_id, 1, "u-gone", "c")).text
    core.answer(Forget("u-gone", "c-gone"))
    assert "expired" in core.answer(Rating(reply.answer_id, 1, "u-gone", "c")).text


def test_a_topic_button_answer_is_recorded_against_its_note(core: Core) -> None:
    reply = core.answer(TopicPress("chasm", "u-topic", "c-topic"))
    assert reply.answer_id
    row = next(core.store.db.query("select note_id, question from questions where answer_id = ?", [reply.answer_id]))
    assert row == {"note_id": "chasm", "question": "[topic] Crossing the chasm"}
    core.answer(Rating(reply.answer_id, -1, "u-topic", "c-topic"))
    assert list(core.store.db.query("select note_id, rating from feedback")) == [{"note_id": "chasm", "rating": -1}]


def test_topic_memory_survives_concurrent_remembering_and_forgetting(core: Core) -> None:
    import threading

    errors: list[BaseException] = []
    done = threading.Event()

    def remember(n: int) -> None:
        try:
            i = 0
            while not done.is_set():
                core.memory.remember("console", f"chat-{n}-{i % 2000}", f"u{n}", "pricing")
                i += 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=remember, args=(n,)) for n in range(3)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so a missing lock shows in a short test
    for thread in threads:
        thread.start()
    try:
        for _ in range(300):
            core.memory.forget("telegram", "u0")  # walks the whole cache; the console chats stay in it
    except BaseException as exc:
        errors.append(exc)
    finally:
        done.set()
        for thread in threads:
            thread.join()
        sys.setswitchinterval(interval)
    assert errors == []


async def test_a_topic_not_in_memory_is_read_off_the_event_loop(core: Core) -> None:
    import threading

    core.store.set_last_note("console", "old-chat", "u", "pricing")
    readers: list[threading.Thread] = []
    read = core.store.last_note

    def spy(platform: str, chat: str) -> str | None:
        readers.append(threading.current_thread())
        return read(platform, chat)

    core.store.last_note = spy  # type: ignore[method-assign]
    reply = await core.handle(Message("tell me more", "u", "old-chat"))
    assert readers and threading.main_thread() not in readers
    assert reply.sources and reply.sources[0].id == "pricing"
