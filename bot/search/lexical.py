"""The lexical (SQLite FTS5, BM25) table of an index: written by a build, queried read-only.

`write_lexical` fills a build's `lexical.db`; `LexicalTable` opens it read-only and answers
free-text queries, which `fts_query` first turns into a safe OR-query of content words.

A query is scored in memory, not by an FTS5 query (0.2 ms a question, a fifth of the Python
around the encoder): at load the table's own index is read through `fts5vocab` (each term's rows
and counts, each row's length in tokens) and every (term, row) pair's share of FTS5's `bm25()`
is computed once, with the same formula and constants as SQLite's `fts5_aux.c`, in the same
double arithmetic; a query adds its terms' shares in query order, as `bm25()` does, so the
scores are the same numbers. A query's words are tokenised by SQLite's own porter tokenizer (an
in-memory FTS5 table), once per word. A word that is not exactly one token falls back to FTS5.
"""

from __future__ import annotations

import logging
import math
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


def query_words(text: str) -> list[str]:
    """The content words of free text an FTS query searches, lower case, each once, in order."""
    words = [w for w in re.findall(r"\w+", text.lower()) if w not in STOPWORDS and len(w) > 1]
    return list(dict.fromkeys(words))


def fts_query(text: str) -> str:
    """Turn free text into a safe FTS5 OR-query of its content words ("" when none)."""
    return " OR ".join(f'"{w}"' for w in query_words(text))


BM25_K1 = 1.2
"""FTS5's `bm25()` k1 (`fts5_aux.c`)."""
BM25_B = 0.75
"""FTS5's `bm25()` b."""
WORD_CACHE = 50_000
"""Query words whose token is kept (a word is tokenised by SQLite once); past this many the cache starts again."""


class _Postings:
    """Each term's share of BM25 in each row that has it, read from an FTS5 table's index.

    Args:
        db: The connection with the FTS5 table `chunks_fts`.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        db.execute("create virtual table if not exists temp.chunks_vocab using fts5vocab(main, chunks_fts, instance)")
        counts: dict[str, dict[int, int]] = {}
        lengths: dict[int, int] = {}
        for term, row in db.execute("select term, doc from temp.chunks_vocab"):
            found = counts.setdefault(term, {})
            found[row] = found.get(row, 0) + 1
            lengths[row] = lengths.get(row, 0) + 1
        rows = int(db.execute("select count(*) from chunks_fts_docsize").fetchone()[0])
        average = sum(lengths.values()) / rows if rows else 1.0
        k1, b = BM25_K1, BM25_B
        self.shares: dict[str, list[tuple[int, float]]] = {}
        for term, found in counts.items():
            # As fts5Bm25GetData: IDF = log((N - nHit + 0.5) / (nHit + 0.5)), at least 1e-6.
            idf = math.log((rows - len(found) + 0.5) / (len(found) + 0.5))
            if idf <= 0.0:
                idf = 1e-6
            # As fts5Bm25Function, for one phrase of one row (f > 0; a phrase a row lacks adds 0).
            self.shares[term] = [
                (row, idf * ((f * (k1 + 1.0)) / (f + k1 * (1 - b + b * float(lengths[row]) / average))))
                for row, f in found.items()
            ]
        self._tokens = sqlite3.connect(":memory:", check_same_thread=False)
        self._tokens.execute("create virtual table words using fts5(word, tokenize='porter')")
        self._tokens.execute("create virtual table word_tokens using fts5vocab(words, instance)")
        self._terms: dict[str, str | None] = {}

    def term(self, word: str) -> str | None:
        """The token SQLite's porter tokenizer makes of a word, or None when it makes none or several."""
        if word in self._terms:
            return self._terms[word]
        if len(self._terms) >= WORD_CACHE:
            self._terms.clear()
        self._tokens.execute("delete from words")
        self._tokens.execute("insert into words (rowid, word) values (1, ?)", (word,))
        tokens = [t for (t,) in self._tokens.execute("select term from word_tokens order by offset")]
        self._terms[word] = tokens[0] if len(tokens) == 1 else None
        return self._terms[word]

    def best(self, words: list[str], k: int) -> list[tuple[int, float]] | None:
        """The best rows for an OR-query of `words` as (rowid, -bm25), best first; None when a word is not one token."""
        terms = [self.term(w) for w in words]
        scores: dict[int, float] = {}
        for term in terms:
            if term is None:
                return None
            for row, share in self.shares.get(term, ()):
                scores[row] = scores.get(row, 0.0) + share
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]

    def close(self) -> None:
        """Close the tokenizer's database."""
        self._tokens.close()


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
        self._postings: _Postings | None = None
        try:
            self._postings = _Postings(self._db)
        except sqlite3.Error as exc:  # an FTS5 without fts5vocab: every query goes to FTS5
            log.warning("%s: scoring lexical queries with FTS5 itself (%s)", path, exc)
        self._lock = threading.Lock()

    def best_chunks(self, text: str, k: int = 40) -> list[tuple[int, float]]:
        """Best FTS5 matches for free text, as (position in the build's chunks, -bm25) best first.

        A failed query (also one on a closed table) is logged and finds nothing.
        """
        words = query_words(text)
        if not words:
            return []
        with self._lock:
            found = self._postings.best(words, k) if self._postings is not None else None
        if found is not None:
            return [(rowid - 1, score) for rowid, score in found]
        query = " OR ".join(f'"{w}"' for w in words)  # as `fts_query`
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
            if self._postings is not None:
                self._postings.close()
                self._postings = None  # a query after a reload goes to the closed table, and fails as before
