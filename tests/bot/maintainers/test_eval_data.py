"""The evaluation set must be written independently of the notes' own alternate questions."""

from __future__ import annotations

import difflib
import re

from bot.config import REPO_DIR
from bot.knowledge.notes import load_knowledge
from bot.maintainers.evaluation import EVAL_SETS, FRESH_FILE, load_cases
from bot.maintainers.replies_eval import FOCUS_FILE, HELDOUT_FOCUS_FILE, load_reply_cases


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()


def test_no_evaluation_question_is_a_near_copy_of_its_notes_questions() -> None:
    kb = load_knowledge(REPO_DIR / "knowledge")
    copies = []
    for case in (case for path in EVAL_SETS for case in load_cases(path)):
        if not case.expected:
            continue
        for note in kb.notes.values():
            if note.id != case.expected and not note.id.startswith(f"{case.expected}/"):
                continue
            for question in note.questions:
                ratio = difflib.SequenceMatcher(None, _norm(case.question), _norm(question)).ratio()
                if ratio >= 0.8:
                    copies.append((case.question, question, round(ratio, 2)))
    assert copies == []


def test_no_focus_question_is_a_near_copy_of_its_notes_questions() -> None:
    # Both focus sets (tuning and held-out) were written from the notes' bodies, not their `questions:`.
    kb = load_knowledge(REPO_DIR / "knowledge")
    copies = []
    for path in (FOCUS_FILE, HELDOUT_FOCUS_FILE):
        for case in load_reply_cases(path):
            turn = case.turns[0]
            note = kb.notes[str(turn.expected)]
            if path == HELDOUT_FOCUS_FILE:  # every held-out fact is in its note's text
                assert turn.expect and re.search(turn.expect, note.path.read_text(encoding="utf-8"), re.I), turn
            for question in note.questions:
                ratio = difflib.SequenceMatcher(None, _norm(turn.say), _norm(question)).ratio()
                if ratio >= 0.8:
                    copies.append((path.name, turn.say, question, round(ratio, 2)))
    assert copies == []


def test_every_evaluation_label_names_a_note_and_a_known_kind() -> None:
    kb = load_knowledge(REPO_DIR / "knowledge")
    for path in EVAL_SETS:
        for case in load_cases(path):
            assert case.expected is None or case.expected in kb.notes, (path.name, case.line, case.expected)
            assert case.kind in ("covered", "near", "far"), (path.name, case.line, case.kind)
            assert (case.kind == "covered") == (case.expected is not None), (path.name, case.line)


def test_the_fresh_set_is_held_out_whole_and_has_every_kind() -> None:
    cases = load_cases(FRESH_FILE)
    assert {c.half for c in cases} == {"held-out"}
    kinds = [c.kind for c in cases]
    assert kinds.count("covered") >= 80 and kinds.count("near") >= 30 and kinds.count("far") >= 5
