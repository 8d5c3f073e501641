"""The lexical (SQLite FTS5, BM25) table of an index: written by a build, queried read-only.

`write_lexical` fills a build's `lexical.db`; `LexicalTable` opens it read-only and answers
free-text queries, which `fts_query` first turns into a safe OR-query of content words.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from pathlib import Path

from bot.search.chunks import Chunk, is_section_question

log = logging.getLogger(__name__)

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "could",
        "do",
        "does",
        "did",
        "for",
        "from",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "should",
        "so",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "i'm",
        "im",
        "get",
        "got",
        "about",
        "any",
        "some",
        "much",
        "many",
    ]
)


def fts_query(text: str) -> str:
    """Turn free text into a safe FTS5 OR-query of its content words ("" when none)."""
    words = [w for w in re.findall(r"\w+", text.lower()) if w not in STOPWORDS and len(w) > 1]
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(words))


def write_lexical(path: Path, chunks: list[Chunk]) -> None:
    """Write the FTS5 table of `chunks` (row i + 1 is chunk i) into a new database at `path`.

    Sections' own questions are left out: they never choose the note, so they take no part in BM25.
    """
    import sqlite_utils

    db = sqlite_utils.Database(path)
    db["chunks"].create(  # type: ignore[union-attr]
        {"rowid": int, "note_id": str, "kind": str, "part": str, "text": str}, pk="rowid"
    )
    db["chunks"].insert_all(  # type: ignore[union-attr]
        (
            {"rowid": i + 1, "note_id": c.note_id, "kind": c.kind, "part": c.part, "text": c.text}
            for i, c in enumerate(chunks)
            if not is_section_question(c)  # they never choose the note, so they take no part in BM25
        ),
        pk="rowid",
    )
    db["chunks"].enable_fts(["text"], tokenize="porter", create_triggers=False)  # type: ignore[union-attr]
    db.conn.close()


class LexicalTable:
    """A build's FTS5 table, open read-only; threads share it, one query at a time.

    Args:
        path: The build's `lexical.db`.

    Raises:
        sqlite3.DatabaseError: When the file is not a readable lexical table (the message names it).
    """

    def __init__(self, path: Path) -> None:
        uri = f"file:{path}?mode=ro&immutable=1"
        self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        try:
            self._db.execute("select count(*) from chunks").fetchone()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise sqlite3.DatabaseError(f"{path}: {exc}") from exc
        self._lock = threading.Lock()

    def best_chunks(self, text: str, k: int = 40) -> list[tuple[int, float]]:
        """Best FTS5 matches for free text, as (position in the build's chunks, -bm25) best first.

        A failed query (also one on a closed table) is logged and finds nothing.
        """
        query = fts_query(text)
        if not query:
            return []
        sql = (
            "select chunks_fts.rowid, bm25(chunks_fts) from chunks_fts "
            "where chunks_fts match ? order by bm25(chunks_fts) limit ?"
        )
        with self._lock:
            try:
                rows = self._db.execute(sql, (query, k)).fetchall()
            except (
                sqlite3.OperationalError,
                sqlite3.ProgrammingError,
            ) as exc:  # ProgrammingError: closed after a reload
                log.warning("lexical query failed (%s); using semantic search only", exc)
                return []
        return [(int(rowid) - 1, -float(score)) for rowid, score in rows]

    def close(self) -> None:
        """Close the database (waiting for a query in progress)."""
        with self._lock:
            self._db.close()
