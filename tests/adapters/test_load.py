"""Load: 1,000 messages from 200 users at once through the Telegram adapter and its fake Bot API.

The real model answers (so the micro-batcher is under load), the store is a WAL database file,
and every user then rates every answer. Nothing may be lost or answered twice.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bot.config import Settings
from bot.conversation.core import Core
from bot.storage.store import Store
from tests.adapters.fake_telegram import FakeTelegram
from tests.adapters.telegram.harness import bot_running, bounded, button

QUESTIONS = [
    "how much does a virtual assistant cost?",
    "what is crossing the chasm",
    "should my freelancer sign an NDA",
    "when is it time to outsource",
    "what's the weather in Paris tomorrow",  # declined, and still rateable
]
USERS = [30_000 + i for i in range(200)]


@bounded(240)
async def test_1000_messages_from_200_users_answered_once_and_every_rating_kept(
    real_settings: Settings, tmp_path: Path
) -> None:
    core = Core.start(real_settings, store=Store(tmp_path / "load.db", "load-salt"))
    calls_before = core.batcher.calls
    fake = await FakeTelegram().start()
    try:
        async with bot_running(core, fake) as app:
            for round_ in range(5):
                for n, user in enumerate(USERS):
                    fake.push_private(user, QUESTIONS[(n + round_) % 5])
            await fake.wait_for(lambda: len(fake.sent) >= 1000, timeout=180)
            for user in USERS:
                for message in fake.sent_to(user):
                    fake.press(message, button(message, "👍"), user)
            await fake.wait_for(lambda: len(fake.calls_to("answerCallbackQuery")) >= 1000, timeout=60)
            await app.stop()  # waits for every handler: a duplicate would have been sent by now
    finally:
        await fake.close()

    assert len(fake.sent) == 1000
    per_user = Counter(m["chat"]["id"] for m in fake.sent)
    assert set(per_user) == set(USERS) and set(per_user.values()) == {5}
    for user in USERS[:20]:
        declined = [m for m in fake.sent_to(user) if m["text"].startswith("I don't have a confident answer")]
        assert len(declined) == 1, f"user {user} asked one off-topic question"
    assert all(c.status == 200 for c in fake.calls_to("answerCallbackQuery"))
    db = core.store.db
    assert db.execute("select count(*) from questions").fetchone()[0] == 1000
    assert db.execute("select count(distinct answer_id) from questions").fetchone()[0] == 1000
    assert db.execute("select count(*) from feedback where rating = 1").fetchone()[0] == 1000
    assert db.execute("select count(*) from unanswered").fetchone()[0] == 200
    assert core.batcher.calls - calls_before < 1000, "concurrent questions were embedded together"
