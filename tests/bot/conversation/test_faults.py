"""Faults in the store: the user still gets the answer, the error is logged, nothing else is lost."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.conversation.core import Core
from bot.conversation.events import Rating
from bot.messages import Message
from bot.storage.store import Store
from tests.conftest import make_settings
from tests.fakes import HashingEmbedder


@pytest.fixture
def file_core(tiny_knowledge: Path, tmp_path: Path) -> Core:
    """A core whose store is a real database file."""
    settings = make_settings(tiny_knowledge, tmp_path / "data")
    return Core.start(settings, embedder=HashingEmbedder(), store=Store(tmp_path / "data" / "bot.db", "salt"))


def test_full_disk_still_answers_and_keeps_earlier_rows(file_core: Core, caplog: pytest.LogCaptureFixture) -> None:
    first = file_core.answer(Message("how much does a freelancer cost", "u1", "c1"))
    assert first.answer_id and first.answered
    db = file_core.store.db
    pages = db.execute("pragma page_count").fetchone()[0]
    # SQLite reports SQLITE_FULL ("database or disk is full") exactly as on a full disk.
    db.execute(f"pragma max_page_count = {pages}")
    with caplog.at_level(logging.ERROR):
        for i in range(40):
            reply = file_core.answer(Message(f"hourly or fixed price {'x' * 3000} {i}", "u2", "c2"))
            assert reply.answered and reply.title == "Pricing and costs"
    assert any("could not store" in r.getMessage() for r in caplog.records)
    db.execute("pragma max_page_count = 1073741823")
    stored = [r["answer_id"] for r in db.query("select answer_id from questions")]
    assert first.answer_id in stored
    assert file_core.answer(Rating(first.answer_id, 1, "u1", "c1")).kind == "feedback"
    assert file_core.store.stats().up == 1


def test_feedback_on_a_full_disk_is_acknowledged_and_logged(file_core: Core, caplog: pytest.LogCaptureFixture) -> None:
    reply = file_core.answer(Message("what is the chasm", "u1", "c1"))
    assert reply.answer_id
    db = file_core.store.db
    db.execute(f"pragma max_page_count = {db.execute('pragma page_count').fetchone()[0]}")
    db.execute("pragma query_only = on")  # as a read-only database would refuse
    with caplog.at_level(logging.ERROR):
        ack = file_core.answer(Rating(reply.answer_id, -1, "u1", "c1")).text
    assert "Thanks" in ack
    assert any("could not store feedback" in r.getMessage() for r in caplog.records)
