"""Live knowledge: atomic reloads under load, broken notes, incremental embedding and the folder watcher."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import pytest

import bot.conversation.library
from bot.conversation.core import Core, ReloadResult
from bot.conversation.watch import folder_fingerprint, start_background_jobs, watch_knowledge
from bot.messages import Message
from tests.conftest import write_note
from tests.fakes import HashingEmbedder

PRICING_Q = "how much does a freelancer cost"
OLD = "Freelancers charge hourly, fixed price or retainer; compare total cost."
NEW = "Freelancers now mostly charge a fixed price per milestone, agreed in writing before work starts."


def edit_pricing(folder: Path, answer: str = NEW) -> Path:
    """Rewrite the pricing note with a new answer (same title, questions and points)."""
    return write_note(
        folder,
        "pricing",
        "Pricing and costs",
        ["how much does a freelancer cost", "hourly or fixed price", "freelancer rates"],
        answer,
        related="contracts",
    )


def ask(core: Core, text: str = PRICING_Q, user: str = "u1") -> Any:
    return core.answer(Message(text, user, f"chat-{user}", "console"))


async def test_reload_while_answering_loses_no_question_and_later_ones_use_the_new_note(
    core: Core, tiny_knowledge: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original_build = getattr(bot.conversation.library, "build_index")  # noqa: B009 (not re-exported)

    def slow_build(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)  # keep the reload running while questions are answered
        return original_build(*args, **kwargs)

    monkeypatch.setattr(bot.conversation.library, "build_index", slow_build)
    edit_pricing(tiny_knowledge)
    reload_task = asyncio.create_task(asyncio.to_thread(core.reload))
    during: list[Any] = []
    n = 0
    while not reload_task.done():
        batch = [core.handle(Message(PRICING_Q, f"u{n + i}", f"c{n + i}", "telegram")) for i in range(8)]
        during += await asyncio.gather(*batch)
        n += 8
        await asyncio.sleep(0.01)
    result = await reload_task
    assert result.ok and result.report is not None and result.report.edited == ["pricing"]
    assert len(during) >= 8, "questions must have been answered while the reload ran"
    assert all(r.answered and r.sources[0].id == "pricing" for r in during)
    assert all(r.answer in (OLD, NEW) for r in during)
    after = await asyncio.gather(*(core.handle(Message(PRICING_Q, f"v{i}", f"d{i}", "discord")) for i in range(8)))
    assert all(r.answer == NEW for r in after)


def test_broken_note_at_reload_keeps_the_old_answers(core: Core, tiny_knowledge: Path) -> None:
    before = ask(core)
    edit_pricing(tiny_knowledge)
    (tiny_knowledge / "broken.md").write_text("no front matter here\n", encoding="utf-8")
    result = core.reload()
    assert not result.ok
    assert any("front matter" in str(p) for p in result.problems)
    assert "previous index stays in service" in result.summary()
    after = ask(core, user="u2")
    assert after.answer == before.answer == OLD
    # Fixing the folder lets the next reload through.
    (tiny_knowledge / "broken.md").unlink()
    assert core.reload().ok
    assert ask(core, user="u3").answer == NEW


def test_incremental_rebuild_embeds_only_the_changed_note(
    core: Core, tiny_knowledge: Path, fake_embedder: HashingEmbedder
) -> None:
    fake_embedder.calls.clear()
    edit_pricing(tiny_knowledge)
    result = core.reload()
    assert result.ok and result.report is not None
    assert fake_embedder.embedded_texts == 1  # only the pricing note's new answer text
    assert (result.report.added, result.report.edited, result.report.removed) == ([], ["pricing"], [])

    fake_embedder.calls.clear()
    write_note(
        tiny_knowledge,
        "retainers",
        "Retainers",
        ["what is a retainer", "monthly retainer", "retainer vs hourly"],
        "A retainer is a fixed monthly fee for reserved time.",
        point="Retainers are paid in advance.",
    )
    (tiny_knowledge / "chasm.md").unlink()
    result = core.reload()
    assert result.ok and result.report is not None
    assert (result.report.added, result.report.edited, result.report.removed) == (["retainers"], [], ["chasm"])
    # Title, three questions, answer and two points; nothing of the other notes.
    assert fake_embedder.embedded_texts == 7
    assert core.note("chasm") is None and core.note("retainers") is not None

    fake_embedder.calls.clear()
    assert core.reload().report is None  # nothing changed: no rebuild at all
    assert fake_embedder.embedded_texts == 0


def test_folder_fingerprint_changes_on_edit_add_and_delete(tiny_knowledge: Path) -> None:
    first = folder_fingerprint(tiny_knowledge)
    assert first == folder_fingerprint(tiny_knowledge)
    edit_pricing(tiny_knowledge)
    second = folder_fingerprint(tiny_knowledge)
    assert second != first
    (tiny_knowledge / "chasm.md").unlink()
    assert folder_fingerprint(tiny_knowledge) != second
    assert folder_fingerprint(tiny_knowledge / "missing") == folder_fingerprint(tiny_knowledge / "missing")


async def _until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_watcher_picks_up_an_edited_note(core: Core, tiny_knowledge: Path) -> None:
    stop = asyncio.Event()
    results: list[ReloadResult] = []
    task = asyncio.create_task(watch_knowledge(core, interval=0.05, stop=stop, on_reload=results.append))
    await asyncio.sleep(0.1)
    edit_pricing(tiny_knowledge)
    await _until(lambda: core.note("pricing") is not None and core.note("pricing").answer == NEW)  # type: ignore[union-attr]
    assert ask(core).answer == NEW
    await _until(lambda: bool(results))  # on_reload runs just after the new note is in service
    assert results[-1].ok
    stop.set()
    await asyncio.wait_for(task, 2)


async def test_watcher_survives_broken_notes_and_failing_reloads(
    core: Core, tiny_knowledge: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real_reload = core.reload
    calls = {"n": 0}

    def flaky_reload(*args: Any, **kwargs: Any) -> ReloadResult:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk went away")
        return real_reload(*args, **kwargs)

    monkeypatch.setattr(core, "reload", flaky_reload)
    stop = asyncio.Event()
    caplog.set_level(logging.ERROR, logger="bot.conversation.watch")
    task = asyncio.create_task(watch_knowledge(core, interval=0.05, stop=stop))
    await asyncio.sleep(0.1)
    first = "First edit, loaded when the failed reload is retried."
    edit_pricing(tiny_knowledge, first)
    await _until(lambda: core.note("pricing").answer == first)  # type: ignore[union-attr]
    (tiny_knowledge / "broken.md").write_text("---\nid: broken\n", encoding="utf-8")
    await _until(lambda: calls["n"] >= 3)
    await asyncio.sleep(0.2)
    assert calls["n"] == 3, "a refused reload is not retried until the folder changes again"
    assert core.note("pricing").answer == first  # type: ignore[union-attr]
    assert not task.done()
    (tiny_knowledge / "broken.md").unlink()
    edit_pricing(tiny_knowledge)
    await _until(lambda: core.note("pricing").answer == NEW)  # type: ignore[union-attr]
    assert "disk went away" in caplog.text
    stop.set()
    await asyncio.wait_for(task, 2)


async def test_a_reload_that_raised_is_retried_without_another_edit(
    core: Core, tiny_knowledge: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_reload = core.reload
    failures = {"left": 3}

    def full_disk_reload(*args: Any, **kwargs: Any) -> ReloadResult:
        if failures["left"]:
            failures["left"] -= 1
            raise OSError(28, "No space left on device")
        return real_reload(*args, **kwargs)

    monkeypatch.setattr(core, "reload", full_disk_reload)
    stop = asyncio.Event()
    task = asyncio.create_task(watch_knowledge(core, interval=0.05, stop=stop))
    await asyncio.sleep(0.1)
    edit_pricing(tiny_knowledge)  # the one and only edit; then the disk is freed
    await _until(lambda: core.note("pricing").answer == NEW)  # type: ignore[union-attr]
    assert failures["left"] == 0 and not task.done()
    stop.set()
    await asyncio.wait_for(task, 2)


async def test_background_jobs_start_and_stop_together(core: Core) -> None:
    stop = asyncio.Event()
    tasks = start_background_jobs(core, stop, watch_interval=0.05, retention_every=0.05)
    await asyncio.sleep(0.15)
    assert not any(t.done() for t in tasks)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 2)


async def test_run_with_background_jobs_reloads_while_serving_and_stops_its_jobs(
    core: Core, tiny_knowledge: Path
) -> None:
    """The platform commands wrap their run coroutine in this: an edit is picked up while serving."""
    import asyncio

    from bot.conversation.watch import run_with_background_jobs

    async def platform() -> str:
        await asyncio.sleep(0.3)  # let the watcher take its first look at the folder
        note = tiny_knowledge / "chasm.md"
        note.write_text(
            note.read_text(encoding="utf-8").replace("Crossing the chasm", "Crossing the great chasm"), encoding="utf-8"
        )
        for _ in range(100):
            chasm = core.note("chasm")
            if chasm is not None and chasm.title == "Crossing the great chasm":
                return "reloaded"
            await asyncio.sleep(0.05)
        return "not reloaded"

    result = await asyncio.wait_for(run_with_background_jobs(core, platform(), watch_interval=0.05), timeout=20)
    assert result == "reloaded"
    names = {t.get_name() for t in asyncio.all_tasks()}
    assert "outsourcebot-watch-knowledge" not in names and "outsourcebot-retention" not in names
