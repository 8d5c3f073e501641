"""`outsourcebot bench --only e2e`: the end-to-end Telegram part alone, its table, and py-spy around the bot."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from adapters import bench_commands
from adapters.cli import build_parser
from bot.conversation.core import Core
from bot.maintainers import bench_e2e
from bot.maintainers.bench_markdown import BenchResult, format_e2e_markdown
from tests.adapters import fake_telegram_load
from tests.adapters.fake_telegram import FakeTelegram
from tests.adapters.fake_telegram_load import main_thread_cpu, process_cpu
from tests.adapters.telegram.harness import bot_running

FIGURES = {
    "e2e_p50_ms": 12.0,
    "e2e_p95_ms": 15.0,
    "e2e_p99_ms": 20.0,
    "e2e_chats_100_rate": 210.0,
    "e2e_chats_100_p50_ms": 400.0,
    "e2e_chats_100_bot_cpu_ms": 8.5,
    "e2e_chats_100_bot_loop_cpu_ms": 3.25,
    "e2e_chats_100_typing_per_answer": 0.125,
    "e2e_chats_100_fake_cpu_ms": 1.2,
    "e2e_chats_400_rate": 190.0,
    "e2e_chats_400_p50_ms": 1900.0,
    "e2e_chats_400_bot_cpu_ms": 8.9,
    "e2e_chats_400_fake_cpu_ms": 1.1,
}


def _result() -> BenchResult:
    return BenchResult(
        figures=dict(FIGURES),
        machine={"cores": 2, "python": "3.11", "load_before": [0.1, 0.2, 0.3], "load_after": [0.4, 0.2, 0.3]},
        command="outsourcebot bench --only e2e",
    )


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["bench", *argv])


def test_the_e2e_table_has_only_the_end_to_end_rows_with_cpu_per_answer() -> None:
    table = format_e2e_markdown(_result())
    assert table.startswith("# Benchmarks: Telegram end to end")
    assert "Warm answer latency" not in table and "Peak RSS" not in table
    assert (
        "| Telegram end to end, 100 chats at once | 210 answers/s (p50 400 ms per answer; "
        'CPU per answer: bot 8.5 ms (its event loop 3.2 ms), fake Bot API 1.2 ms; "typing" requests 0.12 per answer)'
        " | ≥ 200/s | yes |"
    ) in table
    assert table.index("100 chats at once") < table.index("400 chats at once")
    assert (
        "| Telegram end to end, 400 chats at once | 190 answers/s (p50 1900 ms per answer; CPU per answer: bot 8.9 ms,"
        in table
    )
    assert "| Telegram end to end, 400 chats at once | 190 answers/s" in table and table.rstrip().endswith("| NO |")
    assert "Load average (1 / 5 / 15 min) at the start: 0.10 / 0.20 / 0.30" in table


def test_only_e2e_runs_the_end_to_end_part_with_its_sizes_and_profile(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    asked: dict[str, object] = {}

    def run_only(settings: object, say: object, chats: tuple[int, ...], profile: Path | None) -> BenchResult:
        asked.update(chats=chats, profile=profile)
        return _result()

    monkeypatch.setenv("OUTSOURCEBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(bench_e2e, "run_only", run_only)
    output = tmp_path / "e2e.md"
    args = _args("--only", "e2e", "--chats", "50", "200", "--profile", "bot.svg", "--output", str(output))
    assert bench_commands.cmd_bench(args) == 0
    assert asked == {"chats": (50, 200), "profile": Path("bot.svg")}
    assert "# Benchmarks: Telegram end to end" in capsys.readouterr().out
    assert output.read_text(encoding="utf-8").startswith("# Benchmarks: Telegram end to end")


def test_only_e2e_refuses_to_overwrite_the_whole_docs_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bench_e2e, "run_only", lambda *args: pytest.fail("must not run"))
    assert bench_commands.cmd_bench(_args("--only", "e2e", "--write")) == 2
    assert "--output" in capsys.readouterr().err


def test_the_profile_wraps_the_bot_in_py_spy_and_says_when_it_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    with pytest.raises(RuntimeError, match="pip install py-spy"):
        bench_e2e.profiled(["outsourcebot", "telegram"], tmp_path / "bot.svg")
    spy = tmp_path / "py-spy"
    spy.write_text("", encoding="utf-8")
    command = bench_e2e.profiled(["outsourcebot", "telegram"], tmp_path / "bot.svg")
    assert command[0] == str(spy) and command[-3:] == ["--", "outsourcebot", "telegram"]
    assert command[command.index("--format") + 1] == "flamegraph"
    stacks = bench_e2e.profiled(["outsourcebot", "telegram"], tmp_path / "bot.txt")
    assert stacks[stacks.index("--format") + 1] == "raw"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_the_fake_reads_a_process_cpu_time_and_zero_for_a_gone_one() -> None:
    assert process_cpu(os.getpid())() > 0
    assert process_cpu(2**22 + 12345)() == 0.0


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_the_fake_reads_the_main_threads_cpu_time_apart_from_other_threads() -> None:
    def spin() -> None:
        until = time.thread_time() + 0.3
        while time.thread_time() < until:
            pass

    loop_before, process_before = main_thread_cpu(os.getpid())(), process_cpu(os.getpid())()
    worker = threading.Thread(target=spin)
    worker.start()
    worker.join()
    assert process_cpu(os.getpid())() - process_before >= 0.2
    assert main_thread_cpu(os.getpid())() - loop_before < 0.15, "the other thread's CPU is not the main thread's"
    assert main_thread_cpu(2**22 + 12345)() == 0.0


class RecordingFake(FakeTelegram):
    """The fake Bot API, keeping what each pushed message asked."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def push_private(self, user_id: int, text: str) -> dict[str, Any]:
        self.asked.append(text)
        return super().push_private(user_id, text)


async def test_every_size_of_the_all_at_once_run_asks_the_questions_in_turn(core: Core) -> None:
    core.pacing.limiter.limit = 0
    questions = ["how much does a freelancer cost?", "what is the chasm", "/start", "contracts?"]
    fake = RecordingFake()
    await fake.start()
    try:
        async with asyncio.timeout(60), bot_running(core, fake):
            small = await fake_telegram_load._chats_at_once(fake, questions, 2, 2, lambda: 0.0, lambda: 0.0)
            asked_small, fake.asked = fake.asked, []
            large = await fake_telegram_load._chats_at_once(fake, questions, 6, 2, lambda: 0.0, lambda: 0.0)
    finally:
        await fake.close()
    assert asked_small == questions, "2 chats x 2 rounds: each question once, in turn"
    assert sorted(fake.asked) == sorted(questions * 3), "6 chats x 2 rounds: each question three times"
    assert fake.asked[:6] == questions + questions[:2], "the first round starts the turn for every chat"
    for figures, answers in ((small, 4), (large, 12)):
        assert figures["answers"] == answers and figures["rate"] > 0
        assert figures["typing_per_answer"] == 0.0, "quick answers show no typing"
