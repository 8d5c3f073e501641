"""End-to-end Telegram benchmark: `outsourcebot telegram` in one process, the fake Bot API in another.

The fake (tests/adapters/fake_telegram_load.py, so this needs a checkout with its tests) times each
update from the moment it is queued to the bot's sendMessage; the bot runs exactly as deployed, long
polling 127.0.0.1, with the per-user rate limit off and a throw-away data folder holding a copy of the index.
`outsourcebot bench --only e2e` runs this part alone, and with `--profile FILE` under py-spy.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config import REPO_DIR, Settings
from bot.maintainers.bench_markdown import BenchResult, finished, started_result

LOAD_MODULE = "tests.adapters.fake_telegram_load"
TOKEN = "123456789:TEST-token_ABCdefGHIjklMNOpqrSTUvwxYZ0"  # the fake's token
PROFILE_RATE = 100
"""py-spy samples per second: enough for the top frames, light enough not to move them."""


def available() -> bool:
    """Whether the fake server is here (a checkout with its tests)."""
    return (REPO_DIR / "tests" / "adapters" / "fake_telegram_load.py").is_file()


def measure_telegram_end_to_end(
    settings: Settings,
    questions: list[str],
    say: Callable[[str], None],
    chats: tuple[int, ...] = (100, 400),
    rounds: int = 3,
    bot_command: list[str] | None = None,
) -> dict[str, Any]:
    """Run the fake and the bot in two processes and return the fake's figures.

    Args:
        settings: Where the built index is (copied into a throw-away data folder).
        questions: What the chats ask.
        say: Progress lines.
        chats: Sizes of the all-at-once runs.
        rounds: Questions each chat asks in those runs.
        bot_command: The bot's command line (default `outsourcebot telegram`; py-spy can wrap it).

    Returns:
        p50/p95/p99 latency one at a time and, per size, answers/s.
    """
    with tempfile.TemporaryDirectory(prefix="outsourcebot-e2e-") as tmp:
        folder = Path(tmp)
        data = folder / "data"
        data.mkdir()
        if settings.index_dir.is_dir():
            shutil.copytree(settings.index_dir, data / settings.index_dir.name)
        for name in ("model", "models", "cache"):
            if (settings.data_dir / name).is_dir():
                shutil.copytree(settings.data_dir / name, data / name)
        (folder / "questions.json").write_text(json.dumps(questions), encoding="utf-8")
        port_file, pid_file = folder / "port", folder / "bot.pid"
        fake = subprocess.Popen(
            [
                sys.executable,
                "-m",
                LOAD_MODULE,
                "--port-file",
                str(port_file),
                "--questions",
                str(folder / "questions.json"),
                "--rounds",
                str(rounds),
                "--bot-pid-file",
                str(pid_file),
                "--chats",
                *map(str, chats),
            ],
            cwd=REPO_DIR,
            stdout=subprocess.PIPE,
            text=True,
        )
        bot = None
        try:
            deadline = time.monotonic() + 60
            while not port_file.exists():
                if fake.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the fake Bot API did not start")
                time.sleep(0.1)
            env = {
                **os.environ,
                "HF_HUB_OFFLINE": "1",
                "OUTSOURCEBOT_DATA_DIR": str(data),
                "OUTSOURCEBOT_KNOWLEDGE_DIR": str(settings.knowledge_dir),
                "OUTSOURCEBOT_RATE_LIMIT": "0",
                "OUTSOURCEBOT_LOG_LEVEL": "WARNING",
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_URL": f"http://127.0.0.1:{port_file.read_text(encoding='utf-8').strip()}/bot",
            }
            for name in ("TELEGRAM_WEBHOOK_URL", "TELEGRAM_ADMIN_IDS"):
                env.pop(name, None)
            say(
                f"  bot and fake Bot API in two processes: one at a time, then {' and '.join(map(str, chats))} chats at once..."
            )
            with open(folder / "bot.log", "w", encoding="utf-8") as log_file:  # a pipe nobody reads could fill
                bot = subprocess.Popen(
                    bot_command or telegram_command(), env=env, cwd=folder, stdout=log_file, stderr=log_file
                )
            pid_file.write_text(str(bot.pid), encoding="utf-8")
            out, _ = fake.communicate(timeout=900)
            if fake.returncode != 0:
                tail = (folder / "bot.log").read_text(encoding="utf-8", errors="replace")[-2000:]
                raise RuntimeError(f"the end-to-end run failed (exit {fake.returncode}); the bot's log ends:\n{tail}")
            return dict(json.loads(out.strip().splitlines()[-1]))
        finally:
            for process in (bot, fake):
                if process is not None and process.poll() is None:
                    process.send_signal(signal.SIGINT)  # the bot's own clean stop (and py-spy writes its profile)
                    try:
                        process.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        process.kill()


def telegram_command() -> list[str]:
    """`outsourcebot telegram`, as this Python installed it."""
    return [shutil.which("outsourcebot") or str(Path(sys.executable).with_name("outsourcebot")), "telegram"]


def profiled(command: list[str], output: Path) -> list[str]:
    """`command` run under py-spy, which writes its profile to `output` (an .svg flame graph, else collapsed stacks).

    Raises:
        RuntimeError: When py-spy is not installed.
    """
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).is_file():
        raise RuntimeError("py-spy is not installed: pip install py-spy (it needs no other package)")
    kind = "flamegraph" if output.suffix == ".svg" else "raw"
    return [spy, "record", "--rate", str(PROFILE_RATE), "--format", kind, "--output", str(output), "--", *command]


def run_figures(
    settings: Settings,
    questions: list[str],
    say: Callable[[str], None],
    chats: tuple[int, ...] = (100, 400),
    profile: Path | None = None,
) -> dict[str, float]:
    """Measure end to end and return the figures flat, as `BenchResult.figures` keeps them (`e2e_...`)."""
    command = profiled(telegram_command(), profile) if profile else None
    raw = measure_telegram_end_to_end(settings, questions, say, chats=chats, bot_command=command)
    figures = {f"e2e_{key}": float(value) for key, value in raw.items() if not isinstance(value, dict)}
    for key, run in raw.items():
        if isinstance(run, dict):
            figures.update({f"e2e_{key}_{name}": float(value) for name, value in run.items() if name != "answers"})
    return figures


def run_only(
    settings: Settings, say: Callable[[str], None], chats: tuple[int, ...] = (100, 400), profile: Path | None = None
) -> BenchResult:
    """The end-to-end run alone (`outsourcebot bench --only e2e`), with the load average beside it.

    Args:
        settings: Where the built index is.
        say: Progress lines.
        chats: Sizes of the all-at-once runs.
        profile: Where py-spy writes the bot's profile (None: no profiler).

    Returns:
        The figures.

    Raises:
        RuntimeError: When the fake Bot API is absent (no tests in this installation) or py-spy is.
    """
    from bot.maintainers.evaluation import load_cases
    from bot.search.text import clean_text

    if not available():
        raise RuntimeError("the fake Bot API lives in tests/, which this installation does not have")
    started = time.perf_counter()
    result = started_result(say, "outsourcebot bench --only e2e")
    questions = [clean_text(case.question) for case in load_cases()]
    result.figures = run_figures(settings, questions, say, chats, profile)
    finished(result, started)
    if profile:
        say(f"profile of the bot written to {profile}")
    return result
