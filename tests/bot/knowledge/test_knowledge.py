"""Meta-tests of the knowledge base (issue 3): required topics, note quality, evaluation floors."""

from __future__ import annotations

import re

import pytest

from bot.config import REPO_DIR, Settings
from bot.conversation.core import Core
from bot.knowledge.notes import KnowledgeBase, KnowledgeNote, load_knowledge
from bot.maintainers.evaluation import FORUM_FILE, REAL_FILE, ModeResult, evaluate, format_report, load_cases

TOPICS_DOC = REPO_DIR / "docs" / "topics.md"
REQUIRED_IDS = re.findall(r"^\|\s*`([a-z0-9-]+)`\s*\|", TOPICS_DOC.read_text(encoding="utf-8"), re.MULTILINE)
DISCLAIMED = ("contracts-and-ip", "contractor-vs-employee")

# Slightly below the targets of issue 3 (0.92, 0.98, 0.95, 0.95), so only a real regression fails.
FLOORS = {"top1": 0.90, "top3": 0.96, "answered": 0.93, "declined": 0.93}
# tests/data/real.jsonl, written independently of the notes (issue 11): a little below what the
# fused retriever reaches, per group (figures in the README). Tuning used only its odd lines.
REAL_FLOORS = {
    ("tuning:covered", "top1"): 0.85,
    ("held-out:covered", "top1"): 0.75,
    ("covered", "top3"): 0.93,
    ("covered", "answered"): 0.92,
    ("tuning:near", "declined"): 0.90,
    ("held-out:near", "declined"): 0.68,
    ("far", "declined"): 0.95,
    ("tuning:style:short", "top1"): 0.95,
    ("held-out:style:short", "top1"): 0.88,
}
# tests/data/forum_tuning.jsonl, stories written from the notes' titles and scopes (tuning whole):
# a little below what the fused retriever reaches (0.82 / 0.94 / 0.96; 0.74 / 0.88 before a
# story's asking sentences counted again, bot.search.queries.ASK_WEIGHT).
FORUM_FLOORS = {("covered", "top1"): 0.78, ("covered", "top3"): 0.92, ("covered", "answered"): 0.94}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(REPO_DIR / "knowledge")


def notes_for(kb: KnowledgeBase, topic: str) -> list[KnowledgeNote]:
    return [n for i, n in kb.notes.items() if i == topic or i.startswith(f"{topic}/")]


def body_words(note: KnowledgeNote) -> int:
    text = note.path.read_text(encoding="utf-8")
    body = text.split("\n---\n", 1)[1]
    # A section's own questions ("? ..." lines) are for search and never shown.
    shown = "\n".join(line for line in body.splitlines() if not line.startswith("? "))
    return len(re.findall(r"\w[\w'’-]*", shown))


def test_topics_doc_lists_every_required_topic() -> None:
    assert len(REQUIRED_IDS) == 35
    assert len(set(REQUIRED_IDS)) == len(REQUIRED_IDS)
    assert {"when-to-outsource", "geoffrey-moore", "about-this-bot"} <= set(REQUIRED_IDS)


def test_knowledge_validates(kb: KnowledgeBase) -> None:
    assert kb.ok, "\n".join(str(p) for p in kb.problems)


@pytest.mark.parametrize("topic", REQUIRED_IDS)
def test_required_topic_exists_and_is_complete(kb: KnowledgeBase, topic: str) -> None:
    notes = notes_for(kb, topic)
    assert notes, f"no note with id {topic!r} (or {topic}/...)"
    for note in notes:
        assert len(note.questions) >= 5, f"{note.id}: {len(note.questions)} alternate questions"
        assert 150 <= body_words(note) <= 450, f"{note.id}: {body_words(note)} words"
        assert note.related, f"{note.id}: no related notes"
        assert note.sources, f"{note.id}: no sources"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", note.updated), f"{note.id}: updated {note.updated!r}"
        assert note.answer and len(note.answer.split()) >= 15, f"{note.id}: the direct answer is missing or too short"
        assert note.key_points, f"{note.id}: no key points"


def test_alternate_questions_are_unique_across_notes(kb: KnowledgeBase) -> None:
    seen: dict[str, str] = {}
    for note in kb.notes.values():
        for question in note.questions:
            key = question.lower().strip(" ?")
            assert key not in seen, f"{question!r} in both {seen[key]} and {note.id}"
            seen[key] = note.id


@pytest.mark.parametrize("topic", DISCLAIMED)
def test_country_dependent_notes_carry_the_disclaimer(kb: KnowledgeBase, topic: str) -> None:
    for note in notes_for(kb, topic):
        assert note.disclaimer, note.id


def test_freelance_marketplaces_says_elance_became_upwork(kb: KnowledgeBase) -> None:
    [note] = notes_for(kb, "freelance-marketplaces")
    text = note.path.read_text(encoding="utf-8")
    assert re.search(r"Elance.{0,120}oDesk.{0,120}Upwork", text, re.DOTALL)
    assert "2015" in text
    assert re.search(r"ifreelance", text, re.IGNORECASE)


