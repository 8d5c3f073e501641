"""The report is right for one day, a week and an empty period: axes, ticks, legends, empty states, long lists."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.conversation.core import Core
from bot.maintainers.report import ReportData, UnansweredGroup, build_report, render_summary
from bot.maintainers.report_html import (
    NO_FEEDBACK,
    NO_QUESTIONS,
    day_range,
    figure_answered_share,
    figure_feedback,
    figure_questions_per_day,
    render_html,
)
from tests.bot.maintainers.seeding import seed_store

# 20:00 UTC, so a day of seeded traffic (at most 12 hours back) stays on one date.
NOW = dt.datetime(2026, 11, 30, 20, 0, tzinfo=dt.UTC)


def _report(core: Core, days: int) -> ReportData:
    seed_store(core.store, ["pricing", "contracts", "chasm"], days=days, now=NOW)
    return build_report(core.store, core.settings, embedder=core.embedder)


def _tick_labels(fig: Figure, axis: str) -> list[str]:
    FigureCanvasAgg(fig).draw()  # type: ignore[no-untyped-call]
    ax = fig.axes[0]
    labels = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [label.get_text() for label in labels if label.get_text()]


def _legend_clear_of_plot(fig: Figure) -> bool:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # type: ignore[no-untyped-call]
    renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]
    ax = fig.axes[0]
    legend = ax.get_legend()
    assert legend is not None
    return not legend.get_window_extent(renderer).overlaps(ax.get_window_extent(renderer))


def _whole(labels: list[str]) -> bool:
    return all(re.fullmatch(r"\d+", label.replace("\N{MINUS SIGN}", "-")) for label in labels)


def test_one_day_has_one_dated_slot_not_hourly_ticks_or_a_multi_year_axis(core: Core) -> None:
    data = _report(core, days=1)
    assert day_range(data) == [dt.date(2026, 11, 30)]
    per_day = figure_questions_per_day(data)
    share = figure_answered_share(data)
    assert per_day is not None and share is not None
    assert _tick_labels(per_day, "x") == ["Mon 30 Nov"]
    assert _tick_labels(share, "x") == ["Mon 30 Nov"]
    # The single day is one slot of a week-wide axis, not a full-width bar.
    left, right = per_day.axes[0].get_xlim()
    assert right - left >= 7
    assert _whole(_tick_labels(per_day, "y"))
    page = render_html(data)
    assert not re.search(r">\s*\d{1,2}:\d{2}\s*<", page), "no hourly ticks"
    assert not re.search(r">\s*20(2[0-9])\s*<", page), "no bare-year ticks"


def test_a_week_shows_seven_days_whole_number_ticks_and_legends_beside_the_bars(core: Core) -> None:
    data = _report(core, days=7)
    days = day_range(data)
    assert days == [dt.date(2026, 11, 24) + dt.timedelta(days=n) for n in range(7)]
    per_day = figure_questions_per_day(data)
    feedback = figure_feedback(data)
    assert per_day is not None and feedback is not None
    assert len(_tick_labels(per_day, "x")) == 7
    assert _whole(_tick_labels(per_day, "y"))
    feedback_ticks = _tick_labels(feedback, "x")
    assert feedback_ticks and _whole(feedback_ticks), feedback_ticks
    assert all(not label.startswith(("-", "\N{MINUS SIGN}")) for label in feedback_ticks), "counts are not negative"
    assert _legend_clear_of_plot(per_day)
    assert _legend_clear_of_plot(feedback)
    page = render_html(data)
    assert page.count("<svg") == 3
    assert "Every question was answered." not in page


def test_gaps_between_days_are_kept_and_since_starts_the_axis() -> None:
    data = ReportData(
        generated="2026-12-01T00:00:00+00:00",
        since="2026-11-20",
        questions=3,
        answered=2,
        per_day=[
            {"day": "2026-11-22", "platform": "telegram", "questions": 1},
            {"day": "2026-11-25", "platform": "discord", "questions": 2},
        ],
        answered_by_day=[
            {"day": "2026-11-22", "questions": 1, "answered": 1, "share": 1.0},
            {"day": "2026-11-25", "questions": 2, "answered": 1, "share": 0.5},
        ],
    )
    assert day_range(data) == [dt.date(2026, 11, 20) + dt.timedelta(days=n) for n in range(6)]


def test_an_empty_period_says_there_were_no_questions(core: Core) -> None:
    data = build_report(core.store, core.settings, embedder=core.embedder, since=dt.date(2026, 11, 1))
    assert data.questions == 0
    page = render_html(data)
    assert "<svg" not in page
    assert "Every question was answered." not in page
    assert 'class="card"><b>0%</b>' not in page, "no 0% answered card for zero questions"
    assert page.count(NO_FEEDBACK) == 1
    assert page.count(NO_QUESTIONS) == 2  # once for the charts, once for the unanswered groups
    assert "kb draft NUMBER" not in page
    summary = render_summary(data)
    assert "no questions in this period" in summary and "0%" not in summary


def test_feedback_empty_message_appears_once_when_there_are_questions_but_no_ratings() -> None:
    data = ReportData(
        generated="2026-12-01T00:00:00+00:00",
        since=None,
        questions=1,
        answered=1,
        per_day=[{"day": "2026-11-30", "platform": "telegram", "questions": 1}],
        answered_by_day=[{"day": "2026-11-30", "questions": 1, "answered": 1, "share": 1.0}],
    )
    page = render_html(data)
    assert page.count(NO_FEEDBACK) == 1
    assert page.count("<svg") == 2
    assert "Every question was answered." in page


def _many(n: int) -> list[dict[str, Any]]:
    return [{"id": f"note-{k:02d}", "title": f"Note {k}"} for k in range(n)]


@pytest.mark.parametrize(("count", "collapsed"), [(3, False), (33, True)])
def test_a_long_never_hit_list_is_collapsed_behind_its_count(count: int, collapsed: bool) -> None:
    data = ReportData(generated="2026-12-01T00:00:00+00:00", since=None, never_hit=_many(count))
    page = render_html(data)
    section = page[page.index("<h2>Notes never hit</h2>") : page.index("<h2>Notes past their review date</h2>")]
    assert section.count("<tr>") == count + 1  # every note is there, for whoever opens the list
    assert ("<details" in section) is collapsed
    if collapsed:
        assert f"<summary>{count} notes answered nothing" in section
        assert "<details open" not in section


def test_the_text_summary_says_how_many_of_how_many_it_lists() -> None:
    groups = [UnansweredGroup(number=n, size=10 - n, questions=[f"question {n}"]) for n in range(1, 8)]
    data = ReportData(
        generated="2026-12-01T00:00:00+00:00",
        since=None,
        questions=20,
        answered=13,
        groups=groups,
        never_hit=_many(7),
    )
    summary = render_summary(data)
    assert "Unanswered question groups: 7, showing 5 of 7" in summary
    assert "Notes never hit: 7, showing 5 of 7" in summary
    assert sum(1 for line in summary.splitlines() if line.startswith("    ") or re.match(r"\s+\d+\. ", line)) == 5
    short = render_summary(ReportData(generated="x", since=None, questions=2, answered=1, groups=groups[:2]))
    assert "Unanswered question groups: 2\n" in short + "\n" and "showing" not in short
