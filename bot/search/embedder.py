"""The embedder port and its real implementations."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """Turns texts into unit-length vectors.

    Contract: `embed` returns a float32 array of shape (len(texts), dim) whose
    rows have L2 norm 1, the same text always giving the same vector; `name`
    identifies the model (and backend) so cached vectors are never mixed.
    """

    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts into unit-length vectors."""
        ...


class SentenceTransformerEmbedder:
    """The reference encoder: sentence-transformers over the packaged model (imports torch)."""

    dim = 384

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        # transformers draws a "Loading weights" bar on stderr for every load; a bot's log is no place for it.
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            from bot.config import ConfigError

            raise ConfigError(
                "OUTSOURCEBOT_ENCODER=sentence-transformers needs the reference extra: "
                "pip install torch==2.13.0 'outsourcebot[reference]' (or unset it to serve with onnx)"
            ) from None

        from transformers.utils import logging as transformers_logging

        from bot.search.minilm import packaged_model_dir

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        self.name = "all-MiniLM-L6-v2/sentence-transformers"
        self.model = SentenceTransformer(str(packaged_model_dir()), device="cpu")

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts with sentence-transformers, normalised."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


class NumpyEmbedder:
    """The fast torch-free encoder (see `bot.search.minilm`)."""

    dim = 384

    def __init__(self) -> None:
        from bot.search.minilm import MiniLMEncoder

        self.name = "all-MiniLM-L6-v2/numpy"
        self._encoder = MiniLMEncoder()

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts with the NumPy MiniLM forward pass."""
        return self._encoder.embed(texts)


def make_embedder(kind: str, cache_dir: Path | None = None) -> Embedder:
    """Create the embedder a setting names.

    Args:
        kind: "onnx" (serving default), "numpy" or "sentence-transformers" (reference).
        cache_dir: Where the ONNX encoder keeps its generated graph.

    Returns:
        A loaded embedder.
    """
    if kind == "onnx":
        from bot.search.onnx_encoder import OnnxEmbedder

        return OnnxEmbedder(cache_dir or Path.home() / ".cache" / "outsourcebot")
    if kind == "sentence-transformers":
        return SentenceTransformerEmbedder()
    if kind == "numpy":
        return NumpyEmbedder()
    raise ValueError(f"unknown encoder {kind!r}")
