"""The `outsourcebot` command line, run as a real subprocess."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.cli import build_parser
from bot.config import REPO_DIR, Settings
from bot.conversation.core import Core
from tests.conftest import write_note

EXE = Path(sys.executable).parent / "outsourcebot"


def command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand of the parser, as argument tuples."""
    found = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += command_paths(sub, (*prefix, name))
    return found


COMMANDS = command_paths(build_parser())


@pytest.fixture(scope="session")
def cli_env(real_core: Core, real_settings: Settings) -> dict[str, str]:
    """Environment for the CLI: the real notes and the session's data folder, whose index real_core built."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTSOURCEBOT_")}
    env.update(
        OUTSOURCEBOT_DATA_DIR=str(real_settings.data_dir),
        OUTSOURCEBOT_KNOWLEDGE_DIR=str(REPO_DIR / "knowledge"),
        OUTSOURCEBOT_ENCODER=real_settings.encoder,
        OUTSOURCEBOT_SALT="cli-test-salt",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    return env


def run(
    env: dict[str, str], *args: str, stdin: str | None = None, **overrides: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(EXE), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**env, **overrides},
        timeout=600,
        cwd=REPO_DIR,
    )


def test_every_command_has_help_with_an_example() -> None:
    assert ("ask",) in COMMANDS and ("kb", "check") in COMMANDS and ("forget",) in COMMANDS
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    procs = {
        cmd: subprocess.Popen(
            [str(EXE), *cmd, "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        for cmd in COMMANDS
    }
    failures = []
    for cmd, proc in procs.items():
        out, err = proc.communicate(timeout=60)
        if proc.returncode != 0 or "Example" not in out:
            failures.append((" ".join(cmd), proc.returncode, err[-300:]))
    assert failures == []


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys\nfrom adapters.cli import main\n"
        "try:\n    main(['kb', 'check', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'faiss', 'sentence_transformers', 'onnxruntime') if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_DIR, timeout=60).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_ask_json_over_stdin_prints_one_object_per_line_in_order(cli_env: dict[str, str]) -> None:
    questions = ["what does a VA do all day", "what's the capital of mongolia", "who is geoffrey moore"]
    result = run(cli_env, "ask", "--json", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3
    objects = [json.loads(line) for line in lines]
    assert [o["question"] for o in objects] == questions
    for obj in objects:
        assert set(obj) == {"question", "answered", "text", "sources", "suggestions", "also_asked", "answer_id"}
        assert isinstance(obj["text"], str) and obj["text"]
        assert all(set(s) == {"id", "title", "score"} for s in obj["sources"])
        assert all(set(s) == {"id", "title"} for s in obj["suggestions"])
        assert isinstance(obj["answer_id"], str)
    assert [o["answered"] for o in objects] == [True, False, True]
    assert objects[0]["sources"][0]["id"] == "virtual-assistants"
    assert objects[2]["sources"][0] == {
        "id": "geoffrey-moore",
        "title": "Geoffrey Moore",
        "score": objects[2]["sources"][0]["score"],
    }
    assert objects[1]["suggestions"]


def test_ask_one_question_for_people(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "ask", "do i need an NDA with a freelancer?")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Contracts and intellectual property\n")
    assert "Not legal or tax advice" in result.stdout


def test_ask_json_one_question(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "ask", "--json", "")
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    assert obj["answered"] is False and obj["answer_id"] is None and "Just ask a question" in obj["text"]


def test_kb_build_prints_the_summary(cli_env: dict[str, str], real_settings: Settings, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    # Reuse the session's embedding cache and model files: every text should come from the cache.
    shutil.copy(real_settings.data_dir / "embeddings.db", data / "embeddings.db")
    if real_settings.model_cache_dir.exists():
        (data / "model").symlink_to(real_settings.model_cache_dir)
    result = run(cli_env, "kb", "build", OUTSOURCEBOT_DATA_DIR=str(data))
    assert result.returncode == 0, result.stderr
    notes = len(list((REPO_DIR / "knowledge").rglob("*.md")))
    assert result.stdout.startswith(f"Built: {notes} notes, ")
    assert "embedded 0, reused " in result.stdout
    assert f"added {notes}, edited 0, removed 0" in result.stdout
    assert (data / "index" / "CURRENT").exists()


def test_kb_build_refuses_broken_knowledge(cli_env: dict[str, str], tiny_knowledge: Path, tmp_path: Path) -> None:
    (tiny_knowledge / "broken.md").write_text("---\nid: a: b\n---\n", encoding="utf-8")
    result = run(
        cli_env,
        "kb",
        "build",
        OUTSOURCEBOT_KNOWLEDGE_DIR=str(tiny_knowledge),
        OUTSOURCEBOT_DATA_DIR=str(tmp_path / "d"),
    )
    assert result.returncode == 1
    assert f"{tiny_knowledge / 'broken.md'}:2: bad YAML" in result.stderr
    assert "not building" in result.stderr
    assert result.stdout == ""


def test_kb_check_cli(cli_env: dict[str, str], tiny_knowledge: Path) -> None:
    ok = run(cli_env, "kb", "check")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip().endswith("notes OK")
    write_note(tiny_knowledge, "lonely", "Lonely", ["one", "two"], "Answer.", related="ghost")
    bad = run(cli_env, "kb", "check", OUTSOURCEBOT_KNOWLEDGE_DIR=str(tiny_knowledge))
    assert bad.returncode == 1
    path = tiny_knowledge / "lonely.md"
    assert f"{path}:4: needs at least 3 alternate questions, has 2" in bad.stdout
    assert f"{path}:8: unknown related id 'ghost'" in bad.stdout
    assert "2 problem(s)" in bad.stderr


def test_kb_stats_json(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "kb", "stats", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    notes = len(list((REPO_DIR / "knowledge").rglob("*.md")))
    assert data["notes"] == notes and data["problems"] == 0
    assert data["questions"] >= 5 * notes
    assert data["chunks"] > data["questions"]
    assert data["index"] and Path(data["index"]).is_dir()


def test_forget(cli_env: dict[str, str], tmp_path: Path) -> None:
    env = {**cli_env, "OUTSOURCEBOT_DATA_DIR": str(tmp_path / "d")}
    from bot.storage.store import Store

    store = Store(tmp_path / "d" / "outsourcebot.db", "cli-test-salt")
    for user in ("123", "123", "456"):
        store.record_question(
            platform="telegram", user=user, chat=user, question="q", kind="answer", answered=True, note_id="n", score=1
        )
    store.db.conn.close()
    result = run(env, "forget", "123", "--platform", "telegram")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Deleted 2 record(s) for telegram user 123."
    assert Store(tmp_path / "d" / "outsourcebot.db", "cli-test-salt").count("questions") == 1


@pytest.mark.parametrize(
    ("args", "overrides", "message"),
    [
        (("ask", "hello"), {"OUTSOURCEBOT_ENCODER": "bogus"}, "OUTSOURCEBOT_ENCODER='bogus' is unknown"),
        (("kb", "check"), {"OUTSOURCEBOT_KNOWLEDGE_DIR": "/nonexistent/notes"}, "set OUTSOURCEBOT_KNOWLEDGE_DIR"),
        (("ask", "hello"), {"OUTSOURCEBOT_THRESHOLD": "high"}, "OUTSOURCEBOT_THRESHOLD='high' is not a number"),
    ],
)
def test_configuration_errors_go_to_stderr(
    cli_env: dict[str, str], args: tuple[str, ...], overrides: dict[str, str], message: str
) -> None:
    result = run(cli_env, *args, **overrides)
    assert result.returncode != 0
    assert result.stdout == ""
    assert "configuration error" in result.stderr and message in result.stderr


def test_unknown_command_fails(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_ask_with_no_notes_fails_on_stderr(cli_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run(
        cli_env,
        "ask",
        "hello",
        OUTSOURCEBOT_KNOWLEDGE_DIR=str(tmp_path / "empty"),
        OUTSOURCEBOT_DATA_DIR=str(tmp_path / "d"),
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "error: RuntimeError: no usable notes" in result.stderr


def test_ask_json_over_stdin_is_not_rate_limited_and_lines_share_one_chat(cli_env: dict[str, str]) -> None:
    questions = ["what is crossing the chasm", "who wrote it?", "", "what does a VA do all day", "   "]
    questions += [f"how much does a freelancer cost {n}" if n % 3 else "" for n in range(15)]
    assert len(questions) == 20 and questions.count("") + questions.count("   ") >= 6
    result = run(cli_env, "ask", "--json", stdin="\n".join(questions) + "\n", OUTSOURCEBOT_RATE_LIMIT="12")
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["question"] for o in objects] == questions
    assert not [o for o in objects if "Please wait" in o["text"]]
    assert all("Just ask a question" in o["text"] for o in objects if not o["question"].strip())
    assert sum(o["answered"] for o in objects) == 13
    # The second line is read in the context of the first: one chat for the whole run.
    assert objects[1]["answered"] and objects[1]["sources"][0]["id"] in {"geoffrey-moore", "crossing-the-chasm"}


def test_each_ask_run_is_its_own_conversation(cli_env: dict[str, str], real_settings: Settings) -> None:
    from bot.storage.store import Store

    first = run(cli_env, "ask", "--json", "what is crossing the chasm")
    assert first.returncode == 0 and json.loads(first.stdout)["answered"]
    second = run(cli_env, "ask", "--json", "what does a virtual assistant do")
    assert second.returncode == 0 and json.loads(second.stdout)["answered"]
    store = Store(real_settings.db_path, "cli-test-salt")
    try:
        assert store.last_note("cli", "cli") is None  # no shared "cli" chat carries a topic between runs
        topics = [
            r["last_note"]
            for r in store.db.query("select last_note from conversations where platform = 'cli' order by ts")
        ]
        assert topics[-2:] == ["crossing-the-chasm", "virtual-assistants"]  # one conversation per run
    finally:
        store.db.conn.close()


def test_start_up_prints_one_line_per_step_and_where_data_lives(
    cli_env: dict[str, str], tiny_knowledge: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    overrides = dict(
        OUTSOURCEBOT_DATA_DIR=str(data), OUTSOURCEBOT_KNOWLEDGE_DIR=str(tiny_knowledge), OUTSOURCEBOT_ENCODER="numpy"
    )
    result = run(cli_env, "ask", "what is the chasm", **overrides)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"Data folder: {data} ")
    assert lines[1] == f"Notes: {tiny_knowledge}"
    assert any(line.startswith("Loading the numpy encoder") for line in lines)
    assert any(line.strip().startswith("embedding: ") and line.endswith(" texts") for line in lines), lines
    assert lines[-1].startswith("Ready: 3 notes in ")
    # The second run finds the index built: no embedding.
    again = run(cli_env, "ask", "what is the chasm", **overrides)
    assert "embedding" not in again.stderr and "building" not in again.stderr, again.stderr


def test_telegram_unreachable_ends_with_a_check_your_network_hint(cli_env: dict[str, str]) -> None:
    """A Telegram API that refuses connections (a closed port on 127.0.0.1) ends in one hint line."""
    import socket

    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run(
        cli_env,
        "telegram",
        TELEGRAM_BOT_TOKEN="123456:ABCdefGhIJKlmnOPQrstUVwxyz0123456789",
        TELEGRAM_API_URL=f"http://127.0.0.1:{port}/bot",
    )
    assert result.returncode == 1, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("check your network"), result.stderr
    assert "Traceback" not in result.stderr


def test_network_hint_knows_httpx_aiohttp_and_dns_failures() -> None:
    import socket

    import aiohttp
    import httpx
    from telegram.error import NetworkError

    from adapters.startup import network_hint

    try:
        try:
            raise httpx.ConnectError("All connection attempts failed")
        except httpx.ConnectError as exc:
            raise NetworkError(f"httpx.ConnectError: {exc}") from exc
    except NetworkError as wrapped:
        assert network_hint(wrapped)
    dns = aiohttp.ClientConnectorDNSError(
        aiohttp.client_reqrep.ConnectionKey("discord.com", 443, True, True, None, None, None),
        socket.gaierror(-3, "Temporary failure in name resolution"),
    )
    assert network_hint(dns)
    assert network_hint(socket.gaierror(-2, "Name or service not known"))
    assert network_hint(ValueError("a bug")) is None


def test_eval_replies_judges_whole_replies(cli_env: dict[str, str]) -> None:
    done = run(cli_env, "eval", "--replies", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout)
    assert set(figures) == {
        "focus.jsonl",
        "focus_heldout.jsonl",
        "conversations.jsonl",
        "conversations_heldout.jsonl",
    }
    assert figures["focus.jsonl"]["focused"] >= 0.78
    assert figures["conversations.jsonl"]["median_words"] <= 120
    assert {"held", "p90_words", "repeats", "offtopic_declined", "turns"} <= set(figures["conversations.jsonl"])


@pytest.mark.parametrize("separate", [False, True])
def test_ask_separate_makes_each_line_a_conversation_of_its_own(cli_env: dict[str, str], separate: bool) -> None:
    args = ["ask", "--json", *(["--separate"] if separate else [])]
    done = run(cli_env, *args, stdin="what is crossing the chasm\ntell me more\n")
    assert done.returncode == 0, done.stderr[-2000:]
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert first["answered"]
    # Alone, "tell me more" has no topic to continue; in one conversation it continues the chasm.
    assert second["answered"] is (not separate)


def test_eval_file_reports_each_kind_of_case(cli_env: dict[str, str], tmp_path: Path) -> None:
    cases = tmp_path / "mine.jsonl"
    rows = [
        {"question": "how much does a virtual assistant cost per hour", "expected": "virtual-assistants"},
        {"question": "what is the chasm in technology adoption", "expected": "crossing-the-chasm", "style": "short"},
        {"question": "how do I get a bank loan for my shop", "expected": None, "kind": "near", "style": "short"},
        {"question": "who won the football match last night", "expected": None, "kind": "far", "style": "short"},
    ]
    cases.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    done = run(cli_env, "eval", "--file", str(cases), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert list(report) == [str(cases)]  # only the file asked for
    fused = report[str(cases)]["fused"]
    assert fused["groups"]["covered"]["n"] == 2
    assert fused["groups"]["near"]["n"] == 1 and fused["groups"]["far"]["n"] == 1
    assert set(fused["groups"]) >= {"tuning:covered", "held-out:covered", "style:short"}
    assert fused["groups"]["far"]["declined"] == 1.0
    human = run(cli_env, "eval", "--file", str(cases))
    assert human.returncode == 0, human.stderr
    assert f"=== {cases} (4 cases)" in human.stdout and "near-declined" in human.stdout


def test_eval_file_errors_say_what_is_wrong(cli_env: dict[str, str], tmp_path: Path) -> None:
    missing = run(cli_env, "eval", "--file", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2 and "nope.jsonl" in missing.stderr
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"question": "fine", "expected": null}\n{"expected": "x"}\n', encoding="utf-8")
    bad = run(cli_env, "eval", "--file", str(broken))
    assert bad.returncode == 2 and "broken.jsonl:2" in bad.stderr and "Traceback" not in bad.stderr


def test_ask_reads_commands_and_numbers_as_the_chat_does(cli_env: dict[str, str]) -> None:
    lines = ["2", "/topics", "2", "/good", "/nonsense"]
    result = run(cli_env, "ask", "--json", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    first, topics, picked, rated, unknown = (json.loads(line) for line in result.stdout.splitlines())
    assert first["answered"] is False and "no numbered list" in first["text"]
    assert topics["text"].startswith("Here are the topics I can help with:") and topics["suggestions"]
    second_topic = topics["suggestions"][1]
    assert picked["answered"] is True and picked["text"].startswith(second_topic["title"] + "\n")
    assert "Thanks for the 👍" in rated["text"]
    assert unknown["answered"] is False and "Unknown command '/nonsense'" in unknown["text"]


def test_ask_for_people_numbers_the_topics_it_accepts(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "ask", stdin="/topics\n1\n")
    assert result.returncode == 0, result.stderr
    topics, picked = result.stdout.split("\n\n", 1)[0], result.stdout
    assert "Here are the topics I can help with:" in topics
    assert "  [1] " in result.stdout
    first_title = result.stdout.split("  [1] ", 1)[1].splitlines()[0]
    assert f"\n{first_title}\n" in picked


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc (Linux)")
def test_numpy_loaded_after_the_command_starts_runs_no_blas_thread() -> None:
    script = (
        "import os, sys; from adapters.cli import main; main([]); "
        "import numpy; sys.stderr.write(str(len(os.listdir('/proc/self/task'))))"
    )
    env = {key: value for key, value in os.environ.items() if key != "OPENBLAS_NUM_THREADS"}
    env["PYTHONPATH"] = str(REPO_DIR)
    threads = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=True
    ).stderr.strip()
    assert threads == "1", f"numpy started {int(threads) - 1} BLAS threads beside the main thread"
