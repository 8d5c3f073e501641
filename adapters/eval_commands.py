"""Measuring the bot on the labelled evaluation sets: `outsourcebot eval` (and `eval --replies`).

Registered by `adapters.cli`; the encoder and the index are loaded only when the command runs.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

from adapters.cli_support import AddCommand, current_settings, err, started_core

log = logging.getLogger(__name__)


def cmd_eval(args: argparse.Namespace) -> int:
    """Measure retrieval on the labelled evaluation sets, three retrievers side by side, each set on its own.

    By default four sets are reported, each on its own: tests/data/eval.jsonl (the
    project's own), tests/data/real.jsonl (real-style questions, with its odd-line tuning
    and even-line held-out halves), tests/data/fresh_heldout.jsonl (questions a tester
    wrote before reading the notes, held out whole: its misses are counted, not listed)
    and tests/data/forum_tuning.jsonl (forum-style stories, tuning whole).

    With --replies it judges whole replies instead: every case of tests/data/focus.jsonl and
    tests/data/conversations.jsonl (tuning), tests/data/focus_heldout.jsonl and
    tests/data/conversations_heldout.jsonl (held-out, never tuned on) goes through the bot as a person would send it
    (a conversation's turns to one chat), and it reports the share of replies with the
    asked fact in the first 100 words, answer length (median, 90th percentile), turns
    held and verbatim repeats.

    Example: outsourcebot eval
             outsourcebot eval --file tests/data/real.jsonl --json
             outsourcebot eval --replies
    """
    if args.replies:
        return _eval_replies(args)
    from bot.knowledge.abbreviations import load_abbreviations
    from bot.knowledge.not_covered import load_not_covered
    from bot.knowledge.notes import load_knowledge
    from bot.maintainers.evaluation import EVAL_SETS, evaluate, format_report, load_cases

    files = [Path(args.file)] if args.file else list(EVAL_SETS)
    try:
        sets = {str(f): load_cases(f) for f in files}
    except OSError as exc:
        err(f"cannot read {exc.filename}: {exc.strerror}")
        return 2
    except ValueError as exc:
        err(str(exc))
        return 2
    from bot.search.embedder import make_embedder
    from bot.search.index import ensure_index
    from bot.search.not_covered import not_covered_matcher

    settings = current_settings()
    kb = load_knowledge(settings.knowledge_dir).servable()
    embedder = make_embedder(settings.encoder, settings.model_cache_dir)
    index = ensure_index(kb, settings, embedder, err)
    started = time.perf_counter()
    abbreviations = load_abbreviations(settings.knowledge_dir)
    scope = not_covered_matcher(load_not_covered(settings.knowledge_dir), kb.notes.values())
    results = {
        name: evaluate(index, embedder, cases, {"fused": settings.threshold}, abbreviations, scope)
        for name, cases in sets.items()
    }
    if args.json:
        print(json.dumps({name: {m: r.__dict__ for m, r in res.items()} for name, res in results.items()}))
    else:
        for name, res in results.items():
            print(f"=== {name} ({len(sets[name])} cases)\n{format_report(res)}\n")
        print(f"({time.perf_counter() - started:.1f} s)")
    return 0


def _eval_replies(args: argparse.Namespace) -> int:
    from bot.maintainers.replies_eval import REPLY_SETS, evaluate_replies, format_replies_report, load_reply_cases

    core = started_core(rate_limit=0)
    started = time.perf_counter()
    results = {path.name: evaluate_replies(core.answer, load_reply_cases(path)) for path in REPLY_SETS}
    if args.json:
        print(json.dumps({name: r.to_dict() for name, r in results.items()}))
    else:
        labels = {path.name: role for path, role in REPLY_SETS.items()}
        print(
            "\n\n".join(
                format_replies_report(f"{name} ({labels[name]})", r, held_out=labels[name] == "held-out")
                for name, r in results.items()
            )
        )
        print(f"\n({time.perf_counter() - started:.1f} s)")
    return 0


def register(sub: Any, add: AddCommand) -> None:
    """Add `eval` to the CLI.

    Args:
        sub: The top-level subparsers.
        add: The CLI's helper that makes a command parser from a function and its docstring.
    """
    ev = add(sub, "eval", cmd_eval)
    ev.add_argument("--json", action="store_true", help="machine-readable output")
    ev.add_argument("--file", help="one JSONL evaluation file (default: the four sets in tests/data/)")
    ev.add_argument("--replies", action="store_true", help="judge whole replies on the focus and conversation sets")
