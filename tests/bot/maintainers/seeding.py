"""A seeded store for report tests and the sample report: questions over two weeks, feedback, unanswered groups."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from bot.storage.store import Store

PLATFORMS = ("telegram", "discord", "console")
UNANSWERED_GROUPS = [
    [
        "how do I pay a contractor in india",
        "best way to send money to a freelancer in india",
        "paying indian contractors via wise",
        "how to pay freelancers in the philippines",
    ],
    [
        "what time zone overlap do I need with offshore devs",
        "how to run standups across time zones",
        "managing a team in different time zones",
    ],
    ["can I outsource my payroll", "outsourcing payroll for a small company", "should payroll be outsourced"],
]
UNANSWERED_SINGLES = ["what is the weather tomorrow", "recommend a pizza place"]


@dataclass
class Seeded:
    """What was put in the store, for assertions."""

    users: list[str] = field(default_factory=list)
    questions: int = 0
    answered: int = 0
    old_ids: list[str] = field(default_factory=list)


def _set_ts(store: Store, table: str, answer_id: str, when: dt.datetime) -> None:
    store.db.execute(f"update {table} set ts = ? where answer_id = ?", [when.isoformat(timespec="seconds"), answer_id])


def seed_store(
    store: Store,
    note_ids: list[str],
    *,
    days: int = 14,
    groups: list[list[str]] | None = None,
    singles: list[str] | None = None,
    now: dt.datetime | None = None,
    seed: int = 7,
) -> Seeded:
    """Fill a store with realistic traffic over the last `days` days.

    Args:
        store: The store to fill.
        note_ids: Notes the answered questions go to; the last one is never hit.
        days: How many days back the traffic goes.
        groups: Unanswered question groups (each question asked 1-3 times).
        singles: Unanswered one-off questions.
        now: The current time (default now, UTC).
        seed: Random seed, so the data is the same every run.

    Returns:
        The raw user ids used and counts.
    """
    rng = random.Random(seed)
    now = now or dt.datetime.now(dt.UTC)
    groups = UNANSWERED_GROUPS if groups is None else groups
    singles = UNANSWERED_SINGLES if singles is None else singles
    out = Seeded(users=[f"user-{9000 + n}" for n in range(12)])
    hit = note_ids[:-1] or note_ids

    def when() -> dt.datetime:
        return now - dt.timedelta(days=rng.randrange(days), hours=rng.randrange(12), minutes=rng.randrange(60))

    def ask(question: str, answered: bool, note: str) -> str:
        platform = rng.choice(PLATFORMS)
        user = rng.choice(out.users)
        answer_id = store.record_question(
            platform=platform,
            user=user,
            chat=f"chat-{user}",
            question=question,
            kind="answer" if answered else "fallback",
            answered=answered,
            note_id=note,
            score=0.8 if answered else 0.2,
        )
        stamp = when()
        _set_ts(store, "questions", answer_id, stamp)
        _set_ts(store, "unanswered", answer_id, stamp)
        out.questions += 1
        out.answered += int(answered)
        if answered and rng.random() < 0.5:
            # The first note gets mostly thumbs down, so it is the worst.
            rating = -1 if note == hit[0] and rng.random() < 0.8 else rng.choice((1, 1, 1, -1))
            store.record_feedback(answer_id, platform, user, rating)
            _set_ts(store, "feedback", answer_id, stamp)
        return answer_id

    for _ in range(60):
        note = rng.choice(hit)
        ask(f"question about {note}", True, note)
    for group in groups:
        for question in group:
            for _ in range(rng.randint(1, 3)):
                ask(question, False, hit[0])
    for question in singles:
        ask(question, False, "")
    return out
