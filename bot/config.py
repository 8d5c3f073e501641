"""Settings from the environment (and `.env`), checked at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
ENCODERS = ("onnx", "numpy", "sentence-transformers")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_THRESHOLD = 0.41  # chosen with `outsourcebot eval` together with bot.search.answerability


class ConfigError(ValueError):
    """A setting is missing or wrong; the message says how to fix it."""


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "outsourcebot"


def load_dotenv_file(path: Path | None = None) -> None:
    """Read `.env` (current folder, then the repo) into the environment without overriding it."""
    try:
        from dotenv import load_dotenv
    except ImportError:  # pragma: no cover - python-dotenv is a dependency
        return
    for candidate in [path] if path else [Path.cwd() / ".env", REPO_DIR / ".env"]:
        if candidate and candidate.is_file():
            load_dotenv(candidate, override=False)
            return


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number; set it like {name}={default}") from None


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number; set it like {name}={default}") from None


@dataclass(frozen=True)
class Settings:
    """Everything the core needs to start.

    Attributes:
        data_dir: Where the index, embedding cache and database live.
        knowledge_dir: The folder of Markdown notes.
        encoder: "onnx" (fast, torch-free, default), "numpy" or "sentence-transformers" (reference).
        threshold: Confidence below which the bot declines to answer.
        rate_limit: Messages a user may send per `rate_window` seconds.
        retention_days: Stored questions older than this are deleted.
    """

    data_dir: Path
    knowledge_dir: Path
    encoder: str = "onnx"
    threshold: float = 0.0
    rate_limit: int = 12
    rate_window: float = 60.0
    retention_days: int = 180
    salt: str = ""

    @property
    def db_path(self) -> Path:
        """The SQLite database of conversations, feedback and unanswered questions."""
        return self.data_dir / "outsourcebot.db"

    @property
    def model_cache_dir(self) -> Path:
        """Where the ONNX graph generated from the packaged model is kept."""
        return self.data_dir / "model"

    @property
    def index_dir(self) -> Path:
        """Where built indexes are kept."""
        return self.data_dir / "index"


def load_settings() -> Settings:
    """Build settings from the environment, failing with a message that says how to fix it.

    Returns:
        The checked settings.

    Raises:
        ConfigError: When a value is malformed or a folder is unusable.
    """
    load_dotenv_file()
    data_dir = Path(os.environ.get("OUTSOURCEBOT_DATA_DIR") or _default_data_dir()).expanduser()
    knowledge_dir = Path(os.environ.get("OUTSOURCEBOT_KNOWLEDGE_DIR") or REPO_DIR / "knowledge").expanduser()
    encoder = os.environ.get("OUTSOURCEBOT_ENCODER", "onnx").strip() or "onnx"
    if encoder not in ENCODERS:
        raise ConfigError(f"OUTSOURCEBOT_ENCODER={encoder!r} is unknown; use one of: {', '.join(ENCODERS)}")
    if not knowledge_dir.is_dir():
        what = "is not a folder" if knowledge_dir.exists() else "does not exist"
        raise ConfigError(
            f"knowledge folder {knowledge_dir} {what}; set OUTSOURCEBOT_KNOWLEDGE_DIR to the folder of notes"
        )
    level = os.environ.get("OUTSOURCEBOT_LOG_LEVEL", "").strip().upper()
    if level and level not in LOG_LEVELS:
        raise ConfigError(f"OUTSOURCEBOT_LOG_LEVEL={level!r} is unknown; use one of: {', '.join(LOG_LEVELS)}")
    threshold = _float("OUTSOURCEBOT_THRESHOLD", DEFAULT_THRESHOLD)
    if not 0.0 < threshold < 1.0:
        raise ConfigError(
            f"OUTSOURCEBOT_THRESHOLD={threshold} must be between 0 and 1 (the default {DEFAULT_THRESHOLD} comes from `outsourcebot eval`)"
        )
    rate_limit, rate_window = _int("OUTSOURCEBOT_RATE_LIMIT", 12), _float("OUTSOURCEBOT_RATE_WINDOW", 60.0)
    if rate_limit < 0 or rate_window <= 0:
        raise ConfigError(
            "OUTSOURCEBOT_RATE_LIMIT must be 0 (off) or more and OUTSOURCEBOT_RATE_WINDOW more than 0 seconds"
        )
    retention_days = _int("OUTSOURCEBOT_RETENTION_DAYS", 180)
    if retention_days < 0:
        raise ConfigError(
            f"OUTSOURCEBOT_RETENTION_DAYS={retention_days} cannot be negative; set the days to keep stored "
            "questions (0 keeps everything), like OUTSOURCEBOT_RETENTION_DAYS=180"
        )
    return Settings(
        data_dir=_writable_folder(data_dir),
        knowledge_dir=knowledge_dir,
        encoder=encoder,
        threshold=threshold,
        rate_limit=rate_limit,
        rate_window=rate_window,
        retention_days=retention_days,
        salt=os.environ.get("OUTSOURCEBOT_SALT", ""),
    )


def _writable_folder(folder: Path) -> Path:
    """Create the data folder if needed and make sure files can be written in it."""
    try:
        # Private to this user: the database holds users' questions (an existing folder is left as it is).
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"OUTSOURCEBOT_DATA_DIR={folder} is not a writable folder ({exc.strerror or exc}); "
            "set it to a folder this user can write, e.g. ~/.local/share/outsourcebot"
        ) from None
    return folder
