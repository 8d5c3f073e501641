"""Conversation state, feedback and unanswered questions in SQLite (sqlite-utils): the `Store` and its queries.

User and chat ids are stored only as salted hashes. Writes that fail (a locked
or read-only database, a full disk) are logged by the caller and never cost the
user their answer. The schema is `bot.storage.schema`; the database file's
privacy, start-up lock and salt file are `bot.storage.private_files`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.config import ConfigError
from bot.storage.private_files import make_private, read_salt, start_up_lock
from bot.storage.schema import apply_migrations, migrations

__all__ = ["RatingOutcome", "Stats", "Store", "migrations", "retention_cutoff"]

log = logging.getLogger(__name__)


def retention_cutoff(days: int) -> str:
    """The time (ISO, as stored) before which rows are deleted when keeping `days` days."""
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat(timespec="seconds")


_SET_LAST_NOTE = (
    "insert into conversations (chat_hash, platform, user_hash, last_note, ts) values (?, ?, ?, ?, ?) "
    "on conflict(chat_hash) do update set user_hash = excluded.user_hash, "
    "last_note = excluded.last_note, ts = excluded.ts"
)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class RatingOutcome:
    """What storing a rating found.

    Attributes:
        previous: The same user's earlier rating of the answer (+1 or -1), or None for a first rating.
        answered: False when the rated reply was a decline (no confident answer).
    """

    previous: int | None
    answered: bool


@dataclass(frozen=True)
class Stats:
    """Headline figures for admins."""

    questions: int
    answered: int
    up: int
    down: int
    unanswered: list[dict[str, Any]]

    @property
    def answered_share(self) -> float:
        """Answered questions as a share of all questions (0 when none)."""
        return self.answered / self.questions if self.questions else 0.0


class Store:
    """The bot's SQLite database; one connection shared by every thread, each use under one lock.

    Args:
        path: Database file, or None for an in-memory database (tests).
        salt: Secret mixed into user hashes; read from or written to `<db>.salt` when empty.
    """

    def __init__(self, path: Path | None, salt: str = "") -> None:
        try:
            self._open(path, salt)
        except sqlite3.DatabaseError as exc:
            if path is None or isinstance(exc, sqlite3.OperationalError):  # locked, read-only, ...: not damage
                raise
            # Never replaced: it holds users' questions and feedback, not a cache.
            raise ConfigError(
                f"{path} is not a readable SQLite database ({exc}); restore it from a backup, "
                "or move it away to start with an empty one"
            ) from exc

    def _open(self, path: Path | None, salt: str) -> None:
        self._lock = threading.RLock()
        if path is None:
            conn = sqlite3.connect(":memory:", check_same_thread=False)
        else:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            make_private(path)
            conn = sqlite3.connect(path, check_same_thread=False, timeout=5)
        self.db = sqlite_utils.Database(conn)
        # Deleted rows (/forget, retention) are overwritten, not left in free pages of the file.
        self.db.execute("pragma secure_delete = on")
        self._file = path
        if path is None:
            migrations.apply(self.db)
        else:
            # Two services starting together on a fresh database must not both create the schema.
            with start_up_lock(path.with_name(path.name + ".lock")):
                self.db.enable_wal()
                # In WAL mode NORMAL is safe against application crashes and saves an fsync per answer.
                self.db.execute("pragma synchronous = normal")
                salt = salt or read_salt(path.with_suffix(".salt"))
                apply_migrations(self.db)
        self._salt = salt or secrets.token_hex(16)

    def hash_id(self, platform: str, raw_id: str) -> str:
        """Salted hash of a platform id; raw ids are never stored."""
        return hashlib.sha256(f"{self._salt}:{platform}:{raw_id}".encode()).hexdigest()[:32]

    def record_question(
        self,
        *,
        platform: str,
        user: str,
        chat: str,
        question: str,
        kind: str,
        answered: bool,
        note_id: str | None,
        score: float,
        reply: str = "",
        last_note: str | None = None,
    ) -> str:
        """Store one question and what the bot did with it (including the reply text it sent).

        With `last_note`, the chat's topic is set in the same transaction (as `set_last_note` does):
        one commit per answer, not two.

        Returns:
            The answer id, for feedback.
        """
        answer_id = uuid.uuid4().hex[:16]
        user_hash = self.hash_id(platform, user)
        row = {
            "answer_id": answer_id,
            "ts": _now(),
            "platform": platform,
            "user_hash": user_hash,
            "chat_hash": self.hash_id(platform, chat),
            "question": question,
            "kind": kind,
            "answered": int(answered),
            "note_id": note_id or "",
            "score": round(float(score), 4),
            "reply": reply,
        }
        # Plain SQL on the answer path: sqlite-utils' insert() introspects the table each time.
        with self._lock, self.db.conn:
            self.db.execute(
                "insert into questions (answer_id, ts, platform, user_hash, chat_hash, question, kind, answered, note_id, score, reply) "
                "values (:answer_id, :ts, :platform, :user_hash, :chat_hash, :question, :kind, :answered, :note_id, :score, :reply)",
                row,
            )
            if not answered and kind in ("answer", "fallback"):
                self.db.execute(
                    "insert into unanswered (answer_id, ts, platform, user_hash, question, nearest_note, score) "
                    "values (:answer_id, :ts, :platform, :user_hash, :question, :note_id, :score)",
                    row,
                )
            if last_note is not None:
                self.db.execute(_SET_LAST_NOTE, [row["chat_hash"], platform, user_hash, last_note, row["ts"]])
        return answer_id

    def record_feedback(self, answer_id: str, platform: str, user: str, rating: int) -> RatingOutcome | None:
        """Store a 👍 (+1) or 👎 (-1) for an answer; a second press by the same user replaces the first.

        Returns:
            What the rating replaced and what it rated, or None when the answer id is unknown.
        """
        user_hash = self.hash_id(platform, user)
        with self._lock, self.db.conn:
            rows = list(self.db.query("select note_id, answered from questions where answer_id = ?", [answer_id]))
            if not rows:
                return None
            earlier = list(
                self.db.query(
                    "select rating from feedback where answer_id = ? and user_hash = ?", [answer_id, user_hash]
                )
            )
            self.db["feedback"].upsert(  # type: ignore[union-attr]
                {
                    "answer_id": answer_id,
                    "user_hash": user_hash,
                    "ts": _now(),
                    "rating": 1 if rating > 0 else -1,
                    "note_id": rows[0]["note_id"],
                },
                pk=("answer_id", "user_hash"),
            )
        return RatingOutcome(earlier[0]["rating"] if earlier else None, bool(rows[0]["answered"]))

    def set_last_note(self, platform: str, chat: str, user: str, note_id: str) -> None:
        """Remember the chat's current topic, for follow-up questions."""
        with self._lock, self.db.conn:
            self.db.execute(
                _SET_LAST_NOTE, [self.hash_id(platform, chat), platform, self.hash_id(platform, user), note_id, _now()]
            )

    def last_note(self, platform: str, chat: str) -> str | None:
        """The chat's previous topic, if any."""
        with self._lock:
            rows = list(
                self.db.query("select last_note from conversations where chat_hash = ?", [self.hash_id(platform, chat)])
            )
        return rows[0]["last_note"] if rows else None

    def forget_user(self, platform: str, user: str) -> int:
        """Delete every row about one user.

        Returns:
            How many rows were deleted.
        """
        user_hash = self.hash_id(platform, user)
        with self._lock, self.db.conn:
            total = 0
            for table in ("questions", "feedback", "unanswered", "conversations"):
                cursor = self.db.execute(f"delete from {table} where user_hash = ?", [user_hash])
                total += max(cursor.rowcount, 0)
        if total:
            self._checkpoint()
        return total

    def first_unanswered(self, platform: str, user: str) -> str | None:
        """When the user's first stored unanswered question was asked (ISO), or None."""
        with self._lock:
            row = self.db.execute(
                "select min(ts) from unanswered where user_hash = ?", [self.hash_id(platform, user)]
            ).fetchone()
        return row[0] if row else None

    def _checkpoint(self) -> None:
        """Copy the write-ahead log into the database and empty it, so deleted text leaves it too (best effort)."""
        if self._file is None:
            return
        try:
            with self._lock:
                self.db.execute("pragma wal_checkpoint(truncate)")
        except sqlite3.Error as exc:  # a reader in another process: the next checkpoint catches up
            log.warning("could not checkpoint the database after deleting (%s)", exc)

    def delete_older_than(self, days: int) -> int:
        """Delete stored questions, their unanswered rows and idle conversations older than `days` days.

        Feedback rows stay: they hold no text, only a rating of a note, and keep its history.
        """
        cutoff = retention_cutoff(days)
        with self._lock, self.db.conn:
            total = 0
            for table in ("questions", "unanswered", "conversations"):
                total += max(self.db.execute(f"delete from {table} where ts < ?", [cutoff]).rowcount, 0)
        if total:
            self._checkpoint()
        return total

    def stats(self, top: int = 5) -> Stats:
        """Counts of questions, answers and feedback, and the most common unanswered questions."""
        with self._lock:
            q = self.db.execute("select count(*), coalesce(sum(answered), 0) from questions").fetchone()
            f = self.db.execute(
                "select coalesce(sum(rating > 0), 0), coalesce(sum(rating < 0), 0) from feedback"
            ).fetchone()
            unanswered = [
                dict(r)
                for r in self.db.query(
                    "select lower(question) as question, count(*) as count from unanswered "
                    "group by lower(question) order by count desc, max(ts) desc limit ?",
                    [top],
                )
            ]
        return Stats(int(q[0]), int(q[1]), int(f[0]), int(f[1]), unanswered)

    def count(self, table: str) -> int:
        """Number of rows in one of the store's tables."""
        with self._lock:
            return self.db[table].count  # type: ignore[union-attr]
