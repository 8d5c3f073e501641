"""The evaluation report keeps a set's held-out half out of what tuning reads (bot.maintainers.evaluation)."""

from __future__ import annotations

import json
from pathlib import Path

from bot.maintainers.evaluation import EvalCase, _score_mode, format_report, load_cases
from bot.search.retrieval import Candidate


def _case(line: int, expected: str | None, kind: str, question: str) -> EvalCase:
    return EvalCase(question, expected, kind, "short", line, "tuning" if line % 2 else "held-out")


def _ranked(note_id: str, confidence: float) -> list[Candidate]:
    return [Candidate(note_id, confidence, confidence, confidence, 0.0)]


CASES = [
    _case(1, "a", "covered", "tuning right"),
    _case(2, "a", "covered", "held-out right"),
    _case(3, "a", "covered", "tuning wrong note"),
    _case(4, "a", "covered", "held-out wrong note"),
    _case(5, None, "near", "tuning near answered"),
    _case(6, None, "near", "held-out near answered"),
    _case(8, None, "near", "held-out near declined"),
]
RANKED = [
    _ranked("a", 0.9),
    _ranked("a", 0.9),
    _ranked("b", 0.6),
    _ranked("b", 0.6),
    _ranked("c", 0.5),
    _ranked("c", 0.5),
    _ranked("c", 0.1),
]


def test_held_out_misses_are_counted_not_listed() -> None:
    result = _score_mode("fused", CASES, RANKED, 0.41)
    text = format_report({"fused": result})
    assert "misses (fused, tuning half, 2):" in text
    assert "'tuning wrong note': expected a, got b" in text
    assert "'tuning near answered': uncovered but answered" in text
    assert "held-out wrong note" not in text and "held-out near answered" not in text
    assert "held-out half: 2 misses, not listed" in text
    assert "1 wrong note, 0 right note declined, 1 near-domain answered, 0 off-topic answered" in text
    assert {m["half"] for m in result.misses} == {"tuning", "held-out"}  # all kept for --json


def test_a_set_with_halves_is_swept_on_its_tuning_half_only() -> None:
    result = _score_mode("fused", CASES, RANKED, 0.41)
    at = {row["threshold"]: row for row in result.sweep}[0.4]
    assert at["answered"] == 1.0  # tuning lines 1 and 3 (both answered at 0.4)
    assert at["near_declined"] == 0.0  # tuning line 5 only; held-out line 8 would make it 0.5
    assert "threshold sweep (fused, tuning half)" in format_report({"fused": result})


def test_a_set_without_halves_lists_every_miss() -> None:
    plain = [EvalCase(c.question, c.expected, c.kind, "", c.line) for c in CASES]
    text = format_report({"fused": _score_mode("fused", plain, RANKED, 0.41)})
    assert "misses (fused, 4):" in text
    assert "held-out wrong note" in text
    assert "held-out half" not in text and "tuning half" not in text


def _write(path: Path) -> Path:
    path.write_text(
        "".join(
            json.dumps({"question": c.question, "expected": c.expected, "kind": c.kind, "style": c.style}) + "\n"
            for c in CASES
        )
    )
    return path


def test_a_set_with_styles_is_split_into_odd_tuning_and_even_held_out_lines(tmp_path: Path) -> None:
    cases = load_cases(_write(tmp_path / "real.jsonl"))
    assert [c.half for c in cases] == ["tuning", "held-out"] * 3 + ["tuning"]


def test_a_tuning_file_is_tuning_whole_its_misses_listed(tmp_path: Path) -> None:
    cases = load_cases(_write(tmp_path / "forum_tuning.jsonl"))
    assert {c.half for c in cases} == {"tuning"}
    text = format_report({"fused": _score_mode("fused", cases, RANKED, 0.41)})
    assert "'held-out wrong note': expected a, got b" in text  # every line is tuning, so listed
    assert "held-out half" not in text


def test_a_heldout_file_is_held_out_whole_counted_never_listed_nor_swept(tmp_path: Path) -> None:
    cases = load_cases(_write(tmp_path / "fresh_heldout.jsonl"))
    assert {c.half for c in cases} == {"held-out"}
    result = _score_mode("fused", cases, RANKED, 0.41)
    text = format_report({"fused": result})
    assert "the whole set is held out: 4 misses, not listed" in text
    assert not any(c.question in text for c in cases)
    assert "threshold sweep: none" in text and "0.400" not in text
    assert not any(name.startswith(("tuning:", "held-out:")) for name in result.groups)  # no second copy
    assert result.groups["covered"]["n"] == 4
