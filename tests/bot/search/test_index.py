"""Index build, incremental rebuild, pointer swap and recovery from broken or half-written indexes."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.conversation.core import Core
from bot.knowledge.notes import load_knowledge
from bot.search.chunks import Chunk, is_passage_text, note_chunks
from bot.search.index import ensure_index, is_current, load_index
from bot.search.index_build import INDEX_FORMAT, POINTER, BuildReport, build_index, current_folder
from bot.search.lexical import fts_query
from bot.search.retrieval import passage_scores
from bot.storage.store import Store
from tests.conftest import make_settings, write_note
from tests.fakes import HashingEmbedder


def unique_texts(knowledge: Path) -> set[str]:
    kb = load_knowledge(knowledge)
    return {c.text for n in kb.notes.values() for c in note_chunks(n)}


def test_first_build_embeds_every_text_once(
    tiny_knowledge: Path, tmp_path: Path, fake_embedder: HashingEmbedder
) -> None:
    kb = load_knowledge(tiny_knowledge)
    seen: list[tuple[int, int]] = []
    report = build_index(kb, tmp_path / "index", fake_embedder, progress=lambda done, total: seen.append((done, total)))
    texts = unique_texts(tiny_knowledge)
    assert report.notes == 3
    assert report.chunks == sum(len(note_chunks(n)) for n in kb.notes.values())
    assert report.embedded == len(texts) == fake_embedder.embedded_texts
    assert {t for call in fake_embedder.calls for t in call} == texts
    assert report.reused == 0
    assert report.added == ["chasm", "contracts", "pricing"]
    assert report.edited == report.removed == []
    assert seen and seen[-1] == (len(texts), len(texts))
    index = load_index(tmp_path / "index")
    assert index is not None
    assert len(index.chunks) == report.chunks
    assert index.vectors.ntotal == report.chunks
    assert is_current(index, kb, fake_embedder)


def test_note_chunks_cover_title_questions_answer_points() -> None:
    from bot.knowledge.notes import KnowledgeNote

    note = KnowledgeNote(
        id="n",
        title="T",
        questions=["q1", "q2"],
        answer="A.",
        key_points=["p"],
        sections=[("Key points", "- p"), ("More", "prose here")],
    )
    kinds = [(c.kind, c.text, c.part) for c in note_chunks(note)]
    assert kinds == [
        ("title", "T", "answer"),
        ("question", "q1", "answer"),
        ("question", "q2", "answer"),
        ("answer", "A.", "answer"),
        ("point", "p", "point:0"),
        ("section", "More: prose here", "section:1"),
    ]
    # The title and the note's own questions pick the note, not a passage of it.
    assert [c.part for c in note_chunks(note) if is_passage_text(c)] == ["answer", "point:0", "section:1"]


def test_a_sections_own_questions_are_chunks_that_stand_for_that_section(tmp_path: Path) -> None:
    from bot.knowledge.notes import parse_note

    note, problems = parse_note(
        tmp_path / "n.md",
        "---\nid: n\ntitle: T\nquestions: [q1, q2, q3]\nsources: [S]\nupdated: 2026-01-01\n---\nA.\n\n"
        "## Key points\n\n- p\n\n## Rates by region\n? rates in the philippines\n? latin america rates\n\n"
        "- Philippines: 5-10 an hour.\n- Latin America: 10-20 an hour.\n\n## Old style\n\nNo questions here.\n",
    )
    assert problems == [] and note is not None
    chunks = note_chunks(note)
    own = [(c.kind, c.text, c.part) for c in chunks if c.part == "section:1"]
    assert own == [
        ("question", "rates in the philippines", "section:1"),
        ("question", "latin america rates", "section:1"),
        ("point", "Rates by region: Philippines: 5-10 an hour.", "section:1"),
        ("point", "Rates by region: Latin America: 10-20 an hour.", "section:1"),
    ]
    # A section's questions say which passage answers, so they take part when passages are compared;
    # a section without questions is indexed as before.
    assert sum(1 for c in chunks if c.kind == "question" and is_passage_text(c)) == 2
    assert [(c.kind, c.part) for c in chunks if c.part == "section:2"] == [("section", "section:2")]


def test_an_index_of_an_older_format_is_rebuilt(
    tiny_knowledge: Path, tmp_path: Path, fake_embedder: HashingEmbedder
) -> None:
    import json

    kb = load_knowledge(tiny_knowledge)
    build_index(kb, tmp_path / "index", fake_embedder)
    index = load_index(tmp_path / "index")
    assert index is not None and index.manifest["format"] == INDEX_FORMAT and is_current(index, kb, fake_embedder)
    # A build from before chunks named their passage: same notes, same model, no format.
    manifest = index.folder / "manifest.json"
    old = json.loads(manifest.read_text())
    del old["format"]
    manifest.write_text(json.dumps(old))
    assert not is_current(load_index(tmp_path / "index"), kb, fake_embedder)


def test_chunk_positions_of_both_searches_name_the_same_chunks(
    tiny_knowledge: Path, tmp_path: Path, fake_embedder: HashingEmbedder
) -> None:
    kb = load_knowledge(tiny_knowledge)
    build_index(kb, tmp_path / "index", fake_embedder)
    index = load_index(tmp_path / "index")
    assert index is not None
    (position, _), *_ = index.lexical_chunks("retainer")
    assert index.chunks[position] == Chunk("pricing", "answer", kb.notes["pricing"].answer, "answer")
    vector = fake_embedder.embed([kb.notes["chasm"].answer])[0]
    (nearest, cosine), *_ = index.semantic_chunks(vector[None, :])[0]
    assert index.chunks[nearest].text == kb.notes["chasm"].answer and cosine == pytest.approx(1.0, abs=1e-5)
    sims = (index.matrix @ vector).tolist()
    assert dict(passage_scores(index, "chasm", sims, {}))["answer"] == pytest.approx(cosine, abs=1e-5)
    assert passage_scores(index, "no-such-note", sims, {}) == ()


def test_rebuild_without_changes_embeds_nothing(
    tiny_knowledge: Path, tmp_path: Path, fake_embedder: HashingEmbedder
) -> None:
    kb = load_knowledge(tiny_knowledge)
    first = build_index(kb, tmp_path / "index", fake_embedder)
    calls = len(fake_embedder.calls)
    again = build_index(kb, tmp_path / "index", fake_embedder)
    assert len(fake_embedder.calls) == calls
    assert again.embedded == 0
    assert again.reused == first.embedded
    assert again.added == again.edited == again.removed == []


def test_editing_one_note_reembeds_only_its_changed_chunks(
    tiny_knowledge: Path, tmp_path: Path, fake_embedder: HashingEmbedder
) -> None:
    build_index(load_knowledge(tiny_knowledge), tmp_path / "index", fake_embedder)
    before = fake_embedder.embedded_texts
    path = tiny_knowledge / "pricing.md"
    new_answer = "Freelancers charge by the hour, by the project or on retainer."
    path.write_text(
        path.read_text().replace("Freelancers charge hourly, fixed price or retainer; compare total cost.", new_answer)
    )
    report = build_index(load_knowledge(tiny_knowledge), tmp_path / "index", fake_embedder)
    assert fake_embedder.calls[-1] == [new_answer]
    assert fake_embedder.embedded_texts - before == 1
    assert report.embedded == 1
    assert report.edited == ["pricing"]
    assert report.added == report.removed == []
    assert "edited 1" in report.summary()


def test_added_and_removed_notes_are_reported(
    tiny_knowledge: Path, tmp_path: Path, fake_embedder: HashingEmbedder
) -> None:
    build_index(load_knowledge(tiny_knowledge), tmp_path / "index", fake_embedder)
    (tiny_knowledge / "chasm.md").unlink()
    write_note(
        tiny_knowledge,
        "tornado",
        "Inside the tornado",
        ["what is the tornado", "hypergrowth", "mass market"],
        "The tornado is hypergrowth.",
    )
    report = build_index(load_knowledge(tiny_knowledge), tmp_path / "index", fake_embedder)
    assert report.added == ["tornado"]
    assert report.removed == ["chasm"]
    assert report.edited == []
    index = load_index(tmp_path / "index")
    assert index is not None and set(index.chunk_notes) == {"pricing", "contracts", "tornado"}


def test_cache_is_per_model(tiny_knowledge: Path, tmp_path: Path) -> None:
    kb = load_knowledge(tiny_knowledge)
    build_index(kb, tmp_path / "index", HashingEmbedder())
    other = HashingEmbedder()
    other.name = "another-model"
    report = build_index(kb, tmp_path / "index", other)
    assert report.embedded == len(unique_texts(tiny_knowledge)) == other.embedded_texts


def test_build_swaps_the_pointer_and_removes_the_old_build(
    tiny_knowledge: Path, tmp_path: Path, fake_embedder: HashingEmbedder
) -> None:
    index_dir = tmp_path / "index"
    build_index(load_knowledge(tiny_knowledge), index_dir, fake_embedder)
    first = current_folder(index_dir)
    assert first is not None and (index_dir / POINTER).read_text() == first.name
    write_note(tiny_knowledge, "extra", "Extra", ["a one", "a two", "a three"], "Extra answer.")
    build_index(load_knowledge(tiny_knowledge), index_dir, fake_embedder)
    second = current_folder(index_dir)
    assert second is not None and second != first
    assert not first.exists()
    assert [p.name for p in index_dir.iterdir() if p.name.startswith("build-")] == [second.name]
    assert not list(index_dir.glob(f"{POINTER}.tmp-*"))


def test_killed_build_leaves_previous_index_in_use(
    tiny_knowledge: Path, tmp_path: Path, fake_embedder: HashingEmbedder
) -> None:
    settings = make_settings(tiny_knowledge, tmp_path / "data")
    build_index(load_knowledge(tiny_knowledge), settings.index_dir, fake_embedder)
    good = current_folder(settings.index_dir)
    # A build killed after writing some files but before the pointer swap.
    leftover = settings.index_dir / "build-99999999-999999-1-1"
    leftover.mkdir()
    (leftover / "vectors.faiss").write_bytes(b"half written")
    calls = len(fake_embedder.calls)
    said: list[str] = []
    core = Core.start(settings, embedder=fake_embedder, store=Store(None, "s"), say=said.append)
    assert core.index.folder == good
    assert said == []
    assert len(fake_embedder.calls) == calls
    assert core.answer(_msg("do I need an NDA")).sources[0].id == "contracts"
    # The next real build cleans the leftover up.
    write_note(tiny_knowledge, "extra", "Extra", ["a one", "a two", "a three"], "Extra answer.")
    build_index(load_knowledge(tiny_knowledge), settings.index_dir, fake_embedder)
    assert not leftover.exists()


def _msg(text: str):  # type: ignore[no-untyped-def]
    from bot.messages import Message

    return Message(text, "u", "c")


@pytest.mark.parametrize("damage", ["vectors", "chunks", "manifest", "lexical", "pointer-to-nowhere", "no-pointer"])
def test_corrupt_or_missing_index_is_rebuilt_with_a_log_line(
    damage: str, tiny_knowledge: Path, tmp_path: Path, fake_embedder: HashingEmbedder, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tiny_knowledge, tmp_path / "data")
    build_index(load_knowledge(tiny_knowledge), settings.index_dir, fake_embedder)
    folder = current_folder(settings.index_dir)
    assert folder is not None
    if damage == "vectors":
        (folder / "vectors.faiss").write_bytes(b"\x00garbage")
    elif damage == "chunks":
        (folder / "chunks.json").write_text("[{]")
    elif damage == "manifest":
        (folder / "manifest.json").unlink()
    elif damage == "lexical":
        (folder / "lexical.db").write_bytes(b"not a database at all" * 100)
    elif damage == "pointer-to-nowhere":
        (settings.index_dir / POINTER).write_text("build-gone")
    else:
        (settings.index_dir / POINTER).unlink()
    said: list[str] = []
    with caplog.at_level(logging.INFO):
        core = Core.start(settings, embedder=fake_embedder, store=Store(None, "s"), say=said.append)
    assert said[0] == "The search index is missing or unreadable; building it now..."
    assert said[1].startswith("Index built: 3 notes")
    if damage in ("vectors", "chunks", "manifest", "lexical"):
        assert any("unreadable" in r.getMessage() and "rebuilt" in r.getMessage() for r in caplog.records)
    assert core.answer(_msg("do I need an NDA")).sources[0].id == "contracts"
    assert current_folder(settings.index_dir) not in (None, folder)


def test_stale_index_is_rebuilt_saying_so(tiny_knowledge: Path, tmp_path: Path, fake_embedder: HashingEmbedder) -> None:
    settings = make_settings(tiny_knowledge, tmp_path / "data")
    said: list[str] = []
    ensure_index(load_knowledge(tiny_knowledge), settings, fake_embedder, said.append)
    assert said[0].startswith("The search index is missing")
    said.clear()
    ensure_index(load_knowledge(tiny_knowledge), settings, fake_embedder, said.append)
    assert said == []
    write_note(tiny_knowledge, "extra", "Extra", ["a one", "a two", "a three"], "Extra answer.")
    index = ensure_index(load_knowledge(tiny_knowledge), settings, fake_embedder, said.append)
    assert said[0] == "The search index is out of date; building it now..."
    assert "extra" in index.chunk_notes


def test_other_model_makes_index_stale(tiny_knowledge: Path, tmp_path: Path) -> None:
    kb = load_knowledge(tiny_knowledge)
    build_index(kb, tmp_path / "index", HashingEmbedder())
    other = HashingEmbedder()
    other.name = "another-model"
    assert not is_current(load_index(tmp_path / "index"), kb, other)


def test_build_report_summary() -> None:
    text = BuildReport(notes=2, chunks=9, embedded=3, reused=6, seconds=0.5, added=["a"]).summary()
    assert text == "2 notes, 9 chunks: embedded 3, reused 6 from cache; added 1, edited 0, removed 0; 0.50 s"


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("How much does a VA cost?", '"va" OR "cost"'),
        ("what is the", ""),
        ('NDA "quoted" * OR AND NEAR(', '"nda" OR "quoted" OR "near"'),
        ("cost cost COST", '"cost"'),
        ("", ""),
    ],
)
def test_fts_query(text: str, query: str) -> None:
    assert fts_query(text) == query


def test_lexical_search_survives_fts_syntax(
    tiny_knowledge: Path, tmp_path: Path, fake_embedder: HashingEmbedder
) -> None:
    build_index(load_knowledge(tiny_knowledge), tmp_path / "index", fake_embedder)
    index = load_index(tmp_path / "index")
    assert index is not None
    assert index.lexical('"NDA" AND (* OR')[0][0] == "contracts"
    assert index.lexical("the of and") == []
    assert index.lexical("zzzqqq") == []


def test_build_keeps_builds_newer_than_its_own(
    tiny_knowledge: Path, tmp_path: Path, fake_embedder: HashingEmbedder
) -> None:
    import os
    import time as _time

    index_dir = tmp_path / "index"
    build_index(load_knowledge(tiny_knowledge), index_dir, fake_embedder)
    old = current_folder(index_dir)
    assert old is not None
    # Another process's build, finished after ours will be (its pointer swap still to come).
    newer = index_dir / "build-29990101-000000-99999-1"
    newer.mkdir()
    (newer / "manifest.json").write_text("{}")
    future = _time.time() + 3600
    os.utime(newer, (future, future))
    build_index(load_knowledge(tiny_knowledge), index_dir, fake_embedder)
    mine = current_folder(index_dir)
    assert mine is not None and mine != old
    assert not old.exists()  # older than the new build: removed
    assert newer.is_dir() and (newer / "manifest.json").exists()  # newer: left alone


def test_build_waits_for_another_processs_build_lock(
    tiny_knowledge: Path, tmp_path: Path, fake_embedder: HashingEmbedder
) -> None:
    import fcntl
    import threading

    from bot.search.index_build import LOCK

    index_dir = tmp_path / "index"
    index_dir.mkdir()
    kb = load_knowledge(tiny_knowledge)
    done = threading.Event()
    with open(index_dir / LOCK, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as another process building into the same folder would

        def build() -> None:
            build_index(kb, index_dir, fake_embedder)
            done.set()

        thread = threading.Thread(target=build)
        thread.start()
        assert not done.wait(0.5), "the build must wait for the lock"
        assert current_folder(index_dir) is None
        fcntl.flock(held, fcntl.LOCK_UN)
    thread.join(10)
    assert done.is_set() and current_folder(index_dir) is not None


def test_reload_closes_the_replaced_index_after_the_grace_period(core: Core, tiny_knowledge: Path) -> None:
    import time as _time

    from bot.messages import Message

    core.library.retire_after = 0.2
    old = core.index
    write_note(tiny_knowledge, "extra", "Extra", ["a one", "a two", "a three"], "Extra answer.")
    assert core.reload().ok and core.index is not old
    assert not old.closed
    assert old.lexical("freelancer cost")  # a question still on the old index keeps working
    deadline = _time.monotonic() + 5
    while not old.closed and _time.monotonic() < deadline:
        _time.sleep(0.02)
    assert old.closed
    assert old.lexical("freelancer cost") == []  # late use of a closed index degrades, never raises
    assert not core.index.closed
    assert core.answer(Message("how much does a freelancer cost", "u", "c")).sources[0].id == "pricing"


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_an_unreadable_embedding_cache_is_rebuilt_naming_the_file(
    damage: str, tiny_knowledge: Path, tmp_path: Path, fake_embedder: HashingEmbedder, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tiny_knowledge, tmp_path / "data")
    build_index(load_knowledge(tiny_knowledge), settings.index_dir, fake_embedder)
    cache = settings.data_dir / "embeddings.db"
    if damage == "garbage":
        cache.write_bytes(b"this is not a database at all" * 200)
    else:
        cache.write_bytes(cache.read_bytes()[: 4096 + 100])
    (settings.index_dir / POINTER).unlink()  # the next start must build, so it reads the cache
    with caplog.at_level(logging.WARNING):
        core = Core.start(settings, embedder=fake_embedder, store=Store(None, "s"))
    assert core.answer(_msg("do I need an NDA")).sources[0].id == "contracts"
    assert any(str(cache) in r.getMessage() for r in caplog.records), "the warning names the file"
    build_index(load_knowledge(tiny_knowledge), settings.index_dir, fake_embedder)  # the new cache works


@pytest.mark.parametrize("stage", ["lexical", "pointer"])
def test_a_failed_build_leaves_no_temporary_files_and_the_old_index_in_service(
    stage: str,
    tiny_knowledge: Path,
    tmp_path: Path,
    fake_embedder: HashingEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os

    import bot.search.index_build

    index_dir = tmp_path / "data" / "index"
    build_index(load_knowledge(tiny_knowledge), index_dir, fake_embedder)
    before = sorted(p.name for p in index_dir.iterdir())
    write_note(tiny_knowledge, "extra", "Extra", ["an extra question"], "An extra answer.")

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    real_replace = os.replace
    if stage == "lexical":
        monkeypatch.setattr(bot.search.index_build, "write_lexical", full_disk)
    else:
        monkeypatch.setattr(os, "replace", lambda a, b: full_disk() if Path(b).name == POINTER else real_replace(a, b))
    with pytest.raises(OSError, match="No space"):
        build_index(load_knowledge(tiny_knowledge), index_dir, fake_embedder)
    monkeypatch.undo()
    assert sorted(p.name for p in index_dir.iterdir()) == before
    index = load_index(index_dir)
    assert index is not None and "extra" not in index.chunk_notes
    index.close()


def test_a_section_question_only_chooses_the_passage_and_only_when_closer_than_the_notes_questions(
    tmp_path: Path, fake_embedder: HashingEmbedder
) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "w.md").write_text(
        "---\nid: w\ntitle: Widgets\nquestions: [widget prices and costs, buying widgets, widget basics]\n"
        "sources: [S]\nupdated: 2026-01-01\n---\nWidgets are parts.\n\n## Key points\n\n- A point.\n\n"
        "## Rates\n? widget prices\n\nCheap ones cost little.\n"
    )
    kb = load_knowledge(folder)
    build_index(kb, tmp_path / "index", fake_embedder)
    index = load_index(tmp_path / "index")
    assert index is not None
    question = next(i for i, c in enumerate(index.chunks) if c.kind == "question" and c.part == "section:1")
    text = next(i for i, c in enumerate(index.chunks) if c.kind == "section" and c.part == "section:1")

    def scores(asked: str) -> tuple[list[float], dict[str, float]]:
        sims = (index.matrix @ fake_embedder.embed([asked])[0]).tolist()
        return sims, dict(passage_scores(index, "w", sims, {}))

    # The note's general question is its own question's: the section's question does not take it over,
    sims, parts = scores("widget prices and costs")
    assert sims[question] > sims[text], "the section's question is the closer chunk"
    # though the section's text still competes for it.
    assert parts["section:1"] == sims[text]
    sims, parts = scores("widget prices")
    assert parts["section:1"] == sims[question] > sims[text]
    # They choose the passage, never the note: the note-level searches leave them out.
    vector = fake_embedder.embed(["widget prices"])
    assert question not in index.note_chunks[index.note_ids.index("w")]
    assert question not in dict(index.semantic_chunks(vector)[0])
    assert question not in dict(index.lexical_chunks("widget prices"))
    assert len(index.semantic_chunks(vector, k=100)[0]) == len(index.chunks) - 1
    assert dict(index.lexical_chunks("widget prices")), "the other chunks are still found"
    index.close()
