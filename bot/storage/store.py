"""Conversation state, feedback and unanswered questions in SQLite (sqlite-utils).

User and chat ids are stored only as salted hashes. Writes that fail (a locked
or read-only database, a full disk) are logged by the caller and never cost the
user their answer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils import Migrations

from bot.config import ConfigError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no start-up lock, the migration retry still applies
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

migrations = Migrations("outsourcebot")


@migrations()
def create_tables(db: sqlite_utils.Database) -> None:
    """First schema: questions, feedback, unanswered questions, conversations."""
    db["questions"].create(  # type: ignore[union-attr]
        {
            "answer_id": str,
            "ts": str,
            "platform": str,
            "user_hash": str,
            "chat_hash": str,
            "question": str,
            "kind": str,
            "answered": int,
            "note_id": str,
            "score": float,
        },
        pk="answer_id",
    )
    db["questions"].create_index(["user_hash"])  # type: ignore[union-attr]
    db["questions"].create_index(["ts"])  # type: ignore[union-attr]
    db["feedback"].create(  # type: ignore[union-attr]
        {"answer_id": str, "user_hash": str, "ts": str, "rating": int, "note_id": str},
        pk=("answer_id", "user_hash"),
    )
    db["unanswered"].create(  # type: ignore[union-attr]
        {
            "answer_id": str,
            "ts": str,
            "platform": str,
            "user_hash": str,
            "question": str,
            "nearest_note": str,
            "score": float,
        },
        pk="answer_id",
    )
    db["conversations"].create(  # type: ignore[union-attr]
        {"chat_hash": str, "platform": str, "user_hash": str, "last_note": str, "ts": str}, pk="chat_hash"
    )


@migrations()
def add_reply_text(db: sqlite_utils.Database) -> None:
    """Keep the reply the user saw beside each question, for maintainers reviewing answers."""
    db["questions"].add_column("reply", str)  # type: ignore[union-attr]


def _make_private(path: Path) -> None:
    """Create the database file 0600 (SQLite gives its -wal and -shm files the same mode), or make it so."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # an empty file is a new SQLite database
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)
                log.warning("%s was readable by other users; it is now private (0600)", file)
        except FileNotFoundError:
            pass
        except OSError as exc:  # not ours to change: say so, and go on
            log.warning("cannot make %s private: %s", file, exc)


@contextlib.contextmanager
def _start_up_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created 0600) while one process sets the database up."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _apply_migrations(db: sqlite_utils.Database, attempts: int = 5) -> None:
    """Apply pending migrations, retrying while another program (one not taking the lock) holds the database."""
    for attempt in range(attempts):
        try:
            migrations.apply(db)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            log.warning("database is locked while migrating; trying again (%d/%d)", attempt + 1, attempts)
            time.sleep(0.2 * (attempt + 1))


def _create_salt(path: Path) -> str:
    """Write a new random salt to `path` unless another process got there first; return the salt in force.

    The salt goes into a private temporary file that is then linked into place, so the
    salt file never exists half written, and of two processes creating it at once the
    second finds the file and uses the first one's salt.
    """
    value = secrets.token_hex(16)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)  # whatever the umask
            os.write(fd, value.encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process wrote it first: use theirs
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return Store._file_salt(path)


def retention_cutoff(days: int) -> str:
    """The time (ISO, as stored) before which rows are deleted when keeping `days` days."""
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat(timespec="seconds")


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
            _make_private(path)
            conn = sqlite3.connect(path, check_same_thread=False, timeout=5)
        self.db = sqlite_utils.Database(conn)
        # Deleted rows (/forget, retention) are overwritten, not left in free pages of the file.
        self.db.execute("pragma secure_delete = on")
        self._file = path
        if path is None:
            migrations.apply(self.db)
        else:
            # Two services starting together on a fresh database must not both create the schema.
            with _start_up_lock(path.with_name(path.name + ".lock")):
                self.db.enable_wal()
                # In WAL mode NORMAL is safe against application crashes and saves an fsync per answer.
                self.db.execute("pragma synchronous = normal")
                salt = salt or self._file_salt(path.with_suffix(".salt"))
                _apply_migrations(self.db)
        self._salt = salt or secrets.token_hex(16)

    @staticmethod
    def _file_salt(path: Path) -> str:
        """Read the salt file, creating it once (atomically, 0600) when it does not exist.

        Raises:
            ConfigError: When the file exists but is empty or cannot be read: a new salt
                would silently stop `/forget` from finding anyone stored under the old one.
        """
        try:
            value = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return _create_salt(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"cannot read the salt file {path} ({getattr(exc, 'strerror', None) or exc}); "
                "make it a readable file for this user, or set OUTSOURCEBOT_SALT to the same salt"
            ) from None
        if not value:
            raise ConfigError(
                f"the salt file {path} is empty (an earlier start could not write it, e.g. on a full disk); "
                "write the old salt back or set OUTSOURCEBOT_SALT to it. If it is lost, delete the file: "
                "a new salt is made at the next start, and /forget cannot find questions stored before"
            )
        return value

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
    ) -> str:
        """Store one question and what the bot did with it (including the reply text it sent).

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
                "insert into conversations (chat_hash, platform, user_hash, last_note, ts) values (?, ?, ?, ?, ?) "
                "on conflict(chat_hash) do update set user_hash = excluded.user_hash, "
                "last_note = excluded.last_note, ts = excluded.ts",
                [self.hash_id(platform, chat), platform, self.hash_id(platform, user), note_id, _now()],
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
