"""Test doubles for the core's ports."""

from __future__ import annotations

import hashlib
import re

import numpy as np


class HashingEmbedder:
    """A deterministic bag-of-words embedder: fast, no model, same text -> same vector.

    Texts sharing words get positive cosine similarity, which is enough for unit tests
    of the plumbing; retrieval quality is tested with the real model.
    """

    name = "fake-hashing"
    dim = 64

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts into unit vectors from hashed lowercase words."""
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else np.eye(1, self.dim, 0, dtype=np.float32)
        return out

    @property
    def embedded_texts(self) -> int:
        """How many texts were embedded in all calls."""
        return sum(len(c) for c in self.calls)
