"""Usage figures for the maintainers' report, read from the store (aggregates and question texts only).

Only aggregate figures and question texts are read; user and chat hashes never leave the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.storage.store import Store


@dataclass
class Usage:
    """What users asked and rated since a day.

    Attributes:
        questions: Questions asked.
        answered: Of those, answered with confidence.
        up: 👍 given.
        down: 👎 given.
        per_day: (day, platform, questions) rows, in order.
        answered_by_day: (day, questions, answered) rows, in order.
        note_feedback: (note id, 👍, 👎) rows of rated notes.
        answered_notes: Ids of the notes that answered at least once.
        unanswered: The unanswered questions, oldest first (repeats included).
        oldest_unanswered: When the oldest of them was asked (None when there are none).
    """

    questions: int = 0
    answered: int = 0
    up: int = 0
    down: int = 0
    per_day: list[tuple[str, str, int]] = field(default_factory=list)
    answered_by_day: list[tuple[str, int, int]] = field(default_factory=list)
    note_feedback: list[tuple[str, int, int]] = field(default_factory=list)
    answered_notes: set[str] = field(default_factory=set)
    unanswered: list[str] = field(default_factory=list)
    oldest_unanswered: str | None = None


def read_usage(store: Store, since: str = "") -> Usage:
    """Read the report's figures from the store.

    Args:
        store: The database.
        since: First day to include, as an ISO date ("" for everything stored).

    Returns:
        The figures.
    """
    db = store.db
    usage = Usage()
    totals = db.execute("select count(*), coalesce(sum(answered), 0) from questions where ts >= ?", [since]).fetchone()
    usage.questions, usage.answered = int(totals[0]), int(totals[1])
    votes = db.execute(
        "select coalesce(sum(rating > 0), 0), coalesce(sum(rating < 0), 0) from feedback where ts >= ?", [since]
    ).fetchone()
    usage.up, usage.down = int(votes[0]), int(votes[1])
    usage.per_day = [
        (day, platform, int(count))
        for day, platform, count in db.execute(
            "select substr(ts, 1, 10) as day, platform, count(*) from questions where ts >= ? "
            "group by day, platform order by day, platform",
            [since],
        ).fetchall()
    ]
    usage.answered_by_day = [
        (day, int(asked), int(answered))
        for day, asked, answered in db.execute(
            "select substr(ts, 1, 10) as day, count(*), coalesce(sum(answered), 0) from questions where ts >= ? "
            "group by day order by day",
            [since],
        ).fetchall()
    ]
    usage.note_feedback = [
        (note_id, int(up), int(down))
        for note_id, up, down in db.execute(
            "select note_id, coalesce(sum(rating > 0), 0), coalesce(sum(rating < 0), 0) from feedback "
            "where ts >= ? and note_id != '' group by note_id",
            [since],
        ).fetchall()
    ]
    usage.answered_notes = {
        row[0] for row in db.execute("select distinct note_id from questions where answered = 1 and ts >= ?", [since])
    }
    rows = db.execute("select question, ts from unanswered where ts >= ? order by ts", [since]).fetchall()
    usage.unanswered = [row[0] for row in rows]
    usage.oldest_unanswered = rows[0][1] if rows else None
    return usage
