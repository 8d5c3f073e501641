"""The SQLite store: migrations, WAL, hashed ids, feedback, forgetting, retention, stats, failures."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.config import ConfigError
from bot.conversation.core import Core
from bot.conversation.events import Command, CommandName, Rating
from bot.messages import Message
from bot.storage.private_files import read_salt
from bot.storage.store import Store
from tests.conftest import make_settings
from tests.fakes import HashingEmbedder

RAW_USER = "user-8675309-raw"
RAW_CHAT = "chat-4242-raw"


def ask(store: Store, user: str = "u1", answered: bool = True, question: str = "q", platform: str = "telegram") -> str:
    return store.record_question(
        platform=platform,
        user=user,
        chat=f"chat-of-{user}",
        question=question,
        kind="answer" if answered else "fallback",
        answered=answered,
        note_id="n",
        score=0.5,
    )


@pytest.fixture
def store() -> Store:
    return Store(None, "salt")


def test_migrations_create_the_schema_once(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    first = Store(path, "salt")
    assert {"questions", "feedback", "unanswered", "conversations"} <= set(first.db.table_names())
    applied = [r["name"] for r in first.db.query("select name from _sqlite_migrations")]
    assert sorted(applied) == ["add_reply_text", "create_tables"]
    answer_id = ask(first)
    first.db.conn.close()
    again = Store(path, "salt")
    assert [r["name"] for r in again.db.query("select name from _sqlite_migrations")] == applied
    assert again.count("questions") == 1
    assert again.record_feedback(answer_id, "telegram", "u1", 1)


def test_file_database_uses_wal(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.db", "salt")
    assert store.db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_salt_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    first = Store(path)
    salt_file = path.with_suffix(".salt")
    assert salt_file.exists() and salt_file.stat().st_mode & 0o777 == 0o600
    hashed = first.hash_id("telegram", "42")
    assert Store(path).hash_id("telegram", "42") == hashed
    assert Store(None, "other").hash_id("telegram", "42") != hashed


def test_raw_user_ids_are_never_stored(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    store = Store(path, "salt")
    answer_id = store.record_question(
        platform="discord",
        user=RAW_USER,
        chat=RAW_CHAT,
        question="hello there",
        kind="fallback",
        answered=False,
        note_id=None,
        score=0.1,
    )
    store.record_feedback(answer_id, "discord", RAW_USER, -1)
    store.set_last_note("discord", RAW_CHAT, RAW_USER, "pricing")
    store.db.conn.commit()
    blobs = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("bot.db"))
    assert b"hello there" in blobs  # the question itself is stored, so the grep can see the file contents
    assert RAW_USER.encode() not in blobs and RAW_CHAT.encode() not in blobs
    assert store.hash_id("discord", RAW_USER).encode() in blobs
    for table in ("questions", "feedback", "unanswered", "conversations"):
        for row in store.db[table].rows:
            assert RAW_USER not in str(row) and RAW_CHAT not in str(row)


def test_hash_depends_on_platform(store: Store) -> None:
    assert store.hash_id("telegram", "1") != store.hash_id("discord", "1")
    assert len(store.hash_id("telegram", "1")) == 32


def test_unanswered_questions_are_kept_for_maintainers(store: Store) -> None:
    ask(store, answered=True)
    missed = ask(store, answered=False, question="what is the weather")
    rows = list(store.db["unanswered"].rows)
    assert [(r["answer_id"], r["question"], r["nearest_note"]) for r in rows] == [(missed, "what is the weather", "n")]


def test_feedback_is_upserted_per_user(store: Store) -> None:
    answer_id = ask(store)
    assert store.record_feedback(answer_id, "telegram", "u1", 1)
    assert store.record_feedback(answer_id, "telegram", "u1", -5)
    rows = list(store.db["feedback"].rows)
    assert len(rows) == 1 and rows[0]["rating"] == -1 and rows[0]["note_id"] == "n"
    assert store.record_feedback(answer_id, "telegram", "u2", 3)
    assert sorted(r["rating"] for r in store.db["feedback"].rows) == [-1, 1]
    assert not store.record_feedback("no-such-answer", "telegram", "u1", 1)
    assert store.count("feedback") == 2


def test_last_note_per_chat(store: Store) -> None:
    assert store.last_note("telegram", "c") is None
    store.set_last_note("telegram", "c", "u", "a")
    store.set_last_note("telegram", "c", "u", "b")
    assert store.last_note("telegram", "c") == "b"
    assert store.last_note("discord", "c") is None


def test_forget_user_deletes_all_rows_of_that_user_only(store: Store) -> None:
    mine = [ask(store, "me"), ask(store, "me", answered=False)]
    theirs = ask(store, "them", answered=False)
    same_id_elsewhere = ask(store, "me", platform="discord")
    store.record_feedback(mine[0], "telegram", "me", 1)
    store.record_feedback(theirs, "telegram", "them", -1)
    store.record_feedback(theirs, "telegram", "me", 1)
    store.set_last_note("telegram", "chat-of-me", "me", "n")
    store.set_last_note("telegram", "chat-of-them", "them", "n")
    deleted = store.forget_user("telegram", "me")
    assert deleted == 2 + 1 + 2 + 1  # questions, unanswered, feedback, conversations
    me = store.hash_id("telegram", "me")
    for table in ("questions", "feedback", "unanswered", "conversations"):
        assert store.db.execute(f"select count(*) from {table} where user_hash = ?", [me]).fetchone()[0] == 0
    assert sorted(r["answer_id"] for r in store.db["questions"].rows) == sorted([theirs, same_id_elsewhere])
    assert store.count("unanswered") == 1
    assert store.count("feedback") == 1
    assert store.last_note("telegram", "chat-of-them") == "n"
    assert store.forget_user("telegram", "me") == 0


def test_delete_older_than(store: Store) -> None:
    old = ask(store, answered=False)
    new = ask(store, answered=False)
    with store.db.conn:
        store.db.execute("update questions set ts = '2020-01-01T00:00:00+00:00' where answer_id = ?", [old])
        store.db.execute("update unanswered set ts = '2020-01-01T00:00:00+00:00' where answer_id = ?", [old])
    assert store.delete_older_than(30) == 2
    assert [r["answer_id"] for r in store.db["questions"].rows] == [new]
    assert [r["answer_id"] for r in store.db["unanswered"].rows] == [new]
    assert store.delete_older_than(30) == 0


def test_stats(store: Store) -> None:
    assert store.stats().questions == 0 and store.stats().answered_share == 0.0
    a = ask(store, "a")
    ask(store, "b", answered=False, question="What is X")
    ask(store, "c", answered=False, question="what is x")
    ask(store, "d", answered=False, question="other")
    store.record_feedback(a, "telegram", "a", 1)
    store.record_feedback(a, "telegram", "b", 1)
    store.record_feedback(a, "telegram", "c", -1)
    stats = store.stats(top=1)
    assert (stats.questions, stats.answered, stats.up, stats.down) == (4, 1, 2, 1)
    assert stats.answered_share == 0.25
    assert stats.unanswered == [{"question": "what is x", "count": 2}]


def test_core_stats_reply(core: Core) -> None:
    core.answer(Message("do I need an NDA", "u", "c"))
    text = core.answer(Command(CommandName.STATS, "u", "c", admin=True)).text
    assert "Questions: 1 (answered 100%)" in text
    assert "No unanswered questions yet." in text


# ----- a database that cannot be written ---------------------------------------------------------


def _file_core(tiny_knowledge: Path, tmp_path: Path) -> Core:
    settings = make_settings(tiny_knowledge, tmp_path / "data")
    return Core.start(settings, embedder=HashingEmbedder(), store=Store(tmp_path / "bot.db", "salt"))


def test_read_only_database_still_answers_and_logs(
    tiny_knowledge: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    core = _file_core(tiny_knowledge, tmp_path)
    core.store.db.execute("pragma query_only = on")
    with caplog.at_level(logging.ERROR):
        reply = core.answer(Message("do I need an NDA", "u", "c"))
    assert reply.answered and reply.sources[0].id == "contracts"
    assert reply.answer_id is None
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("could not store the question" in m and "answering anyway" in m for m in errors)
    assert any("could not store the conversation topic" in m for m in errors)
    assert "expired" in core.answer(Rating("missing", 1, "u", "c")).text  # an id the store never kept


async def test_locked_database_still_answers_and_logs(
    tiny_knowledge: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    core = _file_core(tiny_knowledge, tmp_path)
    core.store.db.execute("pragma busy_timeout = 10")  # fail fast instead of the production wait
    other = sqlite3.connect(tmp_path / "bot.db", isolation_level=None)
    other.execute("begin exclusive")
    try:
        with caplog.at_level(logging.ERROR):
            reply = await core.handle(Message("do I need an NDA", "u", "c"))
            sync_reply = core.answer(Message("visionaries and pragmatists", "u", "c2"))
    finally:
        other.execute("rollback")
        other.close()
    assert reply.answered and reply.sources[0].id == "contracts"
    assert sync_reply.answered and sync_reply.sources[0].id == "chasm"
    assert any("locked" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    # Once the lock is gone, storing works again.
    assert core.answer(Message("do I need an NDA", "u", "c")).answer_id


def test_questions_keep_the_reply_text_and_old_conversations_expire(core: Core) -> None:
    from bot.messages import Message

    reply = core.answer(Message("what is the chasm", "u9", "c9"))
    row = next(core.store.db.query("select reply from questions where answer_id = ?", [reply.answer_id]))
    assert row["reply"] == reply.text and "Crossing the chasm" in row["reply"]
    assert core.store.last_note("console", "c9") == "chasm"
    core.store.db.execute("update conversations set ts = '2000-01-01T00:00:00+00:00'")
    core.store.delete_older_than(30)
    assert core.store.last_note("console", "c9") is None


def test_migrations_bring_an_old_database_up_to_date(tmp_path: Path) -> None:
    import sqlite_utils

    from bot.storage.schema import migrations
    from bot.storage.store import Store

    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="add_reply_text")  # the first schema only, as an older release left it
    assert "reply" not in old["questions"].columns_dict
    old.conn.close()
    store = Store(path, "salt")
    assert "reply" in store.db["questions"].columns_dict


def _salt_in_child(path: Path, barrier: Any, out: Any) -> None:
    barrier.wait()
    out.put(read_salt(path))


def test_an_empty_salt_file_refuses_to_start(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    path.with_suffix(".salt").write_text("")  # a start on a full disk left it empty
    with pytest.raises(ConfigError, match=r"bot\.salt.*empty"):
        Store(path)


def test_an_unreadable_salt_file_refuses_to_start(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    path.with_suffix(".salt").mkdir()  # a folder where the file should be: cannot be read
    with pytest.raises(ConfigError, match=r"bot\.salt"):
        Store(path)


def test_a_failed_salt_write_leaves_no_file_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bot.db"

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError):
        read_salt(path.with_suffix(".salt"))
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []
    assert Store(path).hash_id("telegram", "42") == Store(path).hash_id("telegram", "42")


def test_processes_creating_the_salt_at_once_end_with_one_salt(tmp_path: Path) -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    salt_file = tmp_path / "bot.salt"
    for _ in range(20):
        barrier, out = ctx.Barrier(8), ctx.Queue()
        children = [ctx.Process(target=_salt_in_child, args=(salt_file, barrier, out)) for _ in range(8)]
        for child in children:
            child.start()
        salts = [out.get(timeout=30) for _ in children]
        for child in children:
            child.join(timeout=30)
        assert len(set(salts)) == 1 and salt_file.read_text().strip() == salts[0]
        assert salt_file.stat().st_mode & 0o777 == 0o600
        salt_file.unlink()


def test_reads_and_writes_from_many_threads_share_one_connection_safely(tmp_path: Path) -> None:
    import threading

    store = Store(tmp_path / "bot.db", "salt")
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def writer(n: int) -> None:
        start.wait()
        try:
            for i in range(150):
                answer_id = ask(store, user=f"w{n}", answered=i % 2 == 0, question=f"q{i}")
                store.record_feedback(answer_id, "telegram", f"w{n}", 1)
                store.set_last_note("telegram", f"chat-{n}", f"w{n}", f"note-{i}")
        except BaseException as exc:  # any error from a thread fails the test
            errors.append(exc)

    def reader(n: int) -> None:
        start.wait()
        try:
            for _ in range(150):
                store.last_note("telegram", f"chat-{n}")
                store.stats()
                store.count("questions")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=f, args=(n,)) for n in range(3) for f in (writer, reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.count("questions") == 450 and store.count("feedback") == 450


def _open_store_in_child(path: Path, barrier: Any, out: Any) -> None:
    barrier.wait()
    try:
        store = Store(path)
        out.put(("ok", store.hash_id("telegram", "42")))
    except Exception as exc:  # reported to the parent
        out.put(("error", f"{type(exc).__name__}: {exc}"))


def test_processes_starting_together_on_a_fresh_database_all_start(tmp_path: Path) -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    for trial in range(10):
        path = tmp_path / f"trial-{trial}" / "bot.db"
        barrier, out = ctx.Barrier(4), ctx.Queue()
        children = [ctx.Process(target=_open_store_in_child, args=(path, barrier, out)) for _ in range(4)]
        for child in children:
            child.start()
        results = [out.get(timeout=60) for _ in children]
        for child in children:
            child.join(timeout=30)
        assert [r for r in results if r[0] == "error"] == []
        assert len({r[1] for r in results}) == 1  # one salt, so one hash for the same user
        applied = [r["name"] for r in Store(path).db.query("select name from _sqlite_migrations")]
        assert sorted(applied) == ["add_reply_text", "create_tables"]


def test_database_salt_and_their_side_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        store = Store(tmp_path / "bot.db")
        ask(store, question="a question with personal details")
        modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    finally:
        os.umask(old)
    assert {"bot.db", "bot.db-wal", "bot.db-shm", "bot.salt"} <= set(modes)
    assert modes == dict.fromkeys(modes, 0o600)


def test_an_existing_database_readable_by_others_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    Store(path, "salt").db.conn.close()
    path.chmod(0o644)
    Store(path, "salt")
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_database_that_is_not_one_is_named_in_the_error(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    path.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(ConfigError, match=f"{path} is not a readable SQLite database"):
        Store(path, "salt")
    assert path.read_bytes().startswith(b"this is not"), "users' data is never deleted to start"
