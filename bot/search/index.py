"""Building, storing and loading the search indexes (FAISS vectors and SQLite FTS5).

A build writes a new folder beside the old one and then atomically replaces the
`CURRENT` pointer, so a crash mid-build leaves the previous index in service and
readers never see half-written files. Builds hold an exclusive lock on
`<index dir>/build.lock`, so processes sharing a data folder (a bot and a
`kb build`, say) never remove each other's builds.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.knowledge.notes import KnowledgeBase, KnowledgeNote
from bot.search.embedder import Embedder

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.search.grounding import Vocabulary

log = logging.getLogger(__name__)

POINTER = "CURRENT"
LOCK = "build.lock"
INDEX_FORMAT = 4
"""Bumped when what a build stores changes (2: each chunk names the passage it belongs to, and list
sections are indexed item by item; 3: a section's own `? ...` questions; 4: those left out of the lexical table), so older builds are rebuilt."""
ANSWER_PART = "answer"
"""The passage of a note's title, its own alternate questions and its opening answer."""
EMBED_BATCH = 64
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
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Chunk:
    """One searchable text of a note: its title, an alternate question, the answer, a key point or a section.

    Attributes:
        note_id: The note.
        kind: "title", "question", "answer", "point" or "section".
        text: What is embedded and indexed.
        part: The passage of the note this text stands for: "answer" (the title, the note's own
            questions and its opening answer), "point:<i>" (the i-th key point) or "section:<i>"
            (the i-th entry of `KnowledgeNote.sections`). A reply shows the passage that matched.
    """

    note_id: str
    kind: str
    text: str
    part: str = ANSWER_PART


def point_part(number: int) -> str:
    """The passage name of a note's key point `number` (0-based)."""
    return f"point:{number}"


def section_part(number: int) -> str:
    """The passage name of a note's section `number` (0-based, into `KnowledgeNote.sections`)."""
    return f"section:{number}"


@dataclass
class BuildReport:
    """What a build did."""

    notes: int = 0
    chunks: int = 0
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0
    added: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One human line describing the build."""
        changes = f"added {len(self.added)}, edited {len(self.edited)}, removed {len(self.removed)}"
        return (
            f"{self.notes} notes, {self.chunks} chunks: embedded {self.embedded}, "
            f"reused {self.reused} from cache; {changes}; {self.seconds:.2f} s"
        )


def note_chunks(note: KnowledgeNote) -> list[Chunk]:
    """Split a note into the texts that are embedded and indexed."""
    chunks = [Chunk(note.id, "title", note.title)]
    chunks += [Chunk(note.id, "question", q) for q in note.questions]
    if note.answer:
        chunks.append(Chunk(note.id, "answer", note.answer))
    chunks += [Chunk(note.id, "point", p, point_part(i)) for i, p in enumerate(note.key_points)]
    for i, (heading, text) in enumerate(note.sections):
        items = note.section_items[i] if i < len(note.section_items) else []
        if i == 0 and note.key_points:
            continue  # the key points, indexed one by one above
        questions = note.section_questions[i] if i < len(note.section_questions) else []
        # A section's own questions find that section, as a note's questions find the note.
        chunks += [Chunk(note.id, "question", q, section_part(i)) for q in questions]
        if items:
            # A list section is found by its items, each under the section's heading.
            chunks += [Chunk(note.id, "point", f"{heading}: {item}", section_part(i)) for item in items]
        elif text:
            chunks.append(Chunk(note.id, "section", f"{heading}: {text}", section_part(i)))
    return chunks


def is_passage_text(chunk: Chunk) -> bool:
    """True for a chunk that says which passage of its note answers: its text, or a question of a section.

    The title and the note's own alternate questions say which note a question is about,
    not which part of it answers, so they are left out when passages are compared.
    """
    return chunk.kind in ("answer", "point", "section") or (chunk.kind == "question" and chunk.part != ANSWER_PART)


def is_section_question(chunk: Chunk) -> bool:
    """True for a section's own question (a `? ...` line), which chooses a passage but never the note."""
    return chunk.kind == "question" and chunk.part != ANSWER_PART


def fts_query(text: str) -> str:
    """Turn free text into a safe FTS5 OR-query of its content words ("" when none)."""
    words = [w for w in re.findall(r"\w+", text.lower()) if w not in STOPWORDS and len(w) > 1]
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(words))


