"""Render a sample maintainers' report from a seeded database and screenshot it in headless Chromium.

Usage: .venv/bin/python scripts/screenshot_report.py [--output docs/report-sample.png] [--html FILE]

Needs Debian's `chromium` package (`apt-get install -y chromium`). The sample uses
the real knowledge folder and the packaged MiniLM model, a throw-away database
seeded with a first week of made-up traffic, and exits non-zero when the page does
not render (no SVG charts in the DOM, or a blank screenshot).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def render_sample_report(folder: Path) -> Path:
    """Seed a database in `folder`, build the report over the real notes and write its HTML there.

    Returns:
        The HTML file.
    """
    from bot.config import REPO_DIR, Settings
    from bot.conversation.core import Core
    from bot.maintainers.report import build_report
    from bot.maintainers.report_html import render_html
    from bot.storage.store import Store
    from tests.bot.maintainers.seeding import seed_store

    settings = Settings(data_dir=folder / "data", knowledge_dir=REPO_DIR / "knowledge", salt="sample-salt")
    core = Core.start(
        settings, store=Store(folder / "sample.db", "sample-salt"), say=lambda line: print(line, file=sys.stderr)
    )
    seed_store(core.store, sorted(core.kb.notes), days=7)
    page = folder / "report.html"
    page.write_text(render_html(build_report(core.store, core.settings, embedder=core.embedder)), encoding="utf-8")
    return page


def _chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def dump_dom(page: Path, profile: Path) -> str:
    """The DOM Chromium built from the page, as HTML text."""
    result = _chromium(page, profile, "--dump-dom")
    if result.returncode != 0:
        raise RuntimeError(f"chromium --dump-dom failed ({result.returncode}): {result.stderr[-2000:]}")
    return result.stdout


def screenshot(page: Path, png: Path, profile: Path, size: str = "1200,1600") -> None:
    """Screenshot the page in headless Chromium.

    Raises:
        RuntimeError: When Chromium fails or writes no image.
    """
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    result = _chromium(page, profile, f"--screenshot={png.resolve()}", f"--window-size={size}")
    if result.returncode != 0 or not png.is_file():
        raise RuntimeError(f"chromium --screenshot failed ({result.returncode}): {result.stderr[-2000:]}")


def distinct_colours(png: Path) -> int:
    """How many distinct colours the image has (1 for a blank page)."""
    from PIL import Image

    with Image.open(png) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    return len(colours) if colours else 1 << 20


def main() -> int:
    """Render, check and screenshot the sample report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "report-sample.png", help="PNG to write")
    parser.add_argument("--html", type=Path, help="also keep the sample HTML here")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} not found: install it with `apt-get install -y chromium`", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="outsourcebot-report-") as tmp:
        folder = Path(tmp)
        page = render_sample_report(folder)
        dom = dump_dom(page, folder / "profile")
        if dom.count("<svg") < 3 or "Unanswered questions" not in dom:
            print("the rendered DOM lacks the charts or the unanswered groups", file=sys.stderr)
            return 1
        screenshot(page, args.output, folder / "profile")
        if distinct_colours(args.output) < 10:
            print(f"{args.output} looks blank", file=sys.stderr)
            return 1
        if args.html:
            shutil.copyfile(page, args.html)
    print(f"Screenshot written: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
