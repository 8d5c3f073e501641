"""The torch-free encoders agree with the sentence-transformers reference.

The reference loads torch (several seconds), so it is loaded once for this module
and its index is built once; tests needing it are marked `reference`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pytest

from bot.config import REPO_DIR
from bot.conversation.core import Core
from bot.maintainers.evaluation import load_cases
from bot.search.embedder import Embedder, NumpyEmbedder, SentenceTransformerEmbedder, make_embedder
from bot.search.index import LoadedIndex, load_index
from bot.search.index_build import build_index
from bot.search.minilm import SMALL_BATCH, MiniLMEncoder, tokenize
from bot.search.retrieval import rank_notes
from bot.search.text import clean_text

QUESTIONS = [clean_text(c.question) for c in load_cases()]


@pytest.fixture(scope="module")
def reference() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


@pytest.fixture(scope="module")
def reference_vectors(reference: SentenceTransformerEmbedder) -> np.ndarray:
    return reference.embed(QUESTIONS)


@pytest.fixture(scope="module")
def numpy_encoder() -> MiniLMEncoder:
    return MiniLMEncoder()


@pytest.fixture(scope="module")
def reference_index(
    reference: SentenceTransformerEmbedder, real_core: Core, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LoadedIndex]:
    folder = tmp_path_factory.mktemp("reference-index") / "index"
    build_index(real_core.kb, folder, reference)
    index = load_index(folder)
    assert index is not None
    yield index
    index.close()


def _embed_sorted(embed: object, texts: list[str], batch: int = 32) -> np.ndarray:
    """Embed in batches of similar length (much less padding), returned in the input order."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for start in range(0, len(order), batch):
        part = order[start : start + batch]
        out[part] = embed([texts[i] for i in part])  # type: ignore[operator]
    return out


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    cosines: np.ndarray = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return cosines


def test_numpy_encoder_gives_unit_vectors(numpy_encoder: MiniLMEncoder) -> None:
    vectors = numpy_encoder.embed(["hello", "a much longer sentence about outsourcing bookkeeping", ""])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert numpy_encoder.embed([]).shape == (0, 384)


def test_padding_does_not_change_a_vector(numpy_encoder: MiniLMEncoder) -> None:
    alone = numpy_encoder.embed(["how much does a VA cost"])
    padded = numpy_encoder.embed(["how much does a VA cost", "a far longer companion sentence " * 8])[:1]
    assert _cosines(alone, padded)[0] > 0.99999


def test_small_and_large_batches_get_the_same_tokens(numpy_encoder: MiniLMEncoder) -> None:
    texts = [f"question {i} about paying a VA" * (i % 3 + 1) for i in range(SMALL_BATCH + 1)]
    large_ids, large_mask = tokenize(numpy_encoder.tokenizer, texts)  # one call to the batch encoder
    small_ids, small_mask = tokenize(numpy_encoder.tokenizer, texts[:SMALL_BATCH])  # text by text
    width = small_ids.shape[1]
    np.testing.assert_array_equal(large_ids[:SMALL_BATCH, :width], small_ids)
    np.testing.assert_array_equal(large_mask[:SMALL_BATCH, :width], small_mask)
    assert large_mask[:SMALL_BATCH, width:].sum() == 0


def test_very_long_text_is_truncated_not_an_error(numpy_encoder: MiniLMEncoder) -> None:
    assert numpy_encoder.embed(["word " * 2000]).shape == (1, 384)


@pytest.mark.reference
def test_numpy_encoder_matches_reference(numpy_encoder: MiniLMEncoder, reference_vectors: np.ndarray) -> None:
    cos = _cosines(_embed_sorted(numpy_encoder.embed, QUESTIONS), reference_vectors)
    worst = int(np.argmin(cos))
    assert cos.min() >= 0.999, (QUESTIONS[worst], float(cos.min()))


@pytest.mark.reference
def test_serving_encoder_matches_reference(real_core: Core, reference_vectors: np.ndarray) -> None:
    cos = _cosines(real_core.embedder.embed(QUESTIONS), reference_vectors)
    worst = int(np.argmin(cos))
    assert cos.min() >= 0.999, (real_core.embedder.name, QUESTIONS[worst], float(cos.min()))


@pytest.mark.reference
def test_same_top_note_with_both_encoders(
    real_core: Core, reference: SentenceTransformerEmbedder, reference_index: LoadedIndex, reference_vectors: np.ndarray
) -> None:
    served = real_core.embedder.embed(QUESTIONS)
    differ = []
    for question, ours, theirs in zip(QUESTIONS, served, reference_vectors):
        a = rank_notes(real_core.index, ours, question)
        b = rank_notes(reference_index, theirs, question)
        top_a = a[0].note_id if a else None
        top_b = b[0].note_id if b else None
        if top_a != top_b:
            differ.append((question, top_a, top_b))
    assert differ == []


def test_make_embedder_names() -> None:
    assert isinstance(make_embedder("numpy"), NumpyEmbedder)
    with pytest.raises(ValueError, match="unknown encoder"):
        make_embedder("bogus")


def test_embedders_follow_the_port(real_core: Core) -> None:
    embedder: Embedder = real_core.embedder
    vectors = embedder.embed(["a", "b"])
    assert vectors.shape == (2, embedder.dim)
    np.testing.assert_allclose(embedder.embed(["a"]), vectors[:1], atol=1e-5)


def test_numpy_and_serving_encoders_agree(numpy_encoder: MiniLMEncoder, real_core: Core) -> None:
    texts = QUESTIONS[:40]
    assert _cosines(numpy_encoder.embed(texts), real_core.embedder.embed(texts)).min() >= 0.999


@pytest.mark.reference
def test_loading_the_reference_encoder_draws_no_progress_bar() -> None:
    """The reference encoder loads without transformers' "Loading weights" bar on stderr."""
    import subprocess
    import sys

    code = "from bot.search.embedder import SentenceTransformerEmbedder as E; print(E().embed(['hi']).shape)"
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_DISABLE_PROGRESS_BARS"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=REPO_DIR, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(1, 384)"
    assert "Loading weights" not in result.stderr and "it/s" not in result.stderr, result.stderr
