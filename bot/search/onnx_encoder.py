"""The serving encoder: all-MiniLM-L6-v2 run by onnxruntime, with no torch import.

The ONNX graph is written once from the packaged safetensors weights (with the
`onnx` helper API, so no torch exporter is needed) and cached in the data
folder beside the index. Tokenisation uses the packaged `tokenizer.json` with
padding to the longest input of a batch, not the file's fixed 128 tokens.
Mean pooling and normalisation match the sentence-transformers pipeline; a test
checks the embeddings agree with the reference encoder.

An int8 graph was tried on 2 December 2026 and not adopted: onnxruntime's `quantize_dynamic`
(QInt8 weights, per channel, MatMul only; the Attention ops' QKV weights stay float), with the
index built by the same graph, cost `outsourcebot eval` 2 cases of real.jsonl's fused top-1
(0.848 -> 0.840, tuning half 0.877 -> 0.861), 2 of its held-out owner-style questions
(0.750 -> 0.667) and one conversations_heldout turn (0.815 -> 0.804), against about 0.7 ms per
question (the lead's standalone figures: 1.97 against 2.64 ms fp32).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from bot.search.minilm import HEADS, LAYERS, load_tokenizer, load_weights, packaged_model_dir, tokenize, unit_rows

log = logging.getLogger(__name__)

OPSET = 17
GRAPH_VERSION = "3"


def _graph_path(cache_dir: Path, model_dir: Path) -> Path:
    weights = model_dir / "model.safetensors"
    stamp = f"{GRAPH_VERSION}:{weights.stat().st_size}:{weights.stat().st_mtime_ns}"
    return cache_dir / f"minilm-{hashlib.sha256(stamp.encode()).hexdigest()[:12]}.onnx"


def export_onnx(model_dir: Path, target: Path) -> Path:
    """Write the MiniLM forward pass (embeddings, 6 layers, mean pooling) as an ONNX graph.

    Args:
        model_dir: The packaged model folder.
        target: Where to write the `.onnx` file (written to a temporary name, then renamed).

    Returns:
        The target path.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = load_weights(model_dir)
    dim = w["embeddings.word_embeddings.weight"].shape[1]
    inits: list[onnx.TensorProto] = []
    nodes: list[onnx.NodeProto] = []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    counter = iter(range(10**6))

    def node(op: str, inputs: list[str], domain: str = "", **attrs: Any) -> str:
        out = f"{op.lower()}_{next(counter)}"
        nodes.append(helper.make_node(op, inputs, [out], domain=domain or None, **attrs))
        return out

    def layer_norm(x: str, prefix: str) -> str:
        return node(
            "LayerNormalization",
            [x, const(prefix + ".w", w[prefix + ".weight"]), const(prefix + ".b", w[prefix + ".bias"])],
            axis=-1,
            epsilon=1e-12,
        )

    one_f = const("one_f", np.array(1.0, np.float32))
    x = node("Gather", [const("word", w["embeddings.word_embeddings.weight"]), "input_ids"])
    zero_1d = const("zero_1d", np.array([0], np.int64))
    length = node(
        "Slice",
        [
            node("Shape", ["input_ids"]),
            const("one_1d", np.array([1], np.int64)),
            const("two_1d", np.array([2], np.int64)),
        ],
    )
    positions = node("Slice", [const("pos", w["embeddings.position_embeddings.weight"]), zero_1d, length, zero_1d])
    x = node("Add", [x, positions])
    x = node("Add", [x, const("type0", w["embeddings.token_type_embeddings.weight"][0])])
    x = layer_norm(x, "embeddings.LayerNorm")
    mask = "attention_mask"
    mask_index = node("Cast", [mask], to=TensorProto.INT32)
    sqrt2 = const("sqrt2", np.array(math.sqrt(2.0), np.float32))
    half = const("half", np.array(0.5, np.float32))
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        qkv_w = np.concatenate([w[f"{p}attention.self.{n}.weight"].T for n in ("query", "key", "value")], axis=1)
        qkv_b = np.concatenate([w[f"{p}attention.self.{n}.bias"] for n in ("query", "key", "value")])
        # onnxruntime's fused self-attention kernel (com.microsoft.Attention): QKV projection,
        # masked softmax over 12 heads and the merge, in one op.
        context = node(
            "Attention",
            [x, const(p + "qkv.w", qkv_w), const(p + "qkv.b", qkv_b), mask_index],
            domain="com.microsoft",
            num_heads=HEADS,
        )
        attn = node(
            "Add",
            [
                node("MatMul", [context, const(p + "ao.w", w[p + "attention.output.dense.weight"].T)]),
                const(p + "ao.b", w[p + "attention.output.dense.bias"]),
            ],
        )
        x = layer_norm(node("Add", [x, attn]), p + "attention.output.LayerNorm")
        inner = node(
            "Add",
            [
                node("MatMul", [x, const(p + "i.w", w[p + "intermediate.dense.weight"].T)]),
                const(p + "i.b", w[p + "intermediate.dense.bias"]),
            ],
        )
        gelu = node(
            "Mul", [node("Mul", [inner, half]), node("Add", [node("Erf", [node("Div", [inner, sqrt2])]), one_f])]
        )
        out = node(
            "Add",
            [
                node("MatMul", [gelu, const(p + "o.w", w[p + "output.dense.weight"].T)]),
                const(p + "o.b", w[p + "output.dense.bias"]),
            ],
        )
        x = layer_norm(node("Add", [x, out]), p + "output.LayerNorm")
    mask3 = node("Unsqueeze", [mask, const("axis2", np.array([2], np.int64))])
    axis1 = const("axis1", np.array([1], np.int64))
    summed = node("ReduceSum", [node("Mul", [x, mask3]), axis1], keepdims=0)
    count = node("Max", [node("ReduceSum", [mask3, axis1], keepdims=0), const("tiny", np.array(1e-9, np.float32))])
    nodes.append(helper.make_node("Div", [summed, count], ["embedding"]))
    graph = helper.make_graph(
        nodes,
        "minilm",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "length"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.FLOAT, ["batch", "length"]),
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", dim])],
        inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)],
        producer_name="outsourcebot",
    )
    model.ir_version = 8
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(target.parent)
    tmp = target.with_suffix(f".tmp-{os.getpid()}")
    try:
        onnx.save(model, str(tmp))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk must not leave a 60 MB half-written graph behind
        raise
    return target