class EmbeddingCache:
    """Vectors cached by model and content hash, so rebuilds embed only new texts."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            self._db = self._reset(exc)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path)
        try:
            db.execute("create table if not exists vectors (key text primary key, vector blob not null)")
            db.execute("select count(*) from vectors").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _reset(self, exc: Exception) -> sqlite3.Connection:
        """Replace an unreadable cache with an empty one: it only saves embedding time."""
        log.warning("embedding cache %s is unreadable (%s); starting a new one", self.path, exc)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        return self._open()

    @staticmethod
    def key(model: str, text: str) -> str:
        """The cache key of one text under one model."""
        return hashlib.sha256(f"{model}\n{text}".encode()).hexdigest()

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        """Return the cached vectors among `keys`."""
        found: dict[str, np.ndarray] = {}
        try:
            for start in range(0, len(keys), 500):
                part = keys[start : start + 500]
                sql = f"select key, vector from vectors where key in ({','.join('?' * len(part))})"
                found.update({k: np.frombuffer(v, dtype=np.float32) for k, v in self._db.execute(sql, part)})
        except sqlite3.DatabaseError as exc:  # damaged past its first pages: embed everything again
            self._db.close()
            self._db = self._reset(exc)
            return {}
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        """Store vectors by key."""
        with self._db:
            self._db.executemany(
                "insert or replace into vectors values (?, ?)",
                [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
            )

    def close(self) -> None:
        """Close the cache database."""
        self._db.close()


class LoadedIndex:
    """A built index in memory: FAISS vectors plus the FTS5 table, read-only."""

    def __init__(self, folder: Path) -> None:
        import faiss

        faiss.omp_set_num_threads(1)  # two OpenMP threads make single queries many times slower
        self.folder = folder
        self.manifest: dict[str, Any] = json.loads((folder / "manifest.json").read_text())
        raw_chunks = json.loads((folder / "chunks.json").read_text())
        self.chunks = [Chunk(**c) for c in raw_chunks]
        self.vectors = faiss.read_index(str(folder / "vectors.faiss"))
        if self.vectors.ntotal != len(self.chunks):
            raise ValueError(f"index {folder} has {self.vectors.ntotal} vectors for {len(self.chunks)} chunks")
        self.chunk_notes = [c.note_id for c in self.chunks]
        self.passage_chunks: dict[str, list[int]] = {}
        """Per note, the positions of the chunks that stand for a passage (see `is_passage_text`)."""
        self.note_question_chunks: dict[str, list[int]] = {}
        """Per note, the positions of its title and its own (front matter) questions."""
        self.section_questions = frozenset(i for i, c in enumerate(self.chunks) if is_section_question(c))
        """Positions of the sections' own questions: they choose a passage within a note, but are left
        out of what chooses the note (`note_chunks`, `semantic_chunks`, the lexical table, `vocabulary`), so a
        section's question never draws a question away from the note that is about it."""
        for i, chunk in enumerate(self.chunks):
            if is_passage_text(chunk):
                self.passage_chunks.setdefault(chunk.note_id, []).append(i)
            elif chunk.kind in ("title", "question"):
                self.note_question_chunks.setdefault(chunk.note_id, []).append(i)
        self.matrix = (
            self.vectors.reconstruct_n(0, self.vectors.ntotal) if self.vectors.ntotal else np.zeros((0, 1), np.float32)
        )
        self.note_ids = list(dict.fromkeys(self.chunk_notes))
        """Every note with a chunk, in index order."""
        self.note_chunks = _note_chunk_table(self.chunk_notes, self.note_ids, self.section_questions)
        """Row r: the positions in `chunks` of note `note_ids[r]`'s chunks, padded with -1 (for scoring notes at once);
        sections' own questions left out (see `section_questions`)."""
        from bot.search.grounding import Vocabulary

        # Built here, not on the first question, so no message waits for it.
        self.vocabulary: Vocabulary = Vocabulary(
            (c.note_id, c.text) for i, c in enumerate(self.chunks) if i not in self.section_questions
        )
        """The notes' words and which notes use each."""
        uri = f"file:{folder / 'lexical.db'}?mode=ro&immutable=1"
        self._lexical = sqlite3.connect(uri, uri=True, check_same_thread=False)
        try:
            self._lexical.execute("select count(*) from chunks").fetchone()
        except sqlite3.DatabaseError as exc:
            self._lexical.close()
            raise sqlite3.DatabaseError(f"{folder / 'lexical.db'}: {exc}") from exc
        self._lock = threading.Lock()
        self.closed = False

    @property
    def model(self) -> str:
        """Name of the embedder the vectors were made with."""
        return str(self.manifest.get("model", ""))

    def semantic(self, vectors: np.ndarray, k: int = 40) -> list[list[tuple[str, float]]]:
        """Nearest chunks for each query vector, as (note id, cosine) best first."""
        return [[(self.chunk_notes[i], s) for i, s in row] for row in self.semantic_chunks(vectors, k)]

    def semantic_chunks(self, vectors: np.ndarray, k: int = 40) -> list[list[tuple[int, float]]]:
        """Nearest chunks for each query vector, as (position in `chunks`, cosine) best first.

        Sections' own questions are not among them (see `section_questions`).
        """
        skip = self.section_questions
        wanted = min(k, len(self.chunks) - len(skip))
        scores, ids = self.vectors.search(
            np.ascontiguousarray(vectors, dtype=np.float32), min(wanted + len(skip), len(self.chunks))
        )
        return [
            [(int(i), float(s)) for s, i in zip(row_s, row_i) if i >= 0 and int(i) not in skip][:wanted]
            for row_s, row_i in zip(scores, ids)
        ]

    def passage_cosines(self, note_id: str, vector: np.ndarray) -> list[tuple[int, float]]:
        """Cosine of one query vector with each passage chunk of a note that counts (see `counted_passages`)."""
        sims = self.matrix @ np.asarray(vector, dtype=np.float32)
        return [(i, float(sims[i])) for i in self.counted_passages(note_id, sims)]

    def counted_passages(self, note_id: str, sims: np.ndarray) -> list[int]:
        """The passage chunks of a note that count for a question, given its cosine with every chunk.

        A section's own question counts only when it is at least as close to the question as every
        question of the note as a whole (its title and front-matter questions): a question is
        nearer to another question than to any prose, so without this a section's questions
        would take over the note's general questions. Left out, the section still competes by
        its text.
        """
        ids = self.passage_chunks.get(note_id, [])
        general = self.note_question_chunks.get(note_id, [])
        bar = float(np.max(sims[general])) if general else float("-inf")
        return [i for i in ids if not (i in self.section_questions and float(sims[i]) < bar)]

    def lexical(self, text: str, k: int = 40) -> list[tuple[str, float]]:
        """Best FTS5 matches for free text, as (note id, -bm25) best first."""
        return [(self.chunk_notes[i], s) for i, s in self.lexical_chunks(text, k)]

    def lexical_chunks(self, text: str, k: int = 40) -> list[tuple[int, float]]:
        """Best FTS5 matches for free text, as (position in `chunks`, -bm25) best first.

        Sections' own questions are not in the lexical table (see `section_questions`).
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
                rows = self._lexical.execute(sql, (query, k)).fetchall()
            except (
                sqlite3.OperationalError,
                sqlite3.ProgrammingError,
            ) as exc:  # ProgrammingError: closed after a reload
                log.warning("lexical query failed (%s); using semantic search only", exc)
                return []
        return [(int(rowid) - 1, -float(score)) for rowid, score in rows]

    def close(self) -> None:
        """Release the lexical database (waiting for a query in progress)."""
        with self._lock:
            self._lexical.close()
            self.closed = True


def _note_chunk_table(chunk_notes: list[str], note_ids: list[str], skip: frozenset[int] = frozenset()) -> np.ndarray:
    """Per note, its chunks' positions (but those in `skip`) as one row, padded with -1 to the longest row."""
    rows: dict[str, list[int]] = {n: [] for n in note_ids}
    for i, note_id in enumerate(chunk_notes):
        if i not in skip:
            rows[note_id].append(i)
    width = max((len(r) for r in rows.values()), default=0)
    table = np.full((len(note_ids), width), -1, dtype=np.int64)
    for r, note_id in enumerate(note_ids):
        table[r, : len(rows[note_id])] = rows[note_id]
    return table


