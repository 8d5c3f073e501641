"""The maintainers' report: figures from a seeded store, unanswered groups, HTML, privacy, drafts."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from bot.conversation.core import Core
from bot.knowledge.notes import load_drafts, load_knowledge, parse_note
from bot.maintainers.drafts import write_draft
from bot.maintainers.report import (
    ReportData,
    build_report,
    cluster_vectors,
    load_latest,
    render_summary,
    save_latest,
    save_report,
)
from bot.maintainers.report_html import render_html
from tests.bot.maintainers.seeding import seed_store

# Word-overlapping groups, so the bag-of-words fake embedder groups them like a real model would.
GROUPS = [
    ["pay contractor india", "pay contractor in india by bank", "how to pay a contractor india"],
    ["offshore team time zones", "time zones for an offshore team", "standups offshore team time zones"],
]
SINGLES = ["weather tomorrow", "pizza place nearby"]


@pytest.fixture
def seeded(core: Core):  # type: ignore[no-untyped-def]
    return seed_store(core.store, ["pricing", "contracts", "chasm"], groups=GROUPS, singles=SINGLES)


def test_cluster_vectors_groups_close_vectors_and_keeps_outliers_apart() -> None:
    a, b = np.eye(4, dtype=np.float32)[0], np.eye(4, dtype=np.float32)[1]
    near_a = (a + 0.2 * b) / np.linalg.norm(a + 0.2 * b)
    far = np.eye(4, dtype=np.float32)[3]
    groups = cluster_vectors(np.stack([a, b, near_a, far]), threshold=0.8)
    assert groups == [[0, 2], [1], [3]]
    assert cluster_vectors(np.zeros((0, 4), dtype=np.float32)) == []


def test_report_figures_match_the_seeded_store(core: Core, seeded) -> None:  # type: ignore[no-untyped-def]
    data = build_report(core.store, core.settings, embedder=core.embedder, similarity=0.45)
    assert data.questions == seeded.questions
    assert data.answered == seeded.answered
    assert sum(r["questions"] for r in data.per_day) == seeded.questions
    assert {r["platform"] for r in data.per_day} <= {"telegram", "discord", "console"}
    assert all(0.0 <= r["share"] <= 1.0 for r in data.answered_by_day)
    # Worst first: the seeding gives "pricing" mostly thumbs down.
    assert data.feedback[0].note_id == "pricing"
    nets = [f.up - f.down for f in data.feedback]
    assert nets == sorted(nets)
    assert [n["id"] for n in data.never_hit] == ["chasm"]


def test_unanswered_questions_are_grouped_with_size_examples_and_nearest_note(core: Core, seeded) -> None:  # type: ignore[no-untyped-def]
    data = build_report(core.store, core.settings, embedder=core.embedder, similarity=0.45)
    grouped = [sorted(g.questions) for g in data.groups]
    for group in GROUPS:
        assert sorted(group) in grouped
    for single in SINGLES:
        assert [single] in grouped
    sizes = [g.size for g in data.groups]
    assert sizes == sorted(sizes, reverse=True)
    assert sum(sizes) == core.store.count("unanswered")
    assert [g.number for g in data.groups] == list(range(1, len(data.groups) + 1))
    india = next(g for g in data.groups if "pay contractor india" in g.questions)
    assert india.nearest_note in core.kb.notes
    assert india.examples == india.questions[:5]


def test_since_leaves_out_older_questions(core: Core, seeded) -> None:  # type: ignore[no-untyped-def]
    everything = build_report(core.store, core.settings, embedder=core.embedder)
    recent = build_report(
        core.store, core.settings, embedder=core.embedder, since=dt.date.today() - dt.timedelta(days=3)
    )
    assert 0 < recent.questions < everything.questions
    assert all(r["day"] >= (dt.date.today() - dt.timedelta(days=3)).isoformat() for r in recent.per_day)


def test_html_report_is_self_contained_and_shows_groups_but_no_user_ids(core: Core, seeded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = build_report(core.store, core.settings, embedder=core.embedder, similarity=0.45)
    page = render_html(data)
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 3
    assert "pay contractor india" in page and "offshore team time zones" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", page), (
        "the report must not load anything from the network"
    )
    assert "<script" not in page
    secrets = set(seeded.users)
    for user in seeded.users:
        for platform in ("telegram", "discord", "console"):
            secrets |= {core.store.hash_id(platform, user), core.store.hash_id(platform, f"chat-{user}")}
    as_json = json.dumps(data.to_dict())
    summary = render_summary(data)
    for secret in secrets:
        assert secret not in page and secret not in as_json and secret not in summary
    assert "user_hash" not in as_json and "chat_hash" not in as_json


def test_empty_store_renders_a_report_without_charts_failing(core: Core) -> None:
    data = build_report(core.store, core.settings, embedder=core.embedder)
    assert data.questions == 0 and data.groups == []
    page = render_html(data)
    assert "No questions in this period." in page
    assert "Report (all stored history): no questions in this period" in render_summary(data)


def test_latest_report_round_trips_and_drafts_a_note_flagged_by_kb_check(core: Core, seeded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = build_report(core.store, core.settings, embedder=core.embedder, similarity=0.45)
    save_latest(data, tmp_path)
    latest = load_latest(tmp_path)
    assert isinstance(latest, ReportData) and latest.to_dict() == data.to_dict()

    group = next(g for g in latest.groups if "pay contractor india" in g.questions)
    folder = core.settings.knowledge_dir
    path = write_draft(group, core.kb, folder)
    assert path.parent == folder / "drafts"
    note, problems = parse_note(path)
    assert note is not None
    assert sorted(note.questions) == sorted(group.questions)
    assert note.id not in core.kb.notes
    assert any("TODO" in p.message for p in problems)
    assert load_knowledge(folder).problems == [], "drafts are never loaded as notes"
    assert any("TODO" in p.message for p in load_drafts(folder, core.kb).problems), "kb check must flag the draft"
    with pytest.raises(FileExistsError):
        write_draft(group, core.kb, folder)

    # Completing the draft makes it a valid note.
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"TODO: answer.*", "Pay contractors in India by bank transfer or a payment service.", text)
    text = text.replace("TODO: the first thing to know.", "Use a service with low fees.").replace(
        "TODO: the second thing to know.", "Keep invoices."
    )
    text = text.replace("tags: [draft]", 'tags: [draft]\nsources: ["Bank fee tables, 2026"]')
    path.write_text(text, encoding="utf-8")
    assert load_drafts(folder, core.kb).problems == []


def test_saved_reports_are_private_whatever_the_umask(core: Core, seeded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old = os.umask(0o022)
    try:
        page = save_report(build_report(core.store, core.settings, embedder=core.embedder), tmp_path)
    finally:
        os.umask(old)
    files = [page, tmp_path / "reports" / "latest.json"]
    assert [p.stat().st_mode & 0o777 for p in files] == [0o600, 0o600]
    assert (tmp_path / "reports").stat().st_mode & 0o777 == 0o700
