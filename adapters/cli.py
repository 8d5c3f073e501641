"""The `outsourcebot` command line: a thin layer over the library.

The CLI is a front end like the chat adapters, so it lives in `adapters/`.
Each feature with commands of its own (Telegram, Discord, maintainers' tools,
the benchmark) has a small module with `register(subparsers)`, listed in
`COMMAND_MODULES`; those modules import nothing heavy at import time.

Heavy libraries (NumPy models, FAISS, torch) are imported only by the commands
that need them, so `--help` and `kb check` stay instant.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.knowledge.notes import KnowledgeBase

log = logging.getLogger(__name__)


PLATFORM_LOGGERS = ("telegram", "discord", "aiohttp", "websockets", "apscheduler")
"""Platform libraries that log whole updates (names, usernames, message text) at DEBUG."""
URL_LOGGERS = ("httpx", "httpcore", "urllib3")
"""HTTP libraries that log every request URL (Telegram's holds the token) at INFO."""
PLATFORM_DEBUG_VAR = "OUTSOURCEBOT_PLATFORM_DEBUG"


def setup_logging() -> None:
    """Configure logging from OUTSOURCEBOT_LOG_LEVEL (default WARNING).

    The bot's own modules log at that level and never log raw user or chat ids (salted
    hashes instead). The platform libraries stay at INFO or above, HTTP libraries at
    WARNING or above, whatever the level: at DEBUG they log users' names and messages.
    OUTSOURCEBOT_PLATFORM_DEBUG=1 lets their debug logs through, which is unsafe (see
    docs/telegram.md): for debugging a platform connection only.
    """
    level = os.environ.get("OUTSOURCEBOT_LOG_LEVEL", "WARNING").upper()
    numeric = getattr(logging, level, logging.WARNING)
    logging.basicConfig(level=numeric, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(numeric)
    unsafe = os.environ.get("OUTSOURCEBOT_PLATFORM_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")
    if unsafe:
        log.warning("%s is on: platform libraries log users' names and messages at DEBUG", PLATFORM_DEBUG_VAR)
    for name in PLATFORM_LOGGERS:
        logging.getLogger(name).setLevel(numeric if unsafe else max(logging.INFO, numeric))
    for name in (*URL_LOGGERS, "sentence_transformers", "transformers"):
        logging.getLogger(name).setLevel(numeric if unsafe else max(logging.WARNING, numeric))


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _settings() -> Any:
    from bot.config import load_settings

    return load_settings()


def _progress(label: str) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{label}: {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)
        elif done == total:
            print(f"{label}: {done}/{total}", file=sys.stderr, flush=True)

    return show


def _core(**overrides: Any) -> Any:
    import dataclasses

    from adapters.startup import start_core

    return start_core(dataclasses.replace(_settings(), **overrides), say=_err)


# ----- commands ---------------------------------------------------------------------------------


def cmd_chat(args: argparse.Namespace) -> int:
    """Chat with the bot in the terminal.

    Example: outsourcebot chat
    """
    from adapters.console import ctrl_c_ends_the_chat, own_terminal, run_console

    with own_terminal(), ctrl_c_ends_the_chat():
        run_console(_core())
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    """Ask one question (or one per line from standard input with no QUESTION).

    Each run is a conversation of its own: lines read from standard input share
    it (so a follow-up line reads the line before), and nothing carries over to
    the next run; with --separate each line is a conversation of its own (batch
    testing). The rate limit is for chat users, not for the command line.

    Example: outsourcebot ask "how much does a virtual assistant cost?"
             echo "what is the chasm" | outsourcebot ask --json
             outsourcebot ask --json --separate < questions.txt
    """
    import uuid

    from bot.messages import Message

    core = _core(rate_limit=0)
    chat = f"cli-{uuid.uuid4().hex}"
    questions = [args.question] if args.question is not None else (line.rstrip("\n") for line in sys.stdin)
    for question in questions:
        if args.separate:
            chat = f"cli-{uuid.uuid4().hex}"
        reply = core.answer(Message(question, "cli", chat, "cli"))
        if args.json:
            print(
                json.dumps(
                    {
                        "question": question,
                        "answered": reply.answered,
                        "text": reply.text,
                        "sources": [{"id": s.id, "title": s.title, "score": s.score} for s in reply.sources],
                        "suggestions": [{"id": s.id, "title": s.title} for s in reply.suggestions],
                        "also_asked": [{"id": s.id, "label": s.title} for s in reply.also_asked],
                        "answer_id": reply.answer_id,
                    },
                    ensure_ascii=False,
                ),
                flush=True,
            )
        else:
            print(reply.text + "\n", flush=True)
    return 0


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
    from bot.knowledge.notes import load_drafts, load_knowledge, stale_notes
    from bot.knowledge.passages import passage_problems

    settings = _settings()
    kb = load_knowledge(settings.knowledge_dir)
    abbreviation_problem = check_abbreviations(settings.knowledge_dir)
    drafts = load_drafts(settings.knowledge_dir, kb)
    stale = stale_notes(kb) if args.stale else []
    focus = [str(p) for p in passage_problems(kb)]
    if args.reach:
        focus += _unreachable(kb, settings)
    problems = [str(p) for p in kb.problems] + ([abbreviation_problem] if abbreviation_problem else []) + focus
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
                    "ok": not failed,
                }
            )
        )
        if failed:
            _err(summary)
        return 1 if failed else 0
    for line in lines + draft_lines:
        print(line)
    if failed:
        _err(summary)
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
    _err(f"Loading the {settings.encoder} encoder...")
    embedder = make_embedder(settings.encoder, settings.model_cache_dir)
    index = ensure_index(servable, settings, embedder, _err)
    try:
        reach = section_reach(servable, index, embedder)
    finally:
        index.close()
    _err(f"{sum(r.reached for r in reach)} of {len(reach)} sections reachable")
    return [str(p) for p in unreachable_sections(reach)]