def current_folder(index_dir: Path) -> Path | None:
    """The folder the `CURRENT` pointer names, if any."""
    try:
        name = (index_dir / POINTER).read_text().strip()
    except OSError:
        return None
    folder = index_dir / name
    return folder if name and folder.is_dir() else None


def load_index(index_dir: Path) -> LoadedIndex | None:
    """Load the current index, or None (with a log line) when it is missing or corrupt."""
    folder = current_folder(index_dir)
    if folder is None:
        return None
    try:
        return LoadedIndex(folder)
    except Exception as exc:  # a corrupt index is rebuilt, never fatal
        log.warning("index at %s is unreadable (%s: %s); it will be rebuilt", folder, type(exc).__name__, exc)
        return None


def is_current(index: LoadedIndex | None, kb: KnowledgeBase, embedder: Embedder) -> bool:
    """True when `index` was built from exactly these notes with this embedder."""
    return (
        index is not None
        and index.manifest.get("fingerprint") == kb.fingerprint
        and index.manifest.get("model") == embedder.name
        and index.manifest.get("format") == INDEX_FORMAT
    )


def _write_lexical(path: Path, chunks: list[Chunk]) -> None:
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


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the exclusive build lock of an index folder (waiting for another process's build)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_index(
    kb: KnowledgeBase, index_dir: Path, embedder: Embedder, progress: Progress | None = None
) -> BuildReport:
    """Embed the notes and write a new index, reusing cached vectors.

    Args:
        kb: The loaded knowledge (its problems are the caller's business).
        index_dir: Folder holding index builds and the `CURRENT` pointer.
        embedder: The encoder for new texts.
        progress: Called with (done, total) texts embedded.

    Returns:
        What the build did.
    """
    import faiss

    started = time.perf_counter()
    with build_lock(index_dir):
        report = _build_locked(kb, index_dir, embedder, progress, faiss)
    report.seconds = time.perf_counter() - started
    log.info("index built: %s", report.summary())
    return report


