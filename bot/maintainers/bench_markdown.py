"""How a benchmark run reads: its figures, their targets, the load average beside them, the Markdown table.

`outsourcebot bench` prints the table (and writes it to docs/benchmarks.md with `--write`);
`outsourcebot bench --only e2e` prints the end-to-end Telegram part alone.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

LATENCY_RUNS = 3
"""Warm-latency runs; the table gives their median and range."""
# Above this 1-minute load average per core, other processes share the CPU and the figures are noisy.
BUSY_LOAD_PER_CORE = 0.5
TARGETS = {
    "p50_ms": 5.0,
    "p99_ms": 15.0,
    "throughput": 300.0,
    "cold_start_s": 2.0,
    "help_s": 0.5,
    "kb_check_s": 0.5,
    "rss_mb": 400.0,
    "build_s_per_1000": 15.0,
    "incremental_s": 1.0,
    "e2e_throughput": 200.0,
}


@dataclass
class BenchResult:
    """Every figure of one benchmark run."""

    figures: dict[str, float] = field(default_factory=dict)
    retrievers: dict[str, dict[str, float]] = field(default_factory=dict)
    encoders: dict[str, dict[str, float]] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=dict)
    command: str = "outsourcebot bench"


def started_result(say: Callable[[str], None], command: str = "outsourcebot bench") -> BenchResult:
    """A run's result with its machine described (cores, Python, load average before), saying when the machine is busy."""
    cores = os.cpu_count() or 0
    result = BenchResult(
        command=command,
        machine={
            "cores": cores,
            "python": platform.python_version(),
            "platform": sys.platform,
            "load_before": list(load_average()),
        },
    )
    if warning := busy_warning(result.machine["load_before"][0], cores):
        say(warning)
    return result


def finished(result: BenchResult, started: float) -> BenchResult:
    """The result with the load average after the run and its length (`started` from `time.perf_counter`)."""
    result.machine["load_after"] = list(load_average())
    result.machine["seconds"] = time.perf_counter() - started
    return result


def _header(title: str, result: BenchResult, *sentences: str) -> list[str]:
    """A benchmark document's title, how and where it was measured, `sentences`, the load average, and the table's head."""
    m = result.machine
    return [
        f"# {title}",
        "",
        f"Measured with `{result.command}` on {m.get('cores')} cores, Python {m.get('python')}, {time.strftime('%Y-%m-%d')}"
        + (f", in {m['seconds'] / 60:.1f} minutes." if "seconds" in m else "."),
        *sentences,
        _load_line(m),
        "",
        "| Measure | Result | Target | Met |",
        "|---|---|---|---|",
    ]


def load_average() -> tuple[float, float, float]:
    """The 1, 5 and 15-minute load averages (zeros where the system does not report them)."""
    try:
        return os.getloadavg()
    except OSError:
        return (0.0, 0.0, 0.0)


def busy_warning(load: float, cores: int, threshold: float = BUSY_LOAD_PER_CORE) -> str:
    """A warning when the load average says other work shares the CPU, else ""."""
    if load <= threshold * max(cores, 1):
        return ""
    return (
        f"warning: the machine is busy (load average {load:.2f} on {cores} cores, above {threshold * max(cores, 1):.1f}); "
        "timings will be slower and noisier than on an idle machine"
    )


E2E_SENTENCE = (
    "End to end is `outsourcebot telegram` in its own process against the fake Bot API on 127.0.0.1 in another; "
    "CPU per answer is each process's user and system time over the answers of that run."
)


def _spread(figures: dict[str, float], key: str) -> str:
    median = figures[f"{key}_ms"]
    low, high = figures.get(f"{key}_min_ms", median), figures.get(f"{key}_max_ms", median)
    return f"{median:.2f} ms (median of {LATENCY_RUNS} runs: {low:.2f}-{high:.2f})"


def _load_line(machine: dict[str, Any]) -> str:
    before, after = machine.get("load_before"), machine.get("load_after")
    if not before:
        return ""
    line = f"Load average (1 / 5 / 15 min) at the start: {' / '.join(f'{x:.2f}' for x in before)}"
    if after:
        line += f"; at the end: {' / '.join(f'{x:.2f}' for x in after)}"
    peak = max(before[0], after[0] if after else 0.0)
    warning = busy_warning(peak, int(machine.get("cores") or 1))
    return line + (
        ". **The machine was busy: these figures are slower and noisier than on an idle machine.**" if warning else "."
    )


