"""Loading and querying a search index (FAISS vectors and SQLite FTS5), and keeping it current.

`LoadedIndex` is a build in memory, read-only; `load_index` loads the build the `CURRENT`
pointer names, and `ensure_index` builds a new one first when that is missing, stale or
corrupt. Building is `bot.search.index_build`; a note's chunks are `bot.search.chunks`;
the lexical table is `bot.search.lexical`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.knowledge.notes import KnowledgeBase
from bot.search.chunks import Chunk, is_passage_text, is_section_question
from bot.search.embedder import Embedder
from bot.search.index_build import INDEX_FORMAT, Progress, build_index, current_folder
from bot.search.lexical import LexicalTable

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.search.grounding import Vocabulary


log = logging.getLogger(__name__)


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
        self.passage_entries: dict[str, list[tuple[int, str, bool]]] = {}
        """Per note, each passage chunk as (position, `Chunk.part`, whether it is a section's own question),
        so ranking a note's passages per question reads no chunk objects (see `bot.search.retrieval`)."""
        for i, chunk in enumerate(self.chunks):
            if is_passage_text(chunk):
                self.passage_chunks.setdefault(chunk.note_id, []).append(i)
                entry = (i, chunk.part, i in self.section_questions)
                self.passage_entries.setdefault(chunk.note_id, []).append(entry)
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
        from bot.search.minilm import encoder_words

        # Built here, not on the first question, so no message waits for it.
        self.vocabulary: Vocabulary = Vocabulary(
            ((c.note_id, c.text) for i, c in enumerate(self.chunks) if i not in self.section_questions),
            encoder_words(),
        )
        """The notes' words and which notes use each."""
        self._lexical = LexicalTable(folder / "lexical.db")
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

    def lexical(self, text: str, k: int = 40) -> list[tuple[str, float]]:
        """Best FTS5 matches for free text, as (note id, -bm25) best first."""
        return [(self.chunk_notes[i], s) for i, s in self.lexical_chunks(text, k)]

    def lexical_chunks(self, text: str, k: int = 40) -> list[tuple[int, float]]:
        """Best FTS5 matches for free text, as (position in `chunks`, -bm25) best first.

        Sections' own questions are not in the lexical table (see `section_questions`).
        """
        return self._lexical.best_chunks(text, k)

    def close(self) -> None:
        """Release the lexical database (waiting for a query in progress)."""
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
