"""The maintainers' report: what users asked, what the bot answered, and which notes to write or fix.

`build_report` reads the store (never its user or chat hashes) and groups the
unanswered questions by embedding similarity; `bot.maintainers.report_html` renders the
result as one self-contained HTML file.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.config import Settings
from bot.knowledge.notes import KnowledgeBase, load_knowledge, stale_notes
from bot.search.embedder import Embedder, make_embedder
from bot.search.index import LoadedIndex, ensure_index
from bot.storage.saved_reports import LATEST, reports_dir, write_private
from bot.storage.store import Store
from bot.storage.usage import read_usage

log = logging.getLogger(__name__)

DEFAULT_SIMILARITY = 0.45  # mean cosine; with MiniLM, paraphrases sit above it and neighbouring topics below
MAX_DISTINCT_QUESTIONS = 1500
QUESTIONS_PER_GROUP = 25
EXAMPLES = 5
EMBED_BATCH = 64


@dataclass
class NoteFeedback:
    """👍 and 👎 counts of one note."""

    note_id: str
    title: str
    up: int
    down: int


@dataclass
class UnansweredGroup:
    """Unanswered questions that mean much the same thing.

    Attributes:
        number: 1-based position in the report (biggest group first); `kb draft` takes it.
        size: How many times questions of the group were asked.
        questions: Distinct questions, most asked first (at most `QUESTIONS_PER_GROUP`).
        nearest_note: Id of the existing note closest to the group ("" when none).
        nearest_title: That note's title.
        similarity: Cosine similarity between the group's centre and that note.
    """

    number: int
    size: int
    questions: list[str]
    nearest_note: str = ""
    nearest_title: str = ""
    similarity: float = 0.0

    @property
    def examples(self) -> list[str]:
        """The few questions shown for the group."""
        return self.questions[:EXAMPLES]


@dataclass
class ReportData:
    """Everything the report shows; contains no user or chat ids, hashed or not."""

    generated: str
    since: str | None
    questions: int = 0
    answered: int = 0
    up: int = 0
    down: int = 0
    per_day: list[dict[str, Any]] = field(default_factory=list)
    answered_by_day: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[NoteFeedback] = field(default_factory=list)
    never_hit: list[dict[str, str]] = field(default_factory=list)
    past_review: list[dict[str, str]] = field(default_factory=list)
    groups: list[UnansweredGroup] = field(default_factory=list)
    oldest_question: str | None = None
    """When the oldest unanswered question the report quotes was asked (None: it quotes none)."""

    @property
    def answered_share(self) -> float:
        """Answered questions as a share of all (0 when none)."""
        return self.answered / self.questions if self.questions else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        data = asdict(self)
        data["answered_share"] = round(self.answered_share, 4)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReportData:
        """Rebuild a report saved with `to_dict`."""
        values = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        values["feedback"] = [NoteFeedback(**f) for f in data.get("feedback", [])]
        values["groups"] = [UnansweredGroup(**g) for g in data.get("groups", [])]
        return cls(**values)


# ----- clustering ---------------------------------------------------------------------------------


def cluster_vectors(vectors: np.ndarray, threshold: float = DEFAULT_SIMILARITY) -> list[list[int]]:
    """Group unit vectors by average-linkage agglomerative clustering on cosine similarity.

    Two groups merge while the mean similarity between their members is at least
    `threshold`, so every group stays coherent as a whole, not merely chained.

    Args:
        vectors: (n, dim) unit-length rows.
        threshold: Lowest mean cosine similarity at which groups merge.

    Returns:
        Groups of row numbers, biggest first (ties by first row).
    """
    n = len(vectors)
    if n == 0:
        return []
    sim = np.asarray(vectors, dtype=np.float64) @ np.asarray(vectors, dtype=np.float64).T
    np.fill_diagonal(sim, -np.inf)
    sizes = np.ones(n)
    members: list[list[int]] = [[i] for i in range(n)]
    while n > 1:
        i, j = divmod(int(np.argmax(sim)), n)
        if sim[i, j] < threshold:
            break
        # Lance-Williams update for average linkage: the merged group's similarity to k
        # is the size-weighted mean of its parts' similarities to k.
        merged = (sizes[i] * sim[i] + sizes[j] * sim[j]) / (sizes[i] + sizes[j])
        sim[i, :] = merged
        sim[:, i] = merged
        sim[j, :] = -np.inf
        sim[:, j] = -np.inf
        sim[i, i] = -np.inf
        sizes[i] += sizes[j]
        members[i].extend(members[j])
        members[j] = []
    groups = [sorted(m) for m in members if m]
    return sorted(groups, key=lambda g: (-len(g), g[0]))


def _normalise(question: str) -> str:
    return re.sub(r"\s+", " ", question.strip().lower()).rstrip("?!. ")


def group_unanswered(
    embedder: Embedder,
    kb: KnowledgeBase,
    index: LoadedIndex,
    questions: list[str],
    similarity: float = DEFAULT_SIMILARITY,
) -> list[UnansweredGroup]:
    """Group unanswered questions by meaning and find each group's nearest existing note.

    Args:
        embedder: The encoder the questions are embedded with.
        kb: The knowledge (for the nearest notes' titles).
        index: The index the nearest notes are searched in.
        questions: Every unanswered question (repeats count towards group size).
        similarity: Clustering threshold (see `cluster_vectors`).

    Returns:
        The groups, biggest first, numbered from 1.
    """
    counts: dict[str, int] = {}
    shown: dict[str, str] = {}
    for question in questions:
        key = _normalise(question)
        if key:
            counts[key] = counts.get(key, 0) + 1
            shown.setdefault(key, question.strip())
    keys = sorted(counts, key=lambda k: (-counts[k], k))
    if len(keys) > MAX_DISTINCT_QUESTIONS:
        log.warning("grouping the %d most asked of %d distinct unanswered questions", MAX_DISTINCT_QUESTIONS, len(keys))
        keys = keys[:MAX_DISTINCT_QUESTIONS]
    if not keys:
        return []
    texts = [shown[k] for k in keys]
    vectors = np.concatenate([embedder.embed(texts[s : s + EMBED_BATCH]) for s in range(0, len(texts), EMBED_BATCH)])
    groups: list[UnansweredGroup] = []
    for rows in cluster_vectors(vectors, similarity):
        rows = sorted(rows, key=lambda r: (-counts[keys[r]], keys[r]))
        centre = vectors[rows].mean(axis=0)
        norm = float(np.linalg.norm(centre))
        centre = centre / norm if norm else centre
        hits = index.semantic(centre[None, :].astype(np.float32), k=5)[0]
        nearest, score = next(((nid, s) for nid, s in hits if nid in kb.notes), ("", 0.0))
        groups.append(
            UnansweredGroup(
                number=0,
                size=sum(counts[keys[r]] for r in rows),
                questions=[texts[r] for r in rows[:QUESTIONS_PER_GROUP]],
                nearest_note=nearest,
                nearest_title=kb.notes[nearest].title if nearest else "",
                similarity=round(float(score), 4),
            )
        )
    groups.sort(key=lambda g: (-g.size, g.questions[0].lower()))
    for number, group in enumerate(groups, 1):
        group.number = number
    return groups


# ----- building -----------------------------------------------------------------------------------


def build_report(
    store: Store,
    settings: Settings,
    since: dt.date | None = None,
    *,
    today: dt.date | None = None,
    similarity: float = DEFAULT_SIMILARITY,
    embedder: Embedder | None = None,
    say: Callable[[str], None] = lambda line: log.info("%s", line),
) -> ReportData:
    """Gather the report's figures from the store and the knowledge in the settings' folder.

    Only aggregate figures and question texts are read; user and chat hashes never
    leave the database.

    Args:
        store: The database.
        settings: Where the knowledge and its index are (the index is built if missing or stale).
        since: First day to include (default: everything stored).
        today: The date notes' `review_by` is compared with (default today).
        similarity: Clustering threshold for unanswered questions.
        embedder: The encoder to use (default: the configured one).
        say: Where progress lines go (an index build, when one is needed).

    Returns:
        The report data.
    """
    kb = load_knowledge(settings.knowledge_dir).servable()
    embedder = embedder or make_embedder(settings.encoder, settings.model_cache_dir)
    index = ensure_index(kb, settings, embedder, say)
    start = since.isoformat() if since else ""
    usage = read_usage(store, start)
    data = ReportData(generated=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), since=start or None)
    data.questions, data.answered, data.up, data.down = usage.questions, usage.answered, usage.up, usage.down
    data.per_day = [{"day": day, "platform": platform, "questions": count} for day, platform, count in usage.per_day]
    data.answered_by_day = [
        {
            "day": day,
            "questions": asked,
            "answered": answered,
            "share": round(answered / asked, 4) if asked else 0.0,
        }
        for day, asked, answered in usage.answered_by_day
    ]
    feedback = [
        NoteFeedback(
            note_id, kb.notes[note_id].title if note_id in kb.notes else "(no longer in the knowledge)", up, down
        )
        for note_id, up, down in usage.note_feedback
    ]
    data.feedback = sorted(feedback, key=lambda f: (f.up - f.down, -f.down, f.note_id))
    data.never_hit = [
        {"id": n.id, "title": n.title}
        for n in sorted(kb.notes.values(), key=lambda n: n.id)
        if n.id not in usage.answered_notes
    ]
    data.past_review = [
        {"id": n.id, "title": n.title, "review_by": n.review_by, "owner": n.owner}
        for n in sorted(stale_notes(kb, today), key=lambda n: (n.review_by, n.id))
    ]
    data.groups = group_unanswered(embedder, kb, index, usage.unanswered, similarity)
    data.oldest_question = usage.oldest_unanswered
    return data


# ----- output ---------------------------------------------------------------------------------------


def _showing(top: int, total: int) -> str:
    """ ", showing 5 of 7" when a list is cut, else nothing."""
    return f", showing {top} of {total}" if total > top else ""


def render_summary(data: ReportData, top: int = 5) -> str:
    """A short plain-text summary of the report, for the terminal.

    Args:
        data: The report.
        top: How many notes and groups to list.

    Returns:
        A few lines of text.
    """
    period = f"since {data.since}" if data.since else "all stored history"
    platforms: dict[str, int] = {}
    for row in data.per_day:
        platforms[row["platform"]] = platforms.get(row["platform"], 0) + row["questions"]
    by_platform = ", ".join(f"{p} {n}" for p, n in sorted(platforms.items(), key=lambda kv: -kv[1])) or "none"
    if not data.questions:
        head = f"Report ({period}): no questions in this period"
    else:
        head = f"Report ({period}): {data.questions} questions, {round(100 * data.answered_share)}% answered"
    lines = [f"{head}; feedback 👍 {data.up} / 👎 {data.down}", f"By platform: {by_platform}"]
    worst = [f for f in data.feedback if f.down]
    if worst:
        lines.append(
            f"Worst-rated notes{_showing(top, len(worst))}: "
            + "; ".join(f"{f.note_id} (👍 {f.up} / 👎 {f.down})" for f in worst[:top])
        )
    for label, notes in (("Notes never hit", data.never_hit), ("Notes past review", data.past_review)):
        listed = f" ({', '.join(n['id'] for n in notes[:top])})" if notes else ""
        lines.append(f"{label}: {len(notes)}{_showing(top, len(notes)) if notes else ''}{listed}")
    lines.append(f"Unanswered question groups: {len(data.groups)}{_showing(top, len(data.groups))}")
    for group in data.groups[:top]:
        nearest = (
            f"nearest note: {group.nearest_note} ({group.similarity:.2f})" if group.nearest_note else "no near note"
        )
        lines.append(f"  {group.number:>3}. ×{group.size} “{group.questions[0]}” — {nearest}")
    if data.groups:
        lines.append("Draft a note from a group with: outsourcebot kb draft NUMBER")
    return "\n".join(lines)


def save_latest(data: ReportData, data_dir: Path) -> Path:
    """Keep the report's data as the latest report, for `kb draft`.

    Returns:
        The JSON file written.
    """
    folder = reports_dir(data_dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / LATEST
    tmp = path.with_suffix(".tmp")
    write_private(tmp, json.dumps(data.to_dict(), ensure_ascii=False, indent=1))
    tmp.replace(path)
    return path


def save_report(data: ReportData, data_dir: Path, output: Path | None = None) -> Path:
    """Save the report's data as the latest report and write its HTML page.

    Args:
        data: The report.
        data_dir: The data folder (the page goes to `<data>/reports/report-DATE.html` by default).
        output: Another HTML file to write instead.

    Returns:
        The HTML file written.
    """
    from bot.maintainers.report_html import render_html

    save_latest(data, data_dir)
    output = output or reports_dir(data_dir) / f"report-{dt.date.today().isoformat()}.html"
    output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_private(output, render_html(data))
    return output


def load_latest(data_dir: Path) -> ReportData | None:
    """The latest saved report, or None when no report was made yet."""
    path = reports_dir(data_dir) / LATEST
    try:
        return ReportData.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
