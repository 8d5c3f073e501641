"""Rendering the maintainers' report as one self-contained HTML file with inline SVG charts.

matplotlib is imported here only, and only when a report is rendered.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import logging
from typing import TYPE_CHECKING, Any

from bot.maintainers.report import ReportData

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)

UP_COLOUR = "#2e7d32"
DOWN_COLOUR = "#c62828"
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
MAX_GROUPS_SHOWN = 30
MAX_FEEDBACK_BARS = 15
MAX_NEVER_HIT_SHOWN = 10  # rows shown before "show all"
MAX_DAY_LABELS = 16
MIN_DAY_SLOTS = 7
NO_QUESTIONS = "No questions in this period."
NO_FEEDBACK = "No feedback in this period."

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 2rem auto; max-width: 1100px;
       color: #222; padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } .meta { color: #666; margin-top: 0; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1rem 0 2rem; }
.card { border: 1px solid #ddd; border-radius: 8px; padding: 0.8rem 1.2rem; min-width: 9rem; }
.card b { display: block; font-size: 1.6rem; }
table { border-collapse: collapse; width: 100%; margin-bottom: 2rem; font-size: 0.95rem; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f6f6f6; } td.num { text-align: right; white-space: nowrap; }
.chart svg { max-width: 100%; height: auto; } .empty { color: #888; font-style: italic; }
ul.examples { margin: 0; padding-left: 1.1rem; } details summary { cursor: pointer; color: #444; } code { background: #f3f3f3; padding: 0 0.2rem; }
"""


def _svg(fig: Figure) -> str:
    """The figure as an inline <svg> element (without the XML prologue)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _figure(height: float = 3.2) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, height))
    return fig


def day_range(data: ReportData) -> list[dt.date]:
    """Every day the charts show: from the period's start (or the first day with questions) to the last, gaps included."""
    days = sorted(
        {dt.date.fromisoformat(r["day"]) for r in data.per_day}
        | {dt.date.fromisoformat(r["day"]) for r in data.answered_by_day}
    )
    if not days:
        return []
    first = min(days[0], dt.date.fromisoformat(data.since)) if data.since else days[0]
    return [first + dt.timedelta(days=n) for n in range((days[-1] - first).days + 1)]


