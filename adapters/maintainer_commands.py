"""Maintainers' commands: `report`, `kb draft`, `kb export` and `kb import`.

Registered by `adapters.cli` through `COMMAND_MODULES`; nothing heavy is imported
until a command runs (the report's matplotlib only when the HTML is rendered).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

AddCommand = Callable[[Any, str, Callable[[argparse.Namespace], int]], argparse.ArgumentParser]


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write it like 2026-01-31") from None


def cmd_report(args: argparse.Namespace) -> int:
    """Write the HTML report of questions, feedback and unanswered groups, and print a summary.

    Example: outsourcebot report
             outsourcebot report --since 2026-01-01 --output report.html
             outsourcebot report --json
    """
    from bot.config import load_settings
    from bot.maintainers.report import DEFAULT_SIMILARITY, build_report, render_summary, save_report
    from bot.storage.store import Store

    settings = load_settings()
    store = Store(settings.db_path, settings.salt)
    _err("Loading the knowledge and grouping unanswered questions...")
    similarity = DEFAULT_SIMILARITY if args.similarity is None else args.similarity
    data = build_report(store, settings, args.since, similarity=similarity, say=_err)
    output = save_report(data, settings.data_dir, args.output)
    if args.json:
        print(json.dumps(dict(data.to_dict(), html=str(output)), ensure_ascii=False))
    else:
        print(render_summary(data))
        print(f"HTML report: {output}")
    return 0


def cmd_kb_draft(args: argparse.Namespace) -> int:
    """Write a note skeleton from group GROUP of the latest report (its body marked TODO).

    The draft goes to the knowledge folder's drafts/ folder, which the bot never
    serves and reloads ignore; `kb check` checks it and lists what is left to do.
    Move the finished note out of drafts/ to publish it.

    Example: outsourcebot report && outsourcebot kb draft 1
    """
    from bot.config import load_settings
    from bot.knowledge.notes import load_knowledge
    from bot.maintainers.drafts import write_draft
    from bot.maintainers.report import load_latest

    settings = load_settings()
    latest = load_latest(settings.data_dir)
    if latest is None:
        _err("no report yet: run `outsourcebot report` first, then pick a group number from it")
        return 1
    group = next((g for g in latest.groups if g.number == args.group), None)
    if group is None and not latest.groups:
        _err(
            f"the latest report ({latest.generated}) has no unanswered-question groups, so there is nothing to draft; "
            "run `outsourcebot report` again once users have asked questions the bot could not answer"
        )
        return 1
    if group is None:
        _err(
            f"the latest report ({latest.generated}) has no group {args.group}; it has groups 1 to {len(latest.groups)}"
        )
        return 1
    try:
        path = write_draft(
            group, load_knowledge(settings.knowledge_dir), settings.knowledge_dir, args.output, args.force
        )
    except FileExistsError as exc:
        _err(str(exc))
        return 1
    print(f"Draft written: {path}")
    _err(
        "Write the answer in place of every TODO and add sources, check it with `outsourcebot kb check`, "
        "then move it out of drafts/ to publish it (drafts are never served). Its questions and title are users' "
        "words as they asked them: reword them before publishing (/forget and retention do not reach drafts)."
    )
    return 0


def cmd_kb_export(args: argparse.Namespace) -> int:
    """Export every note as CSV (question, answer, title, ...) or JSON.

    Example: outsourcebot kb export --format csv --output faq.csv
    """
    from bot.config import load_settings
    from bot.knowledge.faq_io import export_notes

    text = export_notes(load_settings().knowledge_dir, args.format)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        _err(f"Exported to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_kb_import(args: argparse.Namespace) -> int:
    """Import notes from a CSV (question, answer, title columns) or JSON file; existing notes need --force.

    Example: outsourcebot kb import faq.csv
             outsourcebot kb import notes.json --force
    """
    from bot.config import load_settings
    from bot.knowledge.faq_io import ImportError_, import_notes

    folder = args.into or load_settings().knowledge_dir
    try:
        result = import_notes(args.file, folder, force=args.force)
    except ImportError_ as exc:
        _err(f"error: {exc}")
        return 1
    for path in result.written:
        print(f"written: {path}")
    for reason in result.skipped:
        _err(f"skipped {reason}")
    for reason in result.rejected:
        _err(f"rejected {reason}")
    for problem in result.problems:
        _err(problem)
    if result.drafted:
        _err(
            f"{len(result.drafted)} note(s) need finishing before they are served (the problems above), so they were "
            "written to drafts/; move each out of drafts/ once `kb check` is happy with it."
        )
    print(
        f"{len(result.written)} note(s) written ({len(result.drafted)} as drafts), {len(result.unchanged)} unchanged, "
        f"{len(result.skipped)} skipped, {len(result.rejected)} rejected, {len(result.problems)} problem(s)"
    )
    return 1 if result.skipped or result.rejected else 0


def _kb_subparsers(sub: Any) -> Any:
    """The `kb` command's subparsers, to add commands under `outsourcebot kb`."""
    kb = sub.choices["kb"]
    return next(a for a in kb._actions if isinstance(a, argparse._SubParsersAction))


def _share(text: str) -> float:
    """An argparse type: a number between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and 1")
    return value


def register(sub: Any, add: AddCommand) -> None:
    """Add the maintainers' commands to the CLI.

    Args:
        sub: The top-level subparsers.
        add: The CLI's helper that makes a command parser from a function and its docstring.
    """
    report = add(sub, "report", cmd_report)
    report.add_argument("--since", type=_date, help="first day to include, like 2026-01-31 (default: all stored)")
    report.add_argument("--json", action="store_true", help="print the report data as JSON instead of the summary")
    report.add_argument("--output", type=Path, help="HTML file to write (default: <data dir>/reports/report-DATE.html)")
    report.add_argument(
        "--similarity", type=_share, help="how alike questions must be to share a group (0-1, default 0.45)"
    )
    kb_sub = _kb_subparsers(sub)
    draft = add(kb_sub, "draft", cmd_kb_draft)
    draft.add_argument("group", type=int, metavar="GROUP", help="group number from the latest report")
    draft.add_argument("--output", type=Path, help="file to write instead of <knowledge>/drafts/<id>.md")
    draft.add_argument("--force", action="store_true", help="replace an existing file")
    export = add(kb_sub, "export", cmd_kb_export)
    export.add_argument("--format", choices=("csv", "json"), default="csv", help="csv (default) or json")
    export.add_argument("--output", type=Path, help="file to write (default: standard output)")
    imp = add(kb_sub, "import", cmd_kb_import)
    imp.add_argument("file", type=Path, metavar="FILE", help="a .csv or .json file")
    imp.add_argument("--force", action="store_true", help="replace notes that already exist")
    imp.add_argument("--into", type=Path, help="knowledge folder to write to (default: the configured one)")