def _remove_stale_temporaries(folder: Path) -> None:
    """Delete half-written graphs (`*.tmp-PID`) of processes that no longer run."""
    for path in folder.glob("*.tmp-*"):
        pid = path.suffix.removeprefix(".tmp-")
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
        except OSError:  # running, as another user: not ours
            pass


class OnnxEmbedder:
    """Sentence embeddings from all-MiniLM-L6-v2 through onnxruntime.

    Args:
        cache_dir: Folder for the generated `.onnx` graph (made on first use).
        threads: onnxruntime intra-op threads (default: up to 4, one per core). On this
            2-core machine two threads halve single-question latency (1.8 vs 3.1 ms)
            and batched cost per question.
    """

    name = "all-MiniLM-L6-v2/onnx"
    dim = 384

    def __init__(self, cache_dir: Path, threads: int = 0, model_dir: Path | None = None) -> None:
        import onnxruntime as ort

        import bot

        if bot.BLAS_THREADS_UNSET:
            log.warning(
                "NumPy was loaded before the bot, so its OpenBLAS runs a thread per core, which slows "
                "answers on a busy machine; set OPENBLAS_NUM_THREADS=1 in the environment"
            )
        folder = model_dir or packaged_model_dir()
        path = _graph_path(cache_dir, folder)
        if not path.exists():
            log.info("writing the ONNX graph of the packaged model to %s", path)
            export_onnx(folder, path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        # Idle pool threads that spin would steal the core the event loop needs between calls.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types; the graph is only a cache
            log.warning("ONNX graph %s is unreadable (%s); writing it again", path, str(exc).splitlines()[0][:200])
            path.unlink(missing_ok=True)
            export_onnx(folder, path)
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = load_tokenizer(folder)

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
        (pooled,) = self.session.run(["embedding"], {"input_ids": ids, "attention_mask": mask})
        return unit_rows(pooled)
