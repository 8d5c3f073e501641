"""The ONNX encoder's generated graph is a cache: a damaged one is regenerated, a failed write leaves nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.conversation.core import Core
from bot.search.minilm import packaged_model_dir
from bot.search.onnx_encoder import OnnxEmbedder, export_onnx


@pytest.fixture
def graph_cache(real_core: Core, tmp_path: Path) -> Path:
    """A copy of the session's generated graph folder (generating one takes a while)."""
    folder = tmp_path / "model"
    shutil.copytree(real_core.settings.model_cache_dir, folder)
    assert list(folder.glob("*.onnx"))
    return folder


def test_a_truncated_graph_is_regenerated(graph_cache: Path, real_core: Core, caplog: pytest.LogCaptureFixture) -> None:
    (graph,) = graph_cache.glob("*.onnx")
    graph.write_bytes(graph.read_bytes()[: graph.stat().st_size // 3])
    embedder = OnnxEmbedder(graph_cache)
    question = ["how much does a virtual assistant cost"]
    assert np.allclose(embedder.embed(question), real_core.embedder.embed(question), atol=1e-5)
    assert str(graph) in caplog.text, "the warning names the file"


def test_a_failed_graph_write_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import onnx

    def full_disk(model: object, path: str) -> None:
        Path(path).write_bytes(b"\x00" * 1000)  # the start of a big file, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(onnx, "save", full_disk)
    with pytest.raises(OSError, match="No space"):
        export_onnx(packaged_model_dir(), tmp_path / "model" / "graph.onnx")
    assert list((tmp_path / "model").iterdir()) == []
