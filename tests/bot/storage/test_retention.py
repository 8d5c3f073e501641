"""Privacy: the retention job deletes only stored questions past OUTSOURCEBOT_RETENTION_DAYS."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pytest

from bot.conversation.core import Core
from bot.maintainers.report import build_report, save_report
from bot.messages import Message
from bot.storage.retention import purge_expired, retention_job
from bot.storage.store import Store
from tests.conftest import make_settings
from tests.fakes import HashingEmbedder


def _question(core: Core, text: str, days_ago: float, answered: bool = False) -> str:
    answer_id = core.store.record_question(
        platform="telegram",
        user="u1",
        chat="c1",
        question=text,
        kind="fallback" if not answered else "answer",
        answered=answered,
        note_id="pricing",
        score=0.1,
    )
    stamp = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)).isoformat(timespec="seconds")
    for table in ("questions", "unanswered"):
        core.store.db.execute(f"update {table} set ts = ? where answer_id = ?", [stamp, answer_id])
    return answer_id


def _ids(core: Core, table: str) -> set[str]:
    return {row[0] for row in core.store.db.execute(f"select answer_id from {table}")}


def test_purge_deletes_only_rows_older_than_the_retention(core: Core) -> None:
    old = _question(core, "an old unanswered question", 200)
    old_answered = _question(core, "an old answered question", 181, answered=True)
    recent = _question(core, "a recent question", 179)
    today = _question(core, "today's question", 0, answered=True)
    assert core.settings.retention_days == 180
    assert purge_expired(core) == 3  # two questions and one unanswered row
    assert _ids(core, "questions") == {recent, today}
    assert _ids(core, "unanswered") == {recent}
    assert old not in _ids(core, "unanswered") and old_answered not in _ids(core, "questions")
    assert purge_expired(core) == 0


def test_zero_retention_keeps_everything(core: Core) -> None:
    _question(core, "an old question", 400)
    core.settings = dataclasses.replace(core.settings, retention_days=0)
    assert purge_expired(core) == 0
    assert core.store.count("questions") == 1


async def test_retention_job_runs_periodically_and_survives_errors(
    core: Core, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _question(core, "an old question", 365)
    real_delete = core.store.delete_older_than
    calls: list[int] = []

    def flaky_delete(days: int) -> Any:
        calls.append(days)
        if len(calls) == 1:
            raise OSError("database is locked")
        return real_delete(days)

    monkeypatch.setattr(core.store, "delete_older_than", flaky_delete)
    caplog.set_level(logging.ERROR, logger="bot.storage.retention")
    stop = asyncio.Event()
    task = asyncio.create_task(retention_job(core, every=0.02, stop=stop))
    deadline = asyncio.get_running_loop().time() + 5
    while len(calls) < 3 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert len(calls) >= 3 and calls[0] == 180
    assert "database is locked" in caplog.text
    assert core.store.count("questions") == 0


SECRET = "my accountant jane.doe@example.com quit, who can do my books"


def _disk_holds(folder: Path, text: str) -> list[str]:
    """Every file under `folder` whose bytes contain `text` (the database and its WAL included)."""
    needle = text.encode()
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes())


@pytest.fixture
def file_core(tiny_knowledge: Path, tmp_path: Path) -> Core:
    """A core whose store is a database file in its data folder, as in service."""
    settings = make_settings(tiny_knowledge, tmp_path / "data")
    return Core.start(settings, embedder=HashingEmbedder(), store=Store(settings.db_path, "salt"))


def _report(core: Core) -> None:
    save_report(build_report(core.store, core.settings, embedder=core.embedder), core.settings.data_dir)


def test_forget_removes_the_users_questions_from_every_file_the_bot_wrote(file_core: Core) -> None:
    data = file_core.settings.data_dir
    file_core.answer(Message(SECRET, "u1", "c1", "telegram"))
    file_core.answer(Message("what is the weather on mars", "u2", "c2", "telegram"))
    _report(file_core)
    assert {"reports/latest.json"} <= set(_disk_holds(data, SECRET))
    assert any(p.startswith("reports/report-") for p in _disk_holds(data, SECRET))
    file_core.memory.forget("telegram", "u1")
    assert _disk_holds(data, SECRET) == []
    # A report that can no longer be trusted is gone, and a new one is made without the forgotten user.
    _report(file_core)
    assert _disk_holds(data, SECRET) == [] and _disk_holds(data, "weather on mars")


def test_forgetting_a_user_with_no_unanswered_question_keeps_the_reports(file_core: Core) -> None:
    file_core.answer(Message(SECRET, "u1", "c1", "telegram"))
    _report(file_core)
    reports = sorted(p.name for p in (file_core.settings.data_dir / "reports").iterdir())
    file_core.memory.forget("telegram", "someone-else")
    assert sorted(p.name for p in (file_core.settings.data_dir / "reports").iterdir()) == reports


def test_retention_removes_expired_questions_from_saved_reports(file_core: Core) -> None:
    data = file_core.settings.data_dir
    _question(file_core, SECRET, days_ago=200)
    _report(file_core)
    assert _disk_holds(data, SECRET)
    assert purge_expired(file_core) >= 1
    assert _disk_holds(data, SECRET) == []


def test_retention_keeps_reports_that_quote_only_questions_still_kept(file_core: Core) -> None:
    _question(file_core, "an old answered question", days_ago=200, answered=True)
    _question(file_core, SECRET, days_ago=10)
    _report(file_core)
    purge_expired(file_core)
    assert "reports/latest.json" in _disk_holds(file_core.settings.data_dir, SECRET)