def _day_axis(ax: Any, days: list[dt.date]) -> None:
    """One slot per day, labelled with its date (never hours); at least a week wide, so one day is not a full-width bar."""
    step = max(1, -(-len(days) // MAX_DAY_LABELS))
    ax.set_xticks(range(0, len(days), step), [d.strftime("%a %d %b") for d in days[::step]])
    ax.set_xlim(-0.6, max(len(days), MIN_DAY_SLOTS) - 0.4)
    if len(days) > 7:
        ax.tick_params(axis="x", labelrotation=45)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")


def _outside_legend(ax: Any) -> None:
    """The legend right of the plot area, where it cannot cover a bar."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, borderaxespad=0.0)


def figure_questions_per_day(data: ReportData) -> Figure | None:
    """Stacked bars: questions per day, one colour per platform (None when there were no questions)."""
    from matplotlib.ticker import MaxNLocator

    if not data.per_day:
        return None
    days = day_range(data)
    platforms = sorted({r["platform"] for r in data.per_day})
    counts = {(r["day"], r["platform"]): r["questions"] for r in data.per_day}
    fig = _figure()
    ax = fig.add_subplot()
    bottom = [0] * len(days)
    for n, platform in enumerate(platforms):
        values = [counts.get((d.isoformat(), platform), 0) for d in days]
        ax.bar(range(len(days)), values, bottom=bottom, label=platform, color=PALETTE[n % len(PALETTE)], width=0.7)
        bottom = [b + v for b, v in zip(bottom, values)]
    _day_axis(ax, days)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("questions")
    ax.set_title("Questions per day by platform")
    _outside_legend(ax)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def figure_answered_share(data: ReportData) -> Figure | None:
    """Bars: the share of questions answered, per day, on the same day axis (None when there were no questions)."""
    if not data.answered_by_day:
        return None
    days = day_range(data)
    shares = {r["day"]: 100 * r["share"] for r in data.answered_by_day}
    slots = [n for n, d in enumerate(days) if d.isoformat() in shares]
    values = [shares[days[n].isoformat()] for n in slots]
    fig = _figure(2.8)
    ax = fig.add_subplot()
    bars = ax.bar(slots, values, color=PALETTE[0], width=0.7)
    if len(days) <= MAX_DAY_LABELS:
        ax.bar_label(bars, labels=[f"{round(v)}%" for v in values], padding=2, fontsize=8)
    _day_axis(ax, days)
    ax.set_ylim(0, 110)
    ax.set_yticks([0, 25, 50, 75, 100])
    ax.set_ylabel("% answered")
    ax.set_title("Answered share per day")
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def figure_feedback(data: ReportData) -> Figure | None:
    """Horizontal bars: thumbs up and down per note, worst first (None without feedback).

    Words, not emoji, in the labels: servers often lack emoji fonts.
    """
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    rows = data.feedback[:MAX_FEEDBACK_BARS]
    if not rows:
        return None
    fig = _figure(0.8 + 0.35 * len(rows))
    ax = fig.add_subplot()
    labels = [f.note_id for f in rows][::-1]
    ax.barh(labels, [-f.down for f in rows][::-1], color=DOWN_COLOUR, label="thumbs down")
    ax.barh(labels, [f.up for f in rows][::-1], color=UP_COLOUR, label="thumbs up")
    ax.axvline(0, color="#444", linewidth=0.8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{abs(round(value))}"))
    ax.set_xlabel("ratings (down to the left, up to the right)")
    ax.set_title("Feedback per note, worst first")
    _outside_legend(ax)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _chart(fig: Figure | None) -> str:
    return "" if fig is None else f'<div class="chart">{_svg(fig)}</div>'


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] | None = None, empty: str = "None.") -> str:
    if not rows:
        return f'<p class="empty">{_e(empty)}</p>'
    numeric = numeric or set()
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{cell}</td>' if n in numeric else f"<td>{cell}</td>" for n, cell in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cards(data: ReportData) -> str:
    answered = f"{round(100 * data.answered_share)}%" if data.questions else "–"
    return "".join(
        f'<div class="card"><b>{_e(value)}</b>{_e(label)}</div>'
        for value, label in (
            (data.questions, "questions"),
            (answered, "answered"),
            (f"{data.up} / {data.down}", "thumbs up / down"),
            (len(data.groups), "unanswered groups"),
            (len(data.past_review), "notes past review"),
        )
    )


def _groups(data: ReportData) -> str:
    if not data.questions:
        return f'<p class="empty">{NO_QUESTIONS}</p>'
    table = _table(
        ["#", "Asked", "Example questions", "Nearest note"],
        [
            [
                _e(g.number),
                _e(g.size),
                '<ul class="examples">'
                + "".join(f"<li>{_e(q)}</li>" for q in g.examples)
                + "</ul>"
                + (
                    f"<small>and {len(g.questions) - len(g.examples)} more</small>"
                    if len(g.questions) > len(g.examples)
                    else ""
                ),
                f"<code>{_e(g.nearest_note)}</code> {_e(g.nearest_title)} ({g.similarity:.2f})"
                if g.nearest_note
                else "none",
            ]
            for g in data.groups[:MAX_GROUPS_SHOWN]
        ],
        numeric={0, 1},
        empty="Every question was answered.",
    )
    more = (
        f"<p>Showing {MAX_GROUPS_SHOWN} of {len(data.groups)} groups; the rest are in the JSON output.</p>"
        if len(data.groups) > MAX_GROUPS_SHOWN
        else ""
    )
    draft = "<p>Draft a note from a group with <code>outsourcebot kb draft NUMBER</code>.</p>" if data.groups else ""
    return draft + table + more


def _never_hit(data: ReportData) -> str:
    """The notes no answer used; a long list is collapsed behind its count."""
    rows = [[f"<code>{_e(n['id'])}</code>", _e(n["title"])] for n in data.never_hit]
    if not rows:
        return '<p class="empty">Every note answered something.</p>'
    if len(rows) <= MAX_NEVER_HIT_SHOWN:
        return _table(["Note", "Title"], rows)
    return (
        f'<details class="never-hit"><summary>{len(rows)} notes answered nothing in this period (show them)</summary>'
        f"{_table(['Note', 'Title'], rows)}</details>"
    )


def render_html(data: ReportData) -> str:
    """The whole report as one self-contained HTML page (no scripts, no external files).

    Args:
        data: The report.

    Returns:
        The HTML text.
    """
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none", "font.size": 10}):
        questions = _chart(figure_questions_per_day(data)) + _chart(figure_answered_share(data))
        feedback_chart = _chart(figure_feedback(data))
    questions = questions or f'<p class="empty">{NO_QUESTIONS}</p>'
    period = f"since {data.since}" if data.since else "all stored history"
    feedback = _table(
        ["Note", "Title", "Thumbs up", "Thumbs down"],
        [[f"<code>{_e(f.note_id)}</code>", _e(f.title), _e(f.up), _e(f.down)] for f in data.feedback],
        numeric={2, 3},
        empty=NO_FEEDBACK,
    )
    stale = _table(
        ["Note", "Title", "Review by", "Owner"],
        [
            [f"<code>{_e(n['id'])}</code>", _e(n["title"]), _e(n["review_by"]), _e(n["owner"] or "nobody")]
            for n in data.past_review
        ],
        empty="No note is past its review date.",
    )
    # Read by privacy deletions (bot.storage.saved_reports.purge_reports): which questions this page may quote.
    dates = (
        f'<meta name="outsourcebot-oldest-question" content="{_e(data.oldest_question or "")}">\n'
        f'<meta name="outsourcebot-generated" content="{_e(data.generated)}">\n'
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{dates}<title>outsourcebot report ({_e(period)})</title>
<style>{CSS}</style>
</head>
<body>
<h1>outsourcebot report</h1>
<p class="meta">{_e(period)} · generated {_e(data.generated)}</p>
<div class="cards">{_cards(data)}</div>
<h2>Questions</h2>
{questions}
<h2>Unanswered questions, grouped by meaning</h2>
{_groups(data)}
<h2>Feedback per note</h2>
{feedback_chart}
{feedback}
<h2>Notes never hit</h2>
{_never_hit(data)}
<h2>Notes past their review date</h2>
{stale}
</body>
</html>
"""
