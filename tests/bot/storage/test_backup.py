"""`outsourcebot backup` and `restore`, run as real subprocesses beside a bot that keeps writing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.config import ConfigError
from bot.storage.backup import backup, restore
from bot.storage.store import Store

EXE = Path(sys.executable).parent / "outsourcebot"


def bot_env(knowledge: Path, data: Path) -> dict[str, str]:
    """A bot on the tiny notes with the fast numpy encoder; the salt lives in the data folder's file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTSOURCEBOT_")}
    env.update(
        OUTSOURCEBOT_DATA_DIR=str(data),
        OUTSOURCEBOT_KNOWLEDGE_DIR=str(knowledge),
        OUTSOURCEBOT_ENCODER="numpy",
        HF_HUB_OFFLINE="1",
    )
    return env


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, env=env, timeout=120)


def questions_in(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        return int(conn.execute("select count(*) from questions").fetchone()[0])
    finally:
        conn.close()


def test_backups_taken_while_the_bot_writes_are_whole_and_restore_with_their_users(
    tiny_knowledge: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    env = bot_env(tiny_knowledge, data)
    # The bot: `ask` reading questions from a pipe, recording each in the database as it answers.
    bot = subprocess.Popen(
        [str(EXE), "ask", "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert bot.stdin is not None and bot.stdout is not None
    answers: list[str] = []
    reader = threading.Thread(target=lambda: answers.extend(bot.stdout or []), daemon=True)
    reader.start()
    sent = 0
    stop = threading.Event()

    def ask_forever() -> None:
        nonlocal sent
        assert bot.stdin is not None
        while not stop.is_set():
            if sent - len(answers) > 4:  # a few questions in flight, not a backlog
                time.sleep(0.005)
                continue
            bot.stdin.write(f"what is the chasm, take {sent}\n")
            bot.stdin.flush()
            sent += 1

    db = data / "outsourcebot.db"
    deadline = time.monotonic() + 60
    while not (db.exists() and questions_in(db) >= 20):
        assert bot.poll() is None, bot.stderr.read() if bot.stderr else ""
        assert time.monotonic() < deadline, "the bot stored nothing"
        if sent == 0:
            writer = threading.Thread(target=ask_forever, daemon=True)
            writer.start()
        time.sleep(0.2)
    counts = []
    try:
        for n in range(4):
            done = cli(env, "backup", str(tmp_path / f"backup-{n}"))
            assert done.returncode == 0, done.stderr
            assert "Backed up" in done.stdout
            counts.append(questions_in(tmp_path / f"backup-{n}" / "outsourcebot.db"))
            time.sleep(0.3)
        during = questions_in(db)
    finally:
        stop.set()
        writer.join()
        bot.stdin.close()
        assert bot.wait(timeout=60) == 0
        reader.join(timeout=10)
    errors = bot.stderr.read() if bot.stderr else ""
    assert "locked" not in errors and "Traceback" not in errors, errors
    assert counts == sorted(counts) and counts[0] >= 20
    assert counts[-1] > counts[0], "the bot kept writing between backups"
    assert counts[-1] <= during
    stored = questions_in(db)
    assert stored == sent == len(answers), "every question the bot was sent is answered and stored"
    backup_dir = tmp_path / "backup-3"
    assert (backup_dir / "outsourcebot.salt").read_bytes() == (data / "outsourcebot.salt").read_bytes()
    assert not (backup_dir / "outsourcebot.db-wal").exists(), "a backup is one self-contained file"
    assert (backup_dir / "outsourcebot.db").stat().st_mode & 0o777 == 0o600

    # Restore on "another machine": a fresh data folder. The users' hashes match again, so
    # forget finds every question of the `ask` runs' user.
    moved = tmp_path / "moved"
    moved_env = bot_env(tiny_knowledge, moved)
    done = cli(moved_env, "restore", str(backup_dir))
    assert done.returncode == 0, done.stderr
    assert f"{counts[-1]} questions" in done.stdout
    again = cli(moved_env, "ask", "what is the chasm")
    assert again.returncode == 0 and again.stdout.startswith("Crossing the chasm"), again.stderr
    forgotten = cli(moved_env, "forget", "cli", "--platform", "cli")
    assert forgotten.returncode == 0, forgotten.stderr
    assert int(forgotten.stdout.split()[1]) >= counts[-1] + 1, forgotten.stdout
    assert questions_in(moved / "outsourcebot.db") == 0


def test_restore_refuses_a_folder_with_questions_without_force(tiny_knowledge: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for data, question in ((first, "what is the chasm"), (second, "how much does a freelancer cost")):
        assert cli(bot_env(tiny_knowledge, data), "ask", question).returncode == 0
    assert cli(bot_env(tiny_knowledge, first), "backup", str(tmp_path / "b")).returncode == 0
    env = bot_env(tiny_knowledge, second)
    refused = cli(env, "restore", str(tmp_path / "b"))
    assert refused.returncode == 2 and "holds 1 question(s)" in refused.stderr and "--force" in refused.stderr
    assert (second / "outsourcebot.salt").read_bytes() != (first / "outsourcebot.salt").read_bytes()
    forced = cli(env, "restore", str(tmp_path / "b"), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (second / "outsourcebot.salt").read_bytes() == (first / "outsourcebot.salt").read_bytes()
    store = Store(second / "outsourcebot.db")
    try:
        assert [r["question"] for r in store.db.query("select question from questions")] == ["what is the chasm"]
    finally:
        store.db.conn.close()


def test_a_damaged_or_foreign_backup_is_refused_before_anything_is_replaced(tmp_path: Path) -> None:
    data = tmp_path / "data"
    Store(data / "outsourcebot.db").db.conn.close()  # an empty bot database and its salt
    before = (data / "outsourcebot.db").read_bytes()
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "outsourcebot.db").write_bytes(b"SQLite format 3\x00" + b"\x07" * 4000)
    (damaged / "outsourcebot.salt").write_text("abc", encoding="ascii")
    with pytest.raises(ConfigError, match=r"not a readable SQLite database|integrity"):
        restore(damaged, data, force=True)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    sqlite3.connect(foreign / "outsourcebot.db").execute("create table t (x)").connection.commit()
    (foreign / "outsourcebot.salt").write_text("abc", encoding="ascii")
    with pytest.raises(ConfigError, match="not an outsourcebot database"):
        restore(foreign, data, force=True)
    with pytest.raises(ConfigError, match=r"holds no outsourcebot\.db"):
        restore(tmp_path / "nowhere", data)
    assert (data / "outsourcebot.db").read_bytes() == before
    with pytest.raises(ConfigError, match="no database to back up"):
        backup(tmp_path / "empty", tmp_path / "b")
    with pytest.raises(ConfigError, match="the data folder itself"):
        backup(data, data)
