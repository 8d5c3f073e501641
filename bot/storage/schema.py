"""The database schema: sqlite-utils migrations, applied in order at every start.

Never rename or edit a migration that has shipped (its name is recorded in the
`_sqlite_migrations` table once it has run): append a new one (CONTRIBUTING.md).
"""

from __future__ import annotations

import logging
import sqlite3
import time

import sqlite_utils
from sqlite_utils import Migrations

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


def apply_migrations(db: sqlite_utils.Database, attempts: int = 5) -> None:
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
