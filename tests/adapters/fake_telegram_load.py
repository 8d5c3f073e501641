"""The fake Bot API in its own process, driving a separate `outsourcebot telegram` for `outsourcebot bench`.

Run as `python -m tests.adapters.fake_telegram_load --port-file F --questions Q.json`: it serves the fake on
127.0.0.1 (the port is written to F), waits for the bot's first getUpdates, then measures, timing everything
here, where updates leave and replies arrive:

- latency: one message at a time, from queuing the update to the bot's sendMessage;
- throughput: N chats at once, each sending its next question when its answer arrives (answers/s);
- CPU: the milliseconds of CPU each answer cost the bot (read from /proc, given its pid) and this fake,
  so a figure bound by the fake, not the bot, shows as such; and of the bot's, what its main thread used
  (the event loop: python-telegram-bot, the adapter, the HTTP client, the core's own steps on the loop),
  which load on the machine moves far less than the whole process's (onnxruntime's threads spin).

It prints one JSON object and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tests.adapters.fake_telegram import FakeTelegram

FIRST_USER = 50_000
CpuClock = Callable[[], float]
"""CPU seconds a process has used so far."""


def process_cpu(pid: int) -> CpuClock:
    """The CPU seconds (user and system, every thread) process `pid` and its children use, from /proc (Linux).

    Its children count too, so the bot's own figure holds when a profiler started it.

    Returns:
        A clock that reads it; one that reads 0 where /proc is not there.
    """
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def used(process: int) -> float:
        try:
            with open(f"/proc/{process}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{process}/task/{process}/children", encoding="ascii") as handle:
                children = [int(child) for child in handle.read().split()]
        except OSError:
            return 0.0
        # utime and stime (fields 14 and 15 of stat; the split drops the first two).
        return (int(fields[11]) + int(fields[12])) / ticks + sum(used(child) for child in children)

    return lambda: used(pid)


def main_thread_cpu(pid: int) -> CpuClock:
    """The CPU seconds the main thread of process `pid` uses, or of its first child's when it has one (a profiler).

    Returns:
        A clock that reads it; one that reads 0 where /proc is not there.
    """
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def used() -> float:
        process = pid
        try:
            while True:
                with open(f"/proc/{process}/task/{process}/children", encoding="ascii") as handle:
                    children = handle.read().split()
                if not children:
                    break
                process = int(children[0])
            with open(f"/proc/{process}/task/{process}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / ticks

    return used


async def _more_than(fake: FakeTelegram, count: int, timeout: float) -> None:
    """Wait until the bot has sent more than `count` messages in all."""
    await fake.wait_for(lambda: len(fake.sent) > count, timeout=timeout)


async def _one_at_a_time(fake: FakeTelegram, questions: list[str], count: int) -> list[float]:
    samples = []
    for n in range(count):
        before = len(fake.sent)
        started = time.perf_counter()
        fake.push_private(FIRST_USER + n % 50, questions[n % len(questions)])
        await _more_than(fake, before, 60)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def _chats_at_once(
    fake: FakeTelegram, questions: list[str], chats: int, rounds: int, bot_cpu: CpuClock, bot_loop_cpu: CpuClock
) -> dict[str, float]:
    users = [FIRST_USER + 1000 + chats * 10 + n for n in range(chats)]
    left = dict.fromkeys(users, rounds - 1)
    pushed = {}
    seen = len(fake.sent)
    total = chats * rounds
    done = 0
    latencies: list[float] = []
    calls_before = len(fake.calls)
    bot_cpu_before, loop_cpu_before, fake_cpu_before = bot_cpu(), bot_loop_cpu(), time.process_time()
    # The run's questions, in turn from the first, whichever chat asks next: every size asks the same mix
    # (300 answers ask each of 300 questions once, 1,200 each four times), so sizes compare the concurrency, not
    # the questions. Before, 100 chats asked only covered questions and 400 also the 70 off-topic ones.
    asked = 0
    started = time.perf_counter()
    for user in users:
        pushed[user] = time.perf_counter()
        fake.push_private(user, questions[asked % len(questions)])
        asked += 1
    while done < total:
        await _more_than(fake, seen, 120)
        new, seen = fake.sent[seen:], len(fake.sent)
        for message in new:
            user = message["chat"]["id"]
            if user not in left:
                continue
            done += 1
            latencies.append((time.perf_counter() - pushed[user]) * 1000)
            if left[user]:
                left[user] -= 1
                pushed[user] = time.perf_counter()
                fake.push_private(user, questions[asked % len(questions)])
                asked += 1
    elapsed = time.perf_counter() - started
    typing = sum(call.method == "sendChatAction" for call in fake.calls[calls_before:])
    return {
        "answers": float(total),
        "seconds": elapsed,
        "rate": total / elapsed,
        "p50_ms": float(np.percentile(latencies, 50)),
        "bot_cpu_ms": (bot_cpu() - bot_cpu_before) * 1000 / total,
        "bot_loop_cpu_ms": (bot_loop_cpu() - loop_cpu_before) * 1000 / total,
        "fake_cpu_ms": (time.process_time() - fake_cpu_before) * 1000 / total,
        "typing_per_answer": typing / total,
    }


async def run(
    port_file: Path, questions: list[str], chats: list[int], rounds: int, one_by_one: int, bot_pid_file: Path | None
) -> dict[str, Any]:
    """Serve the fake, wait for the bot, measure; the figures as a dict."""
    fake = await FakeTelegram().start()
    try:
        tmp = port_file.with_suffix(".tmp")
        tmp.write_text(str(fake.port), encoding="utf-8")
        tmp.replace(port_file)
        await fake.wait_for(lambda: fake.calls_to("getUpdates"), timeout=300)
        pid = bot_pid_file.read_text(encoding="utf-8").strip() if bot_pid_file and bot_pid_file.exists() else ""
        bot_cpu = process_cpu(int(pid)) if pid else (lambda: 0.0)
        bot_loop_cpu = main_thread_cpu(int(pid)) if pid else (lambda: 0.0)
        await _one_at_a_time(fake, questions, 10)  # warm-up
        samples = await _one_at_a_time(fake, questions, one_by_one)
        result: dict[str, Any] = {f"p{p}_ms": float(np.percentile(samples, p)) for p in (50, 95, 99)}
        for count in chats:
            result[f"chats_{count}"] = await _chats_at_once(fake, questions, count, rounds, bot_cpu, bot_loop_cpu)
        return result
    finally:
        await fake.close()


def main() -> None:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True, help="JSON list of questions")
    parser.add_argument("--chats", type=int, nargs="+", default=[100, 400])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one-by-one", type=int, default=100)
    parser.add_argument("--bot-pid-file", type=Path, help="where the bot's process id is written (for its CPU)")
    args = parser.parse_args()
    questions = json.loads(args.questions.read_text(encoding="utf-8"))
    figures = asyncio.run(run(args.port_file, questions, args.chats, args.rounds, args.one_by_one, args.bot_pid_file))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
