"""Building a search index: embedding the notes' chunks and writing a new build folder.

A build writes a new folder beside the old one and then atomically replaces the
`CURRENT` pointer, so a crash mid-build leaves the previous index in service and
readers never see half-written files. Builds hold an exclusive lock on
`<index dir>/build.lock`, so processes sharing a data folder (a bot and a
`kb build`, say) never remove each other's builds. `bot.search.index` loads what
this writes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.knowledge.notes import KnowledgeBase
from bot.search.chunks import note_chunks
from bot.search.embedder import Embedder
from bot.search.embedding_cache import EmbeddingCache
from bot.search.lexical import write_lexical

log = logging.getLogger(__name__)

POINTER = "CURRENT"
LOCK = "build.lock"
INDEX_FORMAT = 4
"""Bumped when what a build stores changes (2: each chunk names the passage it belongs to, and list
sections are indexed item by item; 3: a section's own `? ...` questions; 4: those left out of the lexical table), so older builds are rebuilt."""
EMBED_BATCH = 64
Progress = Callable[[int, int], None]


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


def current_folder(index_dir: Path) -> Path | None:
    """The folder the `CURRENT` pointer names, if any."""
    try:
        name = (index_dir / POINTER).read_text().strip()
    except OSError:
        return None
    folder = index_dir / name
    return folder if name and folder.is_dir() else None


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
        write_lexical(folder / "lexical.db", chunks)
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
