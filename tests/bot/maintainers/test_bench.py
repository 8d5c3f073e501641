"""`outsourcebot bench` writes docs/benchmarks.md only when asked and reports the load average (timings: not here)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from adapters import bench_commands
from bot.config import REPO_DIR
from bot.maintainers import bench
from bot.maintainers.bench_markdown import BenchResult, busy_warning, format_markdown

FIGURES = {
    "p50_ms": 4.0,
    "p95_ms": 6.0,
    "p99_ms": 9.0,
    "throughput": 320.0,
    "throughput_model_calls": 40.0,
    "cold_start_s": 1.5,
    "help_s": 0.2,
    "kb_check_s": 0.3,
    "rss_mb": 300.0,
    "build_s_per_1000": 10.0,
    "build_chunks": 3000.0,
    "build_s": 30.0,
    "incremental_s": 0.5,
    "incremental_embedded": 20.0,
}


def _settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OUTSOURCEBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OUTSOURCEBOT_KNOWLEDGE_DIR", str(REPO_DIR / "knowledge"))


def _result(load: float) -> BenchResult:
    return BenchResult(
        figures=dict(FIGURES),
        machine={
            "cores": 2,
            "python": "3.11",
            "load_before": [load, 1.0, 1.0],
            "load_after": [load, 1.0, 1.0],
            "seconds": 240.0,
        },
    )


def test_busy_warning_above_the_threshold_only() -> None:
    assert busy_warning(0.4, 2) == ""
    assert busy_warning(1.0, 2) == ""
    warning = busy_warning(3.5, 2)
    assert "busy" in warning and "3.50" in warning


def test_markdown_gives_the_load_average_the_duration_and_a_busy_warning() -> None:
    idle = format_markdown(_result(0.2))
    assert "Load average (1 / 5 / 15 min) at the start: 0.20 / 1.00 / 1.00" in idle
    assert "in 4.0 minutes" in idle
    assert "busy" not in idle
    busy = format_markdown(_result(9.65))
    assert "9.65" in busy and "The machine was busy" in busy


@pytest.mark.parametrize("write", [False, True])
def test_bench_writes_the_docs_table_only_with_write(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str], write: bool
) -> None:
    docs = tmp_path / "docs" / "benchmarks.md"
    monkeypatch.setattr(bench, "DOCS_TABLE", docs)
    _settings(monkeypatch, tmp_path)
    monkeypatch.setattr(bench, "run_bench", lambda settings, say, encoders, telegram: _result(0.1))
    args = argparse.Namespace(write=write, output=None, json=False, no_encoders=True, no_telegram=True)
    assert bench_commands.cmd_bench(args) == 0
    out = capsys.readouterr()
    assert "| Warm answer latency p50 |" in out.out
    assert "benchmark took 4.0 minutes" in out.err
    assert docs.is_file() is write


def test_bench_output_writes_the_given_file_and_not_the_docs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _settings(monkeypatch, tmp_path)
    monkeypatch.setattr(bench, "run_bench", lambda settings, say, encoders, telegram: _result(0.1))
    target = tmp_path / "elsewhere.md"
    monkeypatch.setattr(bench, "DOCS_TABLE", tmp_path / "docs" / "benchmarks.md")
    args = argparse.Namespace(write=False, output=str(target), json=False, no_encoders=True, no_telegram=True)
    assert bench_commands.cmd_bench(args) == 0
    assert target.read_text(encoding="utf-8").startswith("# Benchmarks")
    assert not (tmp_path / "docs").exists()


def test_markdown_has_the_end_to_end_rows_in_order_when_measured() -> None:
    result = _result(0.1)
    assert "Telegram end to end" not in format_markdown(result)
    result.figures.update(
        {
            "e2e_p50_ms": 12.0,
            "e2e_p95_ms": 15.0,
            "e2e_p99_ms": 20.0,
            "e2e_chats_400_rate": 150.0,
            "e2e_chats_400_p50_ms": 900.0,
            "e2e_chats_100_rate": 250.0,
            "e2e_chats_100_p50_ms": 300.0,
        }
    )
    table = format_markdown(result)
    assert "| Telegram end to end, one message at a time (update to sendMessage) p50 / p99 | 12.0 / 20.0 ms |" in table
    hundred = table.index("| Telegram end to end, 100 chats at once | 250 answers/s")
    four = table.index("| Telegram end to end, 400 chats at once | 150 answers/s")
    assert hundred < four
    assert table[four:].split("\n")[0].endswith("| NO |")
    assert table[hundred:].split("\n")[0].endswith("| yes |")
