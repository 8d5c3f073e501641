"""`kb check --reach`: every section of a note is found by its own questions or its heading."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.cli import main
from bot.config import REPO_DIR, Settings
from bot.conversation.core import Core
from bot.knowledge.notes import load_knowledge
from bot.maintainers.reach import section_reach, unreachable_sections
from bot.search.index import load_index
from bot.search.index_build import build_index
from tests.fakes import HashingEmbedder

NOTE = """---
id: {id}
title: Widgets
questions: [what are widgets, widget basics, tell me about widgets]
sources: ["A book"]
updated: 2026-01-02
---
Widgets widgets widgets are small parts.

## Key points

- A point about screws and bolts.

## Widgets
{questions}
Gardens lakes rivers mountains forests valleys.
"""


def reach_of(tmp_path: Path, questions: str) -> list[str]:
    """Problems `--reach` reports for the planted note, with the hashing embedder."""
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "widgets.md").write_text(NOTE.format(id="widgets", questions=questions))
    kb = load_knowledge(folder)
    assert kb.ok, kb.problems
    embedder = HashingEmbedder()
    build_index(kb, tmp_path / "index", embedder)
    index = load_index(tmp_path / "index")
    assert index is not None
    reach = section_reach(kb, index, embedder)
    assert [(r.heading, r.probes[-1]) for r in reach] == [("Widgets", "Widgets")]
    return [str(p) for p in unreachable_sections(reach)]


def test_a_section_its_heading_cannot_reach_is_reported(tmp_path: Path) -> None:
    # The heading's word fills the opening answer, so asking it leads with the opening answer.
    problems = reach_of(tmp_path, "")
    assert len(problems) == 1
    assert problems[0].startswith(f"{tmp_path / 'kb' / 'widgets.md'}:14: section 'Widgets' cannot be reached")


def test_the_sections_own_question_reaches_it(tmp_path: Path) -> None:
    assert reach_of(tmp_path, "? where are the gardens and lakes") == []


def test_kb_check_reach_passes_on_the_real_notes(
    real_core: Core, real_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every section of the notes in service leads a reply to one of its own probes (real model)."""
    reach = section_reach(real_core.kb, real_core.index, real_core.embedder)
    assert len(reach) >= 37
    assert [str(p) for p in unreachable_sections(reach)] == []
    # The command line says the same, reusing the index the real core built.
    monkeypatch.setenv("OUTSOURCEBOT_KNOWLEDGE_DIR", str(REPO_DIR / "knowledge"))
    monkeypatch.setenv("OUTSOURCEBOT_DATA_DIR", str(real_settings.data_dir))
    assert main(["kb", "check", "--reach"]) == 0
    captured = capsys.readouterr()
    assert "(every section reachable)" in captured.out
    assert f"{len(reach)} of {len(reach)} sections reachable" in captured.err
