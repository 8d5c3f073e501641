"""End-to-end Telegram benchmark: `outsourcebot telegram` in one process, the fake Bot API in another.

The fake (tests/adapters/fake_telegram_load.py, so this needs a checkout with its tests) times each
update from the moment it is queued to the bot's sendMessage; the bot runs exactly as deployed, long
polling 127.0.0.1, with the per-user rate limit off and a throw-away data folder holding a copy of the index.
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

LOAD_MODULE = "tests.adapters.fake_telegram_load"
TOKEN = "123456789:TEST-token_ABCdefGHIjklMNOpqrSTUvwxYZ0"  # the fake's token


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
    exe = shutil.which("outsourcebot") or str(Path(sys.executable).with_name("outsourcebot"))
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
        port_file = folder / "port"
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
            bot = subprocess.Popen(
                bot_command or [exe, "telegram"],
                env=env,
                cwd=folder,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            out, _ = fake.communicate(timeout=900)
            if fake.returncode != 0:
                raise RuntimeError(f"the end-to-end run failed (exit {fake.returncode})")
            return dict(json.loads(out.strip().splitlines()[-1]))
        finally:
            for process in (bot, fake):
                if process is not None and process.poll() is None:
                    process.send_signal(signal.SIGINT)  # the bot's own clean stop (and py-spy writes its profile)
                    try:
                        process.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        process.kill()
