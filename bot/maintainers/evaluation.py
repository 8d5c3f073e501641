"""Evaluation of retrieval against the labelled question sets in `tests/data/` (formats in docs/evaluation.md).

Each set is reported on its own: `eval.jsonl` (the project's own, short questions) and
`real.jsonl` (questions written like real owners' and forum posts, with near-domain
questions no note covers). `real.jsonl` is also reported in two halves: its odd lines are
the tuning half and its even lines the held-out half, so a tuned figure can be checked on
questions nothing was tuned on. A set whose file name ends in `_heldout.jsonl`
(`fresh_heldout.jsonl`, written by a tester who had not read the notes) is held out whole:
its misses are only counted, never listed, and no threshold is swept on it. A set whose file
name ends in `_tuning.jsonl` (`forum_tuning.jsonl`) is tuning whole: never split into halves.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.config import REPO_DIR
from bot.knowledge.abbreviations import Abbreviations
from bot.search.embedder import Embedder
from bot.search.index import LoadedIndex
from bot.search.not_covered import NotCoveredMatcher, shipped_not_covered
from bot.search.queries import plan_queries, rank_plan
from bot.search.retrieval import MODES, THRESHOLDS, Candidate
from bot.search.text import clean_text

EVAL_FILE = REPO_DIR / "tests" / "data" / "eval.jsonl"
REAL_FILE = REPO_DIR / "tests" / "data" / "real.jsonl"
FRESH_FILE = REPO_DIR / "tests" / "data" / "fresh_heldout.jsonl"
FORUM_FILE = REPO_DIR / "tests" / "data" / "forum_tuning.jsonl"
EVAL_SETS = (EVAL_FILE, REAL_FILE, FRESH_FILE, FORUM_FILE)
"""The sets `outsourcebot eval` reports by default, each on its own."""
STYLES = ("forum", "owner", "short", "multi", "typo", "abbrev", "oldname")


@dataclass
class EvalCase:
    """One labelled question; `expected` is None for questions the bot must decline.

    Attributes:
        question: The message as a user would send it.
        expected: The note that should answer it, or None.
        kind: "covered", "near" (a small-business question no note covers) or "far" (off-topic);
            a set without kinds gets "covered" or "far" from `expected`.
        style: How the question is written ("forum", "short", ...; "" when the set does not say).
        line: The 1-based line of the case in its file (odd lines are `real.jsonl`'s tuning half).
        half: "tuning", "held-out", or "" for a set with no halves (see `load_cases`).
    """

    question: str
    expected: str | None
    kind: str = ""
    style: str = ""
    line: int = 0
    half: str = ""

    def __post_init__(self) -> None:
        if not self.kind:
            self.kind = "covered" if self.expected else "far"


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
    """Answered, precision and declined shares per threshold, over the tuning half when the set has one."""
    groups: dict[str, dict[str, float]] = field(default_factory=dict)
    """Figures per group of cases: "covered", "near", "far", "style:forum", ..., and the same
    prefixed "tuning:" (odd lines) and "held-out:" (even lines) when the set has both halves."""
    held_out_whole: bool = False
    """Every case is held out (a `*_heldout.jsonl` set): misses are counted, not listed, nor swept."""


def load_cases(path: Path | str = EVAL_FILE) -> list[EvalCase]:
    """Read an evaluation set (one JSON object per line).

    Args:
        path: A JSONL file in the format of docs/evaluation.md.

    Returns:
        The cases, in file order. Every case of a file named `*_heldout.jsonl` is in the
        held-out half and every case of a file named `*_tuning.jsonl` in the tuning half; in
        another set with styles, odd lines are the tuning half and even lines
        the held-out one; a set without styles has no halves.

    Raises:
        ValueError: When a line is not a JSON object with a "question".
    """
    cases = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            cases.append(
                EvalCase(row["question"], row.get("expected"), row.get("kind", ""), row.get("style", ""), number)
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path}:{number}: not an evaluation case ({type(exc).__name__}: {exc})") from None
    held_out_whole = Path(path).name.endswith("_heldout.jsonl")
    tuning_whole = Path(path).name.endswith("_tuning.jsonl")
    if held_out_whole or tuning_whole or any(c.style for c in cases):
        for case in cases:
            if tuning_whole:
                case.half = "tuning"
            else:
                case.half = "held-out" if held_out_whole or not case.line % 2 else "tuning"
    return cases


def _position(case: EvalCase, cands: list[Candidate]) -> int | None:
    for i, cand in enumerate(cands):
        if cand.note_id == case.expected or cand.note_id.startswith(f"{case.expected}/"):
            return i
    return None


def _group_figures(pairs: list[tuple[EvalCase, list[Candidate], bool]]) -> dict[str, float]:
    """top-1, top-3 and answered share for covered cases; declined share for the others."""
    covered = [(c, r, a) for c, r, a in pairs if c.expected]
    if covered:
        positions = [_position(c, r) for c, r, _ in covered]
        n = len(covered)
        return {
            "n": n,
            "top1": sum(p == 0 for p in positions) / n,
            "top3": sum(p is not None and p < 3 for p in positions) / n,
            "answered": sum(a for _, _, a in covered) / n,
        }
    return {"n": len(pairs), "declined": sum(not a for _, _, a in pairs) / max(len(pairs), 1)}


def _groups(cases: list[EvalCase], ranked: list[list[Candidate]], answered: list[bool]) -> dict[str, dict[str, float]]:
    triples = list(zip(cases, ranked, answered))
    halves: list[tuple[str, list[tuple[EvalCase, list[Candidate], bool]]]] = [("", triples)]
    parts = {name: [t for t in triples if t[0].half == name] for name in ("tuning", "held-out")}
    if all(parts.values()):  # a set held out whole is its own held-out half: no second copy
        halves += [(f"{name}:", part) for name, part in parts.items()]
    groups: dict[str, dict[str, float]] = {}
    for prefix, part in halves:
        for kind in ("covered", "near", "far"):
            chosen = [t for t in part if t[0].kind == kind]
            if chosen:
                groups[f"{prefix}{kind}"] = _group_figures(chosen)
        for style in STYLES:
            chosen = [t for t in part if t[0].kind == "covered" and t[0].style == style]
            if chosen:
                groups[f"{prefix}style:{style}"] = _group_figures(chosen)
    return groups


def _score_mode(mode: str, cases: list[EvalCase], ranked: list[list[Candidate]], threshold: float) -> ModeResult:
    on = [(c, r) for c, r in zip(cases, ranked) if c.expected]
    off = [(c, r) for c, r in zip(cases, ranked) if not c.expected]

    position = _position

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
                    "half": case.half,
                }
            )
    for case, cands in off:
        if top_conf(cands) >= threshold:
            misses.append(
                {
                    "question": case.question,
                    "expected": None,
                    "kind": case.kind,
                    "got": cands[0].note_id,
                    "confidence": round(top_conf(cands), 3),
                    "half": case.half,
                }
            )
    # A set with a held-out half is calibrated on its tuning half only: a sweep over every line
    # would choose the threshold partly on the questions meant to check it.
    swept = [(p, c, r) for p, (c, r) in zip(positions, on) if c.half != "held-out"]
    swept_off = [(c, r) for c, r in off if c.half != "held-out"]
    sweep = []
    near = [r for c, r in swept_off if c.kind == "near"]
    for t in np.arange(0.20, 0.76, 0.025):
        answered = [(p, r) for p, _, r in swept if top_conf(r) >= t]
        row = {
            "threshold": round(float(t), 3),
            "answered": len(answered) / max(len(swept), 1),
            "precision": sum(p == 0 for p, _ in answered) / max(len(answered), 1),
            "declined": sum(top_conf(r) < t for _, r in swept_off) / max(len(swept_off), 1),
        }
        if near:
            # Calibrate on near-domain questions too, not only on weather and sport.
            row["near_declined"] = sum(top_conf(r) < t for r in near) / len(near)
        sweep.append(row)
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
        groups=_groups(cases, ranked, [top_conf(r) >= threshold for r in ranked]),
        held_out_whole=bool(cases) and all(c.half == "held-out" for c in cases),
    )


def evaluate(
    index: LoadedIndex,
    embedder: Embedder,
    cases: list[EvalCase],
    thresholds: dict[str, float] | None = None,
    abbreviations: Abbreviations | None = None,
    not_covered: NotCoveredMatcher | None = None,
) -> dict[str, ModeResult]:
    """Run every retriever over the cases.

    Args:
        index: The loaded index.
        embedder: The encoder for questions.
        cases: Labelled questions.
        thresholds: Threshold per mode (defaults to the shipped ones; "fused" follows the settings).
        abbreviations: The abbreviation list to spell out (default: the shipped one).
        not_covered: The not-covered list to decline by (default: the shipped one).

    Returns:
        Results keyed by mode ("semantic", "lexical", "fused").
    """
    limits = {**THRESHOLDS, **(thresholds or {})}
    scope = not_covered if not_covered is not None else shipped_not_covered()
    # Planned like served questions (abbreviations spelled out too), without a previous topic.
    plans = [plan_queries(clean_text(c.question), None, abbreviations, vocabulary=index.vocabulary) for c in cases]
    texts = [t for plan in plans for t in plan.texts]
    vectors = np.concatenate([embedder.embed(texts[i : i + 64]) for i in range(0, len(texts), 64)])
    starts = np.cumsum([0] + [len(plan.texts) for plan in plans])
    results: dict[str, ModeResult] = {}
    for mode in ("semantic", "lexical", "fused"):
        assert mode in MODES
        ranked = [
            rank_plan(plan, vectors[start : start + len(plan.texts)], index, mode, limits[mode], scope)
            for plan, start in zip(plans, starts)
        ]
        results[mode] = _score_mode(mode, cases, ranked, limits[mode])
    return results


def _describe_miss(miss: dict[str, Any], threshold: float) -> str:
    """Say what went wrong: a wrong note, a right note below the threshold, or an off-topic answer."""
    if miss["expected"] is None and miss.get("kind") == "near":
        return f"uncovered but answered with {miss['got']} ({miss['confidence']} >= {threshold})"
    if miss["expected"] is None:
        return f"off-topic but answered with {miss['got']} ({miss['confidence']} >= {threshold})"
    if miss["got"] == miss["expected"]:
        return f"right note but declined ({miss['confidence']} < {threshold})"
    return f"expected {miss['expected']}, got {miss['got']} ({miss['confidence']})"


def _held_out_summary(misses: list[dict[str, Any]], label: str = "held-out half") -> str:
    """Held-out misses counted by what went wrong, not listed: reading them one by one would tune on them."""
    wrong = sum(1 for m in misses if m["expected"] is not None and m["got"] != m["expected"])
    declined = sum(1 for m in misses if m["expected"] is not None and m["got"] == m["expected"])
    near = sum(1 for m in misses if m["expected"] is None and m.get("kind") == "near")
    far = sum(1 for m in misses if m["expected"] is None and m.get("kind") != "near")
    return (
        f"{label}: {len(misses)} misses, not listed so they stay held out ({wrong} wrong note, "
        f"{declined} right note declined, {near} near-domain answered, {far} off-topic answered; all in --json)"
    )


def _format_group(g: dict[str, float]) -> str:
    if "top1" in g:
        return f"{int(g['n']):>4} {g['top1']:.3f} {g['top3']:.3f} {g['answered']:.3f}"
    return f"{int(g['n']):>4} {'':>17} | {g['declined']:.3f}"


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
    if fused.groups:
        lines.append("\nby kind and style (fused): cases top-1 top-3 answered | declined")
        lines += [f"  {name:<26} {_format_group(g)}" for name, g in fused.groups.items()]
    lines.append("\ntop-1 by topic (fused):")
    lines += [f"  {topic:<32} {acc:.2f}" for topic, acc in fused.by_topic.items()]
    whole = fused.held_out_whole
    halves = whole or any(name.startswith("held-out:") for name in fused.groups)
    tuning = ", tuning half" if halves else ""
    held_out = [m for m in fused.misses if m.get("half") == "held-out"]
    listed = [m for m in fused.misses if m.get("half") != "held-out"]
    if not whole:
        lines.append(f"\nmisses (fused{tuning}, {len(listed)}):")
        lines += [f"  {m['question']!r}: {_describe_miss(m, fused.threshold)}" for m in listed]
    else:
        lines.append("")
    if halves:
        lines.append(_held_out_summary(held_out, "the whole set is held out" if whole else "held-out half"))
    if whole:
        lines.append("\nthreshold sweep: none (the whole set is held out, so nothing is calibrated on it)")
        return "\n".join(lines)
    near = any("near_declined" in s for s in fused.sweep)
    lines.append(
        f"\nthreshold sweep (fused{tuning}): threshold answered precision declined" + (" near-declined" if near else "")
    )
    lines += [
        f"  {s['threshold']:.3f}  {s['answered']:.3f}  {s['precision']:.3f}  {s['declined']:.3f}"
        + (f"  {s['near_declined']:.3f}" if "near_declined" in s else "")
        for s in fused.sweep
    ]
    return "\n".join(lines)