def cmd_kb_build(args: argparse.Namespace) -> int:
    """Embed the notes and build the search index (only changed texts are embedded).

    Example: outsourcebot kb build
    """
    from bot.knowledge.notes import load_knowledge
    from bot.search.embedder import make_embedder
    from bot.search.index import build_index

    settings = _settings()
    kb = load_knowledge(settings.knowledge_dir)
    for problem in kb.problems:
        _err(str(problem))
    if kb.problems and not args.force:
        _err("not building: fix the problems above (or pass --force to index the valid notes)")
        return 1
    _err(f"Loading the {settings.encoder} encoder...")
    report = build_index(
        kb.servable(),
        settings.index_dir,
        make_embedder(settings.encoder, settings.model_cache_dir),
        _progress("embedding"),
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
    from bot.search.index import current_folder, note_chunks

    settings = _settings()
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


def cmd_forget(args: argparse.Namespace) -> int:
    """Delete everything stored about one user of one platform.

    The console's user is console-user; every `outsourcebot ask` run is the one user
    cli on platform cli, so `forget cli --platform cli` deletes the history of all of them.

    Example: outsourcebot forget 123456789 --platform telegram
             outsourcebot forget cli --platform cli
    """
    from bot.storage.retention import forget_user
    from bot.storage.store import Store

    settings = _settings()
    count = forget_user(Store(settings.db_path, settings.salt), settings.data_dir, args.platform, args.user)
    print(f"Deleted {count} record(s) for {args.platform} user {args.user}.")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Measure retrieval on the labelled evaluation sets, three retrievers side by side, each set on its own.

    By default both tests/data/eval.jsonl (the project's own) and tests/data/real.jsonl
    (real-style questions, with its odd-line tuning and even-line held-out halves) are reported.

    With --replies it judges whole replies instead: every case of tests/data/focus.jsonl,
    tests/data/conversations.jsonl (tuning) and tests/data/conversations_heldout.jsonl
    (held-out, never tuned on) goes through the bot as a person would send it
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
    from bot.knowledge.notes import load_knowledge
    from bot.maintainers.evaluation import EVAL_SETS, evaluate, format_report, load_cases

    files = [Path(args.file)] if args.file else list(EVAL_SETS)
    try:
        sets = {str(f): load_cases(f) for f in files}
    except OSError as exc:
        _err(f"cannot read {exc.filename}: {exc.strerror}")
        return 2
    except ValueError as exc:
        _err(str(exc))
        return 2
    from bot.search.embedder import make_embedder
    from bot.search.index import ensure_index

    settings = _settings()
    kb = load_knowledge(settings.knowledge_dir).servable()
    embedder = make_embedder(settings.encoder, settings.model_cache_dir)
    index = ensure_index(kb, settings, embedder, _err)
    started = time.perf_counter()
    abbreviations = load_abbreviations(settings.knowledge_dir)
    results = {
        name: evaluate(index, embedder, cases, {"fused": settings.threshold}, abbreviations)
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

    core = _core(rate_limit=0)
    started = time.perf_counter()
    results = {path.name: evaluate_replies(core.answer, load_reply_cases(path)) for path in REPLY_SETS}
    if args.json:
        print(json.dumps({name: r.to_dict() for name, r in results.items()}))
    else:
        labels = {path.name: role for path, role in REPLY_SETS.items()}
        print("\n\n".join(format_replies_report(f"{name} ({labels[name]})", r) for name, r in results.items()))
        print(f"\n({time.perf_counter() - started:.1f} s)")
    return 0


# ----- parser -----------------------------------------------------------------------------------


def _add(sub: Any, name: str, func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
    doc = inspect.cleandoc(func.__doc__ or "")
    summary, _, rest = doc.partition("\n")
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=summary,
        description=summary,
        epilog=rest.strip(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=func)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="outsourcebot",
        description="Curated advice on outsourcing and Geoffrey Moore's strategy ideas, on the console, Telegram and Discord.",
        epilog="Example: outsourcebot chat",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add(sub, "chat", cmd_chat)
    ask = _add(sub, "ask", cmd_ask)
    ask.add_argument("question", nargs="?", help="the question (omit to read one per line from stdin)")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.add_argument("--separate", action="store_true", help="each standard-input line is a conversation of its own")
    kb = sub.add_parser(
        "kb",
        help="check, build and describe the knowledge base",
        description="Knowledge base commands.",
        epilog="Example: outsourcebot kb check",
    )
    kb_sub = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND")
    check = _add(kb_sub, "check", cmd_kb_check)
    check.add_argument("--stale", action="store_true", help="also list notes past their review_by date")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.add_argument(
        "--reach", action="store_true", help="also ask every section its questions and report those never reached"
    )
    build = _add(kb_sub, "build", cmd_kb_build)
    build.add_argument("--force", action="store_true", help="build from the valid notes even when some have problems")
    stats = _add(kb_sub, "stats", cmd_kb_stats)
    stats.add_argument("--json", action="store_true", help="machine-readable output")
    forget = _add(sub, "forget", cmd_forget)
    forget.add_argument(
        "user", help="the user's platform id (the console's user is console-user; every `ask` run is cli)"
    )
    forget.add_argument(
        "--platform",
        default="telegram",
        choices=("telegram", "discord", "console", "cli"),
        help="where the user talked to the bot (default telegram)",
    )
    ev = _add(sub, "eval", cmd_eval)
    ev.add_argument("--json", action="store_true", help="machine-readable output")
    ev.add_argument("--file", help="one JSONL evaluation file (default: tests/data/eval.jsonl and real.jsonl)")
    ev.add_argument("--replies", action="store_true", help="judge whole replies on the focus and conversation sets")
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if not exc.name or not module_name.startswith(exc.name):
                raise
            continue
        module.register(sub, _add)
    return parser


COMMAND_MODULES = (
    "adapters.telegram.commands",
    "adapters.discord.commands",
    "adapters.serve",
    "adapters.maintainer_commands",
    "adapters.bench_commands",
    "adapters.deploy_commands",
)


# Libraries of the optional extras (pyproject.toml), for a one-line hint when one is missing.
OPTIONAL_EXTRAS = {
    "matplotlib": "report",
    "telegram": "telegram",
    "discord": "discord",
    "torch": "reference",
    "sentence_transformers": "reference",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: Arguments (default sys.argv[1:]).

    Returns:
        The exit code.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        if args.command == "kb":
            parser.parse_args(["kb", "--help"])
        parser.print_help()
        return 0 if args.command is None else 2
    setup_logging()
    from bot.config import ConfigError

    try:
        return int(args.func(args))
    except ConfigError as exc:
        _err(f"configuration error: {exc}")
        return 2
    except KeyboardInterrupt:
        return 130
    except ModuleNotFoundError as exc:
        extra = OPTIONAL_EXTRAS.get((exc.name or "").partition(".")[0])
        if extra is None:
            log.debug("command failed", exc_info=True)
            _err(f"error: {type(exc).__name__}: {exc}")
            return 1
        _err(f"error: this command needs the {extra!r} extra: pip install 'outsourcebot[{extra}]'")
        return 2
    except BrokenPipeError:
        # The reader went away (`outsourcebot ask ... | head`): stop quietly, and keep Python
        # from failing again while flushing stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        from adapters.startup import network_hint

        log.debug("command failed", exc_info=True)
        _err(f"error: {type(exc).__name__}: {exc}")
        hint = network_hint(exc)
        if hint:
            _err(hint)
        return 1


if __name__ == "__main__":
    sys.exit(main())