def _e2e_rows(f: dict[str, float]) -> list[tuple[str, str, str, bool | None]]:
    """The end-to-end Telegram rows (none when that run was skipped)."""
    if "e2e_p50_ms" not in f:
        return []
    rows: list[tuple[str, str, str, bool | None]] = [
        (
            "Telegram end to end, one message at a time (update to sendMessage) p50 / p99",
            f"{f['e2e_p50_ms']:.1f} / {f['e2e_p99_ms']:.1f} ms",
            "",
            None,
        )
    ]
    sizes = sorted(int(k.split("_")[2]) for k in f if k.startswith("e2e_chats_") and k.endswith("_rate"))
    for size in sizes:
        rate = f[f"e2e_chats_{size}_rate"]
        cpu = ""
        loop_ms = f.get(f"e2e_chats_{size}_bot_loop_cpu_ms")
        loop = f" (its event loop {loop_ms:.1f} ms)" if loop_ms else ""
        typing = f.get(f"e2e_chats_{size}_typing_per_answer")
        shown = f'; "typing" requests {typing:.2f} per answer' if typing is not None else ""
        if f.get(f"e2e_chats_{size}_bot_cpu_ms"):
            cpu = (
                f"; CPU per answer: bot {f[f'e2e_chats_{size}_bot_cpu_ms']:.1f} ms{loop},"
                f" fake Bot API {f.get(f'e2e_chats_{size}_fake_cpu_ms', 0.0):.1f} ms"
            )
        rows.append(
            (
                f"Telegram end to end, {size} chats at once",
                f"{rate:.0f} answers/s (p50 {f[f'e2e_chats_{size}_p50_ms']:.0f} ms per answer{cpu}{shown})",
                "≥ 200/s",
                rate >= TARGETS["e2e_throughput"],
            )
        )
    return rows


def _table_rows(rows: list[tuple[str, str, str, bool | None]]) -> list[str]:
    return [
        f"| {name} | {value} | {target} | {'' if ok is None else ('yes' if ok else 'NO')} |"
        for name, value, target, ok in rows
    ]


def format_e2e_markdown(result: BenchResult) -> str:
    """The end-to-end Telegram part alone (`outsourcebot bench --only e2e`) as a Markdown document."""
    lines = _header("Benchmarks: Telegram end to end", result, E2E_SENTENCE) + _table_rows(_e2e_rows(result.figures))
    return "\n".join(lines) + "\n"


def format_markdown(result: BenchResult) -> str:
    """The benchmark as a Markdown document."""
    f = result.figures
    rows = [
        ("Warm answer latency p50", _spread(f, "p50"), "≤ 5 ms", f["p50_ms"] <= TARGETS["p50_ms"]),
        ("Warm answer latency p95", _spread(f, "p95"), "", None),
        ("Warm answer latency p99", _spread(f, "p99"), "≤ 15 ms", f["p99_ms"] <= TARGETS["p99_ms"]),
        (
            "Throughput, 64 chats at once",
            f"{f['throughput']:.0f} answers/s ({f['throughput_model_calls']:.0f} model calls for 640 answers)",
            "≥ 300/s",
            f["throughput"] >= TARGETS["throughput"],
        ),
        (
            "Cold start to first answer (built index)",
            f"{f['cold_start_s']:.2f} s",
            "≤ 2 s",
            f["cold_start_s"] <= TARGETS["cold_start_s"],
        ),
        ("`outsourcebot --help`", f"{f['help_s']:.2f} s", "≤ 0.5 s", f["help_s"] <= TARGETS["help_s"]),
        ("`outsourcebot kb check`", f"{f['kb_check_s']:.2f} s", "≤ 0.5 s", f["kb_check_s"] <= TARGETS["kb_check_s"]),
        (
            "Peak RSS while serving (a fresh process answering 640 questions from 64 chats)",
            f"{f['rss_mb']:.0f} MB",
            "≤ 400 MB",
            f["rss_mb"] <= TARGETS["rss_mb"],
        ),
        (
            "Full build per 1,000 chunks",
            f"{f['build_s_per_1000']:.2f} s ({f['build_chunks']:.0f} chunks in {f['build_s']:.2f} s)",
            "≤ 15 s",
            f["build_s_per_1000"] <= TARGETS["build_s_per_1000"],
        ),
        (
            "One-note incremental rebuild",
            f"{f['incremental_s']:.2f} s ({f['incremental_embedded']:.0f} texts embedded)",
            "≤ 1 s",
            f["incremental_s"] <= TARGETS["incremental_s"],
        ),
    ]
    rows[2:2] = _e2e_rows(f)
    latency = "Latency is the core's `handle` per question over the evaluation questions, warm, one at a time."
    lines = _header("Benchmarks", result, latency, E2E_SENTENCE) + _table_rows(rows)
    fused = result.retrievers.get("fused", {})
    lines += [
        "",
        "## Retrievers side by side",
        "",
        "| Retriever | p50 ms | p99 ms | p50 vs fused | top-1 | top-3 | on-topic answered | off-topic declined |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for mode, r in result.retrievers.items():
        ratio = r["p50"] / fused["p50"] if fused.get("p50") else float("nan")
        lines.append(
            f"| {mode} | {r['p50']:.2f} | {r['p99']:.2f} | {ratio:.2f}× | {r.get('top1', 0):.3f} | {r.get('top3', 0):.3f} | {r.get('answered', 0):.3f} | {r.get('declined', 0):.3f} |"
        )
    if result.encoders:
        ref = result.encoders.get("sentence-transformers", {})
        lines += [
            "",
            "## Encoders side by side (one question, embedding only)",
            "",
            "| Encoder | load s | p50 ms | p99 ms | p50 vs sentence-transformers |",
            "|---|---|---|---|---|",
        ]
        for kind, e in result.encoders.items():
            ratio = e["p50"] / ref["p50"] if ref.get("p50") else float("nan")
            lines.append(f"| {kind} | {e['load_s']:.2f} | {e['p50']:.2f} | {e['p99']:.2f} | {ratio:.2f}× |")
    return "\n".join(lines) + "\n"
