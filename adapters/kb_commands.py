"""The knowledge base's commands: `outsourcebot kb check`, `kb build` and `kb stats`.

Registered by `adapters.cli`, which registers this `kb` group before the feature modules
add theirs to it (`kb draft`, `kb export`, `kb import`); nothing heavy is imported until
a command runs (the encoder only for `kb build` and `kb check --reach`).
"""

from __future__ import annotations

import argparse
import json
import logging
from typing import TYPE_CHECKING, Any

from adapters.cli_support import AddCommand, current_settings, err, progress

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.knowledge.notes import KnowledgeBase

log = logging.getLogger(__name__)


def cmd_kb_check(args: argparse.Namespace) -> int:
    """Validate every knowledge note; print problems as path:line: message.

    Drafts (notes under a `drafts/` folder) are checked too and their problems
    listed as "draft, not served"; they never reach users, so they do not fail
    the check. Passages too long for a focused reply and openings that are not
    a direct answer fail the check but do not keep a note out of service. With
    --reach the encoder is loaded (a few seconds, more when the index must be
    built) and every section is asked its own questions and its heading; a
    section that never leads a reply is reported. With --json only one JSON
    object is printed (problems inside it).

    Example: outsourcebot kb check
             outsourcebot kb check --reach
             outsourcebot kb check --stale
             outsourcebot kb check --json
    """
    from bot.knowledge.abbreviations import check_abbreviations
    from bot.knowledge.not_covered import check_not_covered
    from bot.knowledge.notes import load_drafts, load_knowledge, stale_notes
    from bot.knowledge.passages import passage_problems
    from bot.search.not_covered import covered_warnings

    settings = current_settings()
    kb = load_knowledge(settings.knowledge_dir)
    list_problems = [
        p for p in (check_abbreviations(settings.knowledge_dir), check_not_covered(settings.knowledge_dir)) if p
    ]
    warnings = covered_warnings(settings.knowledge_dir, kb)
    drafts = load_drafts(settings.knowledge_dir, kb)
    stale = stale_notes(kb) if args.stale else []
    focus = [str(p) for p in passage_problems(kb)]
    if args.reach:
        focus += _unreachable(kb, settings)
    problems = [str(p) for p in kb.problems] + list_problems + focus
    lines = problems + [f"{n.path}:1: past its review date {n.review_by} (owner: {n.owner or 'nobody'})" for n in stale]
    draft_lines = [f"{p.path}:{p.line}: draft, not served: {p.message}" for p in drafts.problems]
    failed = bool(problems or stale)
    summary = f"{len(problems)} problem(s), {len(stale)} stale note(s) in {len(kb.notes)} notes"
    if drafts.notes or drafts.problems:
        summary += f"; {len(drafts.problems)} problem(s) in drafts (not served)"
    if args.json:
        print(
            json.dumps(
                {
                    "notes": len(kb.notes),
                    "problems": problems,
                    "stale": [n.id for n in stale],
                    "drafts": len(drafts.notes),
                    "draft_problems": [str(p) for p in drafts.problems],
                    "warnings": warnings,
                    "ok": not failed,
                }
            )
        )
        if failed:
            err(summary)
        return 1 if failed else 0
    for line in lines + warnings + draft_lines:
        print(line)
    if failed:
        err(summary)
        return 1
    print(
        f"{len(kb.notes)} notes OK"
        + (" (every section reachable)" if args.reach else "")
        + (f"; drafts (not served): {len(drafts.problems)} problem(s)" if draft_lines else "")
    )
    return 0


def _unreachable(kb: KnowledgeBase, settings: Settings) -> list[str]:
    """The `--reach` problems of the servable notes, building the index first when it is out of date."""
    from bot.maintainers.reach import section_reach, unreachable_sections
    from bot.search.embedder import make_embedder
    from bot.search.index import ensure_index

    servable = kb.servable()
    err(f"Loading the {settings.encoder} encoder...")
    embedder = make_embedder(settings.encoder, settings.model_cache_dir)
    index = ensure_index(servable, settings, embedder, err)
    try:
        reach = section_reach(servable, index, embedder)
    finally:
        index.close()
    err(f"{sum(r.reached for r in reach)} of {len(reach)} sections reachable")
    return [str(p) for p in unreachable_sections(reach)]


def cmd_kb_build(args: argparse.Namespace) -> int:
    """Embed the notes and build the search index (only changed texts are embedded).

    Example: outsourcebot kb build
    """
    from bot.knowledge.notes import load_knowledge
    from bot.search.embedder import make_embedder
    from bot.search.index_build import build_index

    settings = current_settings()
    kb = load_knowledge(settings.knowledge_dir)
    for problem in kb.problems:
        err(str(problem))
    if kb.problems and not args.force:
        err("not building: fix the problems above (or pass --force to index the valid notes)")
        return 1
    err(f"Loading the {settings.encoder} encoder...")
    report = build_index(
        kb.servable(),
        settings.index_dir,
        make_embedder(settings.encoder, settings.model_cache_dir),
        progress("embedding"),
    )
    print(f"Built: {report.summary()}")
    for label, ids in (("added", report.added), ("edited", report.edited), ("removed", report.removed)):
        if ids:
            print(f"  {label}: {', '.join(ids)}")
    return 0


def cmd_kb_stats(args: argparse.Namespace) -> int:
    """Show counts about the knowledge base and the index.

    Example: outsourcebot kb stats --json
    """
    from bot.knowledge.notes import load_knowledge
    from bot.search.chunks import note_chunks
    from bot.search.index_build import current_folder

    settings = current_settings()
    kb = load_knowledge(settings.knowledge_dir)
    folder = current_folder(settings.index_dir)
    data = {
        "notes": len(kb.notes),
        "problems": len(kb.problems),
        "questions": sum(len(n.questions) for n in kb.notes.values()),
        "chunks": sum(len(note_chunks(n)) for n in kb.notes.values()),
        "words": sum(len((n.answer + " ".join(t for _, t in n.sections)).split()) for n in kb.notes.values()),
        "index": str(folder) if folder else None,
    }
    if args.json:
        print(json.dumps(data))
    else:
        for key, value in data.items():
            print(f"{key:<10} {value}")
    return 0


def register(sub: Any, add: AddCommand) -> None:
    """Add the `kb` group with `check`, `build` and `stats` to the CLI.

    Args:
        sub: The top-level subparsers.
        add: The CLI's helper that makes a command parser from a function and its docstring.
    """
    kb = sub.add_parser(
        "kb",
        help="check, build and describe the knowledge base",
        description="Knowledge base commands.",
        epilog="Example: outsourcebot kb check",
    )
    kb_sub = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND")
    check = add(kb_sub, "check", cmd_kb_check)
    check.add_argument("--stale", action="store_true", help="also list notes past their review_by date")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.add_argument(
        "--reach", action="store_true", help="also ask every section its questions and report those never reached"
    )
    build = add(kb_sub, "build", cmd_kb_build)
    build.add_argument("--force", action="store_true", help="build from the valid notes even when some have problems")
    stats = add(kb_sub, "stats", cmd_kb_stats)
    stats.add_argument("--json", action="store_true", help="machine-readable output")