def test_evaluation_set_shape() -> None:
    cases = load_cases()
    on = [c for c in cases if c.expected]
    off = [c for c in cases if not c.expected]
    assert len(off) >= 60
    for topic in REQUIRED_IDS:
        assert sum(c.expected == topic for c in on) >= 5, topic
    assert {c.expected for c in on} <= set(load_knowledge(REPO_DIR / "knowledge").notes)
    assert len({c.question for c in cases}) == len(cases)


def test_evaluation_questions_are_not_copied_from_the_notes(kb: KnowledgeBase) -> None:
    alternates = {q.lower().strip(" ?!.") for n in kb.notes.values() for q in n.questions}
    copied = [c.question for c in load_cases() if c.question.lower().strip(" ?!.") in alternates]
    assert copied == []


@pytest.fixture(scope="module")
def results(real_core: Core, real_settings: Settings) -> dict[str, ModeResult]:
    return evaluate(real_core.index, real_core.embedder, load_cases(), {"fused": real_settings.threshold})


@pytest.mark.parametrize("metric", sorted(FLOORS))
def test_fused_retrieval_stays_above_the_floors(results: dict[str, ModeResult], metric: str) -> None:
    value = getattr(results["fused"], metric)
    assert value >= FLOORS[metric], f"fused {metric} = {value:.3f} < {FLOORS[metric]}\n{format_report(results)}"


def test_fused_beats_both_single_retrievers(results: dict[str, ModeResult]) -> None:
    fused = results["fused"].top1
    assert fused >= results["semantic"].top1
    assert fused >= results["lexical"].top1


def test_every_topic_is_found_at_least_once(results: dict[str, ModeResult]) -> None:
    assert set(REQUIRED_IDS) <= set(results["fused"].by_topic)
    assert [t for t, acc in results["fused"].by_topic.items() if acc == 0] == []


def test_report_has_all_sections(results: dict[str, ModeResult]) -> None:
    text = format_report(results)
    for part in (
        "top-1",
        "top-3",
        "MRR",
        "on-topic answered",
        "off-topic declined",
        "top-1 by topic",
        "misses",
        "threshold sweep",
    ):
        assert part in text
    sweep = results["fused"].sweep
    assert sweep[0]["answered"] >= sweep[-1]["answered"]
    assert sweep[0]["declined"] <= sweep[-1]["declined"]


DISCLAIMED_NOTES = {
    # `disclaimer: true`: the whole note is legal or tax ground.
    "contractor-vs-employee", "contracts-and-ip", "data-protection-when-outsourcing", "ending-a-contract",
    "insurance-and-liability", "outsourcing-accounting", "outsourcing-hr-and-payroll", "outsourcing-legal-work",
    "paying-foreign-contractors",
    # `disclaimer: [phrases]`: one legal passage among practical ones (the whole note shows every passage).
    "ai-tools-vs-outsourcing", "finding-a-manufacturer", "offshore-vs-onshore", "outsourcing-marketing",
    "outsourcing-risks", "outsourcing-sales", "outsourcing-web-and-design", "outsourcing-writing",
    "paying-freelancers", "quality-control", "temps-and-staffing-agencies",
}  # fmt: skip
"""The notes whose whole text carries "Not legal or tax advice", as reviewed on 2 December 2026.

A fixed list, not the rule re-derived: adding or dropping a disclaimer is a decision a maintainer
makes on purpose, and this test makes them say so here.
"""


def test_disclaimer_is_said_once(kb: KnowledgeBase) -> None:
    from bot.knowledge.preview import render_note_text

    assert not DISCLAIMED_NOTES - set(kb.notes), sorted(DISCLAIMED_NOTES - set(kb.notes))
    for note in kb.notes.values():
        text = render_note_text(note).lower()
        said = text.count("not legal") + text.count("legal advice")
        assert said == (1 if note.id in DISCLAIMED_NOTES else 0), (note.id, said)


@pytest.fixture(scope="module")
def real_results(real_core: Core, real_settings: Settings) -> dict[str, ModeResult]:
    return evaluate(real_core.index, real_core.embedder, load_cases(REAL_FILE), {"fused": real_settings.threshold})


@pytest.mark.parametrize("group, metric", sorted(REAL_FLOORS))
def test_real_style_questions_stay_above_the_floors(
    real_results: dict[str, ModeResult], group: str, metric: str
) -> None:
    value = real_results["fused"].groups[group][metric]
    floor = REAL_FLOORS[(group, metric)]
    assert value >= floor, f"{group} {metric} = {value:.3f} < {floor}\n{format_report(real_results)}"


@pytest.fixture(scope="module")
def forum_results(real_core: Core, real_settings: Settings) -> dict[str, ModeResult]:
    return evaluate(real_core.index, real_core.embedder, load_cases(FORUM_FILE), {"fused": real_settings.threshold})


@pytest.mark.parametrize("group, metric", sorted(FORUM_FLOORS))
def test_forum_stories_stay_above_the_floors(forum_results: dict[str, ModeResult], group: str, metric: str) -> None:
    value = forum_results["fused"].groups[group][metric]
    floor = FORUM_FLOORS[(group, metric)]
    assert value >= floor, f"{group} {metric} = {value:.3f} < {floor}\n{format_report(forum_results)}"
