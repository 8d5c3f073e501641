"""The embedding cache: vectors by model and content hash, so a rebuild embeds only new texts.

It lives beside the index builds (`<data dir>/embeddings.db`) and only saves time: an
unreadable cache is replaced by an empty one.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


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
