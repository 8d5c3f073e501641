"""Shared fixtures: a tiny knowledge folder, fake embedder, fresh store, and a real-model core."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

# CI runs the property tests with a fixed seed and no example database, so a run is repeatable:
# a failure there reproduces locally with CI=true. Local runs keep exploring new examples.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from bot.config import REPO_DIR, Settings  # noqa: E402
from bot.conversation.core import Core  # noqa: E402
from bot.search.embedder import Embedder  # noqa: E402
from bot.storage.store import Store  # noqa: E402
from tests.fakes import HashingEmbedder  # noqa: E402

NOTE = """---
id: {id}
title: {title}
questions:
{questions}
tags: [test]
related: [{related}]
sources: ["Test source"]
updated: 2026-11-27
disclaimer: {disclaimer}
---
{answer}

## Key points

- {point}
- Second point about {title}.
"""


def write_note(
    folder: Path,
    note_id: str,
    title: str,
    questions: list[str],
    answer: str,
    related: str = "",
    point: str = "A point.",
    disclaimer: bool = False,
) -> Path:
    """Write one valid note file and return its path."""
    path = folder / f"{note_id.replace('/', '-')}.md"
    path.write_text(
        NOTE.format(
            id=note_id,
            title=title,
            questions="\n".join(f"  - {q}" for q in questions),
            related=related,
            answer=answer,
            point=point,
            disclaimer=str(disclaimer).lower(),
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def tiny_knowledge(tmp_path: Path) -> Path:
    """A knowledge folder with three small notes about pricing, contracts and the chasm."""
    folder = tmp_path / "knowledge"
    folder.mkdir()
    write_note(
        folder,
        "pricing",
        "Pricing and costs",
        ["how much does a freelancer cost", "hourly or fixed price", "freelancer rates"],
        "Freelancers charge hourly, fixed price or retainer; compare total cost.",
        related="contracts",
    )
    write_note(
        folder,
        "contracts",
        "Contracts",
        ["what goes in a freelance contract", "do I need an NDA", "who owns the IP"],
        "A freelance contract covers scope, payment, IP and confidentiality.",
        related="pricing",
        disclaimer=True,
    )
    write_note(
        folder,
        "chasm",
        "Crossing the chasm",
        ["what is the chasm", "visionaries and pragmatists", "moore chasm book"],
        "The chasm is the gap between visionaries and pragmatists in technology adoption.",
    )
    return folder


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    """A fresh deterministic fake embedder (records every call)."""
    return HashingEmbedder()


def make_settings(knowledge: Path, data: Path, **overrides: object) -> Settings:
    """Settings for tests, pointing at temporary folders."""
    values: dict[str, object] = dict(
        data_dir=data, knowledge_dir=knowledge, threshold=0.3, rate_limit=0, salt="test-salt"
    )
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def make_core(
    knowledge: Path,
    data: Path,
    *,
    embedder: Embedder | None = None,
    store: Store | None = None,
    say: Callable[[str], None] | None = None,
    **overrides: object,
) -> Core:
    """A core for tests: settings from `make_settings(knowledge, data, **overrides)`, the hashing
    embedder and an in-memory store unless others are given."""
    extra: dict[str, Any] = {} if say is None else {"say": say}
    return Core.start(
        make_settings(knowledge, data, **overrides),
        embedder=embedder if embedder is not None else HashingEmbedder(),
        store=store if store is not None else Store(None, "test-salt"),
        **extra,
    )


@pytest.fixture
def core(tiny_knowledge: Path, tmp_path: Path, fake_embedder: HashingEmbedder) -> Core:
    """A core over the tiny knowledge folder, with the fake embedder and an in-memory store."""
    return make_core(tiny_knowledge, tmp_path / "data", embedder=fake_embedder)


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings over the real knowledge folder with a session-wide data folder."""
    from bot.config import DEFAULT_THRESHOLD

    return make_settings(REPO_DIR / "knowledge", tmp_path_factory.mktemp("real-data"), threshold=DEFAULT_THRESHOLD)


@pytest.fixture(scope="session")
def real_core(real_settings: Settings) -> Core:
    """The real core: packaged MiniLM model (NumPy encoder), real notes, built once per session."""
    return Core.start(real_settings, store=Store(None, "test-salt"))


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers the suite uses."""
    config.addinivalue_line(
        "markers", "reference: loads torch and the sentence-transformers reference encoder (slow, run once)"
    )
    config.addinivalue_line(
        "markers", "install: builds a wheel and installs it into a fresh venv (minutes; `make test-install` runs it)"
    )
