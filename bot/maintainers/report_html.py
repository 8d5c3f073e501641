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
ul.examples { margin: 0; padding-left: 1.1rem; } code { background: #f3f3f3; padding: 0 0.2rem; }
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


def _days(rows: list[dict[str, Any]]) -> list[dt.date]:
    return sorted({dt.date.fromisoformat(r["day"]) for r in rows})


def chart_questions_per_day(data: ReportData) -> str:
    """Stacked bars: questions per day, one colour per platform."""
    if not data.per_day:
        return '<p class="empty">No questions in this period.</p>'
    days = _days(data.per_day)
    platforms = sorted({r["platform"] for r in data.per_day})
    counts = {(r["day"], r["platform"]): r["questions"] for r in data.per_day}
    fig = _figure()
    ax = fig.add_subplot()
    bottom = [0] * len(days)
    for n, platform in enumerate(platforms):
        values = [counts.get((d.isoformat(), platform), 0) for d in days]
        ax.bar(days, values, bottom=bottom, label=platform, color=PALETTE[n % len(PALETTE)], width=0.8)  # type: ignore[arg-type]
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_ylabel("questions")
    ax.set_title("Questions per day by platform")
    ax.legend(loc="upper left", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.autofmt_xdate()
    return _svg(fig)


def chart_answered_share(data: ReportData) -> str:
    """A line: the share of questions answered, per day."""
    if not data.answered_by_day:
        return '<p class="empty">No questions in this period.</p>'
    days = [dt.date.fromisoformat(r["day"]) for r in data.answered_by_day]
    shares = [100 * r["share"] for r in data.answered_by_day]
    fig = _figure(2.8)
    ax = fig.add_subplot()
    ax.plot(days, shares, marker="o", color=PALETTE[0])  # type: ignore[arg-type]
    ax.set_ylim(0, 105)
    ax.set_ylabel("% answered")
    ax.set_title("Answered share over time")
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    fig.autofmt_xdate()
    return _svg(fig)


def chart_feedback(data: ReportData) -> str:
    """Horizontal bars: thumbs up and down per note, worst first (words, not emoji: servers often lack emoji fonts)."""
    rows = data.feedback[:MAX_FEEDBACK_BARS]
    if not rows:
        return '<p class="empty">No feedback in this period.</p>'
    fig = _figure(0.8 + 0.35 * len(rows))
    ax = fig.add_subplot()
    labels = [f.note_id for f in rows][::-1]
    ax.barh(labels, [-f.down for f in rows][::-1], color=DOWN_COLOUR, label="thumbs down")
    ax.barh(labels, [f.up for f in rows][::-1], color=UP_COLOUR, label="thumbs up")
    ax.axvline(0, color="#444", linewidth=0.8)
    ax.set_title("Feedback per note (worst first; down to the left, up to the right)")
    ax.legend(loc="lower right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


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


def render_html(data: ReportData) -> str:
    """The whole report as one self-contained HTML page (no scripts, no external files).

    Args:
        data: The report.

    Returns:
        The HTML text.
    """
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none", "font.size": 10}):
        charts = [chart_questions_per_day(data), chart_answered_share(data), chart_feedback(data)]
    period = f"since {data.since}" if data.since else "all stored history"
    cards = "".join(
        f'<div class="card"><b>{_e(value)}</b>{_e(label)}</div>'
        for value, label in (
            (data.questions, "questions"),
            (f"{round(100 * data.answered_share)}%", "answered"),
            (f"{data.up} / {data.down}", "thumbs up / down"),
            (len(data.groups), "unanswered groups"),
            (len(data.past_review), "notes past review"),
        )
    )
    feedback = _table(
        ["Note", "Title", "Thumbs up", "Thumbs down"],
        [[f"<code>{_e(f.note_id)}</code>", _e(f.title), _e(f.up), _e(f.down)] for f in data.feedback],
        numeric={2, 3},
        empty="No feedback in this period.",
    )
    groups = _table(
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
        f"<p>{len(data.groups) - MAX_GROUPS_SHOWN} smaller groups are in the JSON output.</p>"
        if len(data.groups) > MAX_GROUPS_SHOWN
        else ""
    )
    never = _table(
        ["Note", "Title"],
        [[f"<code>{_e(n['id'])}</code>", _e(n["title"])] for n in data.never_hit],
        empty="Every note answered something.",
    )
    stale = _table(
        ["Note", "Title", "Review by", "Owner"],
        [
            [f"<code>{_e(n['id'])}</code>", _e(n["title"]), _e(n["review_by"]), _e(n["owner"] or "nobody")]
            for n in data.past_review
        ],
        empty="No note is past its review date.",
    )
    # Read by privacy deletions (bot.maintainers.report.purge_reports): which questions this page may quote.
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
<div class="cards">{cards}</div>
<h2>Questions</h2>
<div class="chart">{charts[0]}</div>
<div class="chart">{charts[1]}</div>
<h2>Unanswered questions, grouped by meaning</h2>
<p>Draft a note from a group with <code>outsourcebot kb draft NUMBER</code>.</p>
{groups}{more}
<h2>Feedback per note</h2>
<div class="chart">{charts[2]}</div>
{feedback}
<h2>Notes never hit</h2>
{never}
<h2>Notes past their review date</h2>
{stale}
</body>
</html>
"""
