"""Evaluation of retrieval against the labelled question set in `tests/data/eval.jsonl`."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.config import REPO_DIR
from bot.search.embedder import Embedder
from bot.search.index import LoadedIndex
from bot.search.queries import plan_queries, rank_plan
from bot.search.retrieval import MODES, THRESHOLDS, Candidate
from bot.search.text import clean_text

EVAL_FILE = REPO_DIR / "tests" / "data" / "eval.jsonl"


@dataclass
class EvalCase:
    """One labelled question; `expected` is None for questions the bot must decline."""

    question: str
    expected: str | None


@dataclass
class ModeResult:
    """Figures for one retriever."""

    mode: str
    threshold: float
    top1: float
    top3: float
    mrr: float
    answered: float
    declined: float
    by_topic: dict[str, float] = field(default_factory=dict)
    misses: list[dict[str, Any]] = field(default_factory=list)
    sweep: list[dict[str, float]] = field(default_factory=list)


def load_cases(path: Path = EVAL_FILE) -> list[EvalCase]:
    """Read the evaluation set (one JSON object per line)."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            cases.append(EvalCase(row["question"], row.get("expected")))
    return cases


def _score_mode(mode: str, cases: list[EvalCase], ranked: list[list[Candidate]], threshold: float) -> ModeResult:
    on = [(c, r) for c, r in zip(cases, ranked) if c.expected]
    off = [(c, r) for c, r in zip(cases, ranked) if not c.expected]

    def position(case: EvalCase, cands: list[Candidate]) -> int | None:
        for i, cand in enumerate(cands):
            if cand.note_id == case.expected or cand.note_id.startswith(f"{case.expected}/"):
                return i
        return None

    def top_conf(cands: list[Candidate]) -> float:
        return cands[0].confidence if cands else 0.0

    positions = [position(c, r) for c, r in on]
    topic_hits: dict[str, list[int]] = defaultdict(list)
    misses = []
    for (case, cands), pos in zip(on, positions):
        topic_hits[case.expected or ""].append(int(pos == 0))
        if pos != 0 or top_conf(cands) < threshold:
            misses.append(
                {
                    "question": case.question,
                    "expected": case.expected,
                    "got": cands[0].note_id if cands else None,
                    "confidence": round(top_conf(cands), 3),
                }
            )
    for case, cands in off:
        if top_conf(cands) >= threshold:
            misses.append(
                {
                    "question": case.question,
                    "expected": None,
                    "got": cands[0].note_id,
                    "confidence": round(top_conf(cands), 3),
                }
            )
    sweep = []
    for t in np.arange(0.20, 0.76, 0.025):
        answered = [(p, r) for p, (c, r) in zip(positions, on) if top_conf(r) >= t]
        sweep.append(
            {
                "threshold": round(float(t), 3),
                "answered": len(answered) / max(len(on), 1),
                "precision": sum(p == 0 for p, _ in answered) / max(len(answered), 1),
                "declined": sum(top_conf(r) < t for _, r in off) / max(len(off), 1),
            }
        )
    n = max(len(on), 1)
    return ModeResult(
        mode=mode,
        threshold=threshold,
        top1=sum(p == 0 for p in positions) / n,
        top3=sum(p is not None and p < 3 for p in positions) / n,
        mrr=sum(1.0 / (p + 1) for p in positions if p is not None) / n,
        answered=sum(top_conf(r) >= threshold for _, r in on) / n,
        declined=sum(top_conf(r) < threshold for _, r in off) / max(len(off), 1),
        by_topic={t: sum(v) / len(v) for t, v in sorted(topic_hits.items())},
        misses=misses,
        sweep=sweep,
    )


def evaluate(
    index: LoadedIndex, embedder: Embedder, cases: list[EvalCase], thresholds: dict[str, float] | None = None
) -> dict[str, ModeResult]:
    """Run every retriever over the cases.

    Args:
        index: The loaded index.
        embedder: The encoder for questions.
        cases: Labelled questions.
        thresholds: Threshold per mode (defaults to the shipped ones; "fused" follows the settings).

    Returns:
        Results keyed by mode ("semantic", "lexical", "fused").
    """
    limits = {**THRESHOLDS, **(thresholds or {})}
    # Planned like served questions (abbreviations spelled out too), without a previous topic.
    plans = [plan_queries(clean_text(c.question)) for c in cases]
    texts = [t for plan in plans for t in plan.texts]
    vectors = np.concatenate([embedder.embed(texts[i : i + 64]) for i in range(0, len(texts), 64)])
    starts = np.cumsum([0] + [len(plan.texts) for plan in plans])
    results: dict[str, ModeResult] = {}
    for mode in ("semantic", "lexical", "fused"):
        assert mode in MODES
        ranked = [
            rank_plan(plan, vectors[start : start + len(plan.texts)], index, mode, limits[mode])
            for plan, start in zip(plans, starts)
        ]
        results[mode] = _score_mode(mode, cases, ranked, limits[mode])
    return results


def _describe_miss(miss: dict[str, Any], threshold: float) -> str:
    """Say what went wrong: a wrong note, a right note below the threshold, or an off-topic answer."""
    if miss["expected"] is None:
        return f"off-topic but answered with {miss['got']} ({miss['confidence']} >= {threshold})"
    if miss["got"] == miss["expected"]:
        return f"right note but declined ({miss['confidence']} < {threshold})"
    return f"expected {miss['expected']}, got {miss['got']} ({miss['confidence']})"


def format_report(results: dict[str, ModeResult]) -> str:
    """Human-readable evaluation report: side-by-side figures, per-topic accuracy, misses, sweep."""
    modes = list(results)
    lines = ["metric            " + "".join(f"{m:>10}" for m in modes)]
    for label, attr in [
        ("top-1", "top1"),
        ("top-3", "top3"),
        ("MRR", "mrr"),
        ("on-topic answered", "answered"),
        ("off-topic declined", "declined"),
        ("threshold", "threshold"),
    ]:
        lines.append(f"{label:<18}" + "".join(f"{getattr(results[m], attr):>10.3f}" for m in modes))
    fused = results.get("fused") or results[modes[-1]]
    lines.append("\ntop-1 by topic (fused):")
    lines += [f"  {topic:<32} {acc:.2f}" for topic, acc in fused.by_topic.items()]
    lines.append(f"\nmisses (fused, {len(fused.misses)}):")
    lines += [f"  {m['question']!r}: {_describe_miss(m, fused.threshold)}" for m in fused.misses]
    lines.append("\nthreshold sweep (fused): threshold answered precision declined")
    lines += [
        f"  {s['threshold']:.3f}  {s['answered']:.3f}  {s['precision']:.3f}  {s['declined']:.3f}" for s in fused.sweep
    ]
    return "\n".join(lines)
