"""Settings are checked at start-up and fail with a message that says how to fix them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_knowledge: Path) -> pytest.MonkeyPatch:
    """A clean environment pointing at temporary folders."""
    for key in (
        "OUTSOURCEBOT_THRESHOLD",
        "OUTSOURCEBOT_LOG_LEVEL",
        "OUTSOURCEBOT_ENCODER",
        "OUTSOURCEBOT_RATE_LIMIT",
        "OUTSOURCEBOT_RATE_WINDOW",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("OUTSOURCEBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OUTSOURCEBOT_KNOWLEDGE_DIR", str(tiny_knowledge))
    return monkeypatch


def test_defaults_load_and_create_the_data_folder(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.data_dir.is_dir() and 0 < settings.threshold < 1 and settings.encoder == "onnx"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("OUTSOURCEBOT_THRESHOLD", "7", "must be between 0 and 1"),
        ("OUTSOURCEBOT_THRESHOLD", "-1", "must be between 0 and 1"),
        ("OUTSOURCEBOT_THRESHOLD", "abc", "is not a number"),
        ("OUTSOURCEBOT_LOG_LEVEL", "LOUD", "OUTSOURCEBOT_LOG_LEVEL='LOUD' is unknown"),
        ("OUTSOURCEBOT_ENCODER", "bogus", "OUTSOURCEBOT_ENCODER='bogus' is unknown"),
        ("OUTSOURCEBOT_RATE_WINDOW", "0", "OUTSOURCEBOT_RATE_WINDOW"),
        ("OUTSOURCEBOT_RETENTION_DAYS", "-5", r"OUTSOURCEBOT_RETENTION_DAYS=-5 .*0 keeps everything.*=180"),
    ],
)
def test_bad_values_say_how_to_fix_them(env: pytest.MonkeyPatch, key: str, value: str, message: str) -> None:
    env.setenv(key, value)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_a_data_folder_that_is_a_file_is_refused(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env.setenv("OUTSOURCEBOT_DATA_DIR", str(blocker))
    with pytest.raises(ConfigError, match="is not a writable folder"):
        load_settings()


def test_a_knowledge_folder_that_is_a_file_is_named_as_such(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_text("x")
    env.setenv("OUTSOURCEBOT_KNOWLEDGE_DIR", str(note))
    with pytest.raises(ConfigError, match="is not a folder"):
        load_settings()


def test_the_data_folder_is_created_private_whatever_the_umask(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        settings = load_settings()
    finally:
        os.umask(old)
    assert settings.data_dir.stat().st_mode & 0o777 == 0o700