def _build_locked(
    kb: KnowledgeBase, index_dir: Path, embedder: Embedder, progress: Progress | None, faiss: Any
) -> BuildReport:
    previous = _previous_digests(index_dir)
    notes = sorted(kb.notes.values(), key=lambda n: n.id)
    chunks = [c for note in notes for c in note_chunks(note)]
    cache = EmbeddingCache(index_dir.parent / "embeddings.db")
    try:
        keys = [EmbeddingCache.key(embedder.name, c.text) for c in chunks]
        found = cache.get_many(list(dict.fromkeys(keys)))
        text_of = {k: c.text for k, c in zip(keys, chunks)}
        # Similar lengths together: each batch is padded to its longest text.
        missing = sorted((k for k in dict.fromkeys(keys) if k not in found), key=lambda k: len(text_of[k]))
        new: dict[str, np.ndarray] = {}
        for start in range(0, len(missing), EMBED_BATCH):
            part = missing[start : start + EMBED_BATCH]
            vectors = embedder.embed([text_of[k] for k in part])
            new.update(zip(part, vectors))
            if progress:
                progress(min(start + EMBED_BATCH, len(missing)), len(missing))
        if new:
            cache.put_many(new)
        found.update(new)
    finally:
        cache.close()

    matrix = np.stack([found[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, embedder.dim), np.float32)
    folder = index_dir / f"build-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.perf_counter_ns() % 10**6}"
    pointer_tmp = index_dir / f"{POINTER}.tmp-{os.getpid()}"
    digests = {n.id: n.digest for n in notes}
    folder.mkdir()
    try:
        vectors_index = faiss.IndexFlatIP(embedder.dim)
        if len(matrix):
            vectors_index.add(matrix)
        faiss.write_index(vectors_index, str(folder / "vectors.faiss"))
        (folder / "chunks.json").write_text(json.dumps([c.__dict__ for c in chunks]))
        _write_lexical(folder / "lexical.db", chunks)
        manifest = {
            "fingerprint": kb.fingerprint,
            "model": embedder.name,
            "format": INDEX_FORMAT,
            "notes": digests,
            "created": time.time(),
        }
        (folder / "manifest.json").write_text(json.dumps(manifest))
        pointer_tmp.write_text(folder.name)
        os.replace(pointer_tmp, index_dir / POINTER)
    except BaseException:
        # A failed build (a full disk, say) leaves nothing behind; the previous index stays in service.
        pointer_tmp.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
        raise
    _remove_old_builds(index_dir, folder)

    report = BuildReport(notes=len(notes), chunks=len(chunks), embedded=len(new), reused=len(set(keys)) - len(new))
    report.added = sorted(set(digests) - set(previous))
    report.removed = sorted(set(previous) - set(digests))
    report.edited = sorted(i for i in digests if i in previous and previous[i] != digests[i])
    return report


def _previous_digests(index_dir: Path) -> dict[str, str]:
    folder = current_folder(index_dir)
    if folder is None:
        return {}
    try:
        return dict(json.loads((folder / "manifest.json").read_text()).get("notes", {}))
    except (OSError, ValueError):
        return {}


def _remove_old_builds(index_dir: Path, new: Path) -> None:
    """Delete build folders older than `new`, never the current one nor a newer one."""
    current = current_folder(index_dir)
    newest = new.stat().st_mtime_ns
    for stale in index_dir.glob(f"{POINTER}.tmp-*"):  # left by a killed build (builds hold the lock)
        stale.unlink(missing_ok=True)
    for child in index_dir.iterdir():
        if not (child.is_dir() and child.name.startswith("build-")) or child in (new, current):
            continue
        try:
            older = child.stat().st_mtime_ns < newest
        except OSError:  # already gone
            continue
        if older:
            shutil.rmtree(child, ignore_errors=True)


def ensure_index(
    kb: KnowledgeBase,
    settings: Settings,
    embedder: Embedder,
    say: Callable[[str], None] = lambda line: None,
    progress: Progress | None = None,
) -> LoadedIndex:
    """Load the index, building it first when it is missing, stale or corrupt (saying so; `progress` as in `build_index`)."""
    index = load_index(settings.index_dir)
    if is_current(index, kb, embedder):
        assert index is not None
        return index
    reason = "missing or unreadable" if index is None else "out of date"
    say(f"The search index is {reason}; building it now...")
    report = build_index(kb, settings.index_dir, embedder, progress)
    say(f"Index built: {report.summary()}")
    fresh = load_index(settings.index_dir)
    if fresh is None:
        raise RuntimeError(f"could not load the index just built in {settings.index_dir}")
    return fresh
