"""The report opened in headless Chromium (Debian's `chromium`): the page renders with its charts and groups.

Skipped only where /usr/bin/chromium is absent; test_report.py checks the HTML itself everywhere.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bot.config import REPO_DIR
from bot.conversation.core import Core
from bot.maintainers.report import build_report
from bot.maintainers.report_html import render_html
from tests.bot.maintainers.seeding import seed_store

sys.path.insert(0, str(REPO_DIR / "scripts"))
import screenshot_report

pytestmark = pytest.mark.skipif(
    not Path(screenshot_report.CHROMIUM).exists(), reason="Debian's chromium is not installed"
)


def test_report_renders_in_headless_chromium(core: Core, tmp_path: Path) -> None:
    seed_store(
        core.store,
        ["pricing", "contracts", "chasm"],
        groups=[["pay contractor india", "pay contractor in india by bank"]],
        singles=["weather tomorrow"],
    )
    page = tmp_path / "report.html"
    page.write_text(render_html(build_report(core.store, core.settings, embedder=core.embedder)), encoding="utf-8")
    dom = screenshot_report.dump_dom(page, tmp_path / "profile")
    assert dom.count("<svg") == 3
    assert "pay contractor india" in dom and "weather tomorrow" in dom
    png = tmp_path / "report.png"
    screenshot_report.screenshot(page, png, tmp_path / "profile", size="1000,1200")
    from PIL import Image

    with Image.open(png) as image:
        assert image.size == (1000, 1200)
    assert screenshot_report.distinct_colours(png) > 10, "the screenshot is blank"


@pytest.mark.parametrize(("days", "charts"), [(1, 3), (7, 3), (0, 0)])
def test_a_day_a_week_and_an_empty_period_render_in_chromium(
    core: Core, tmp_path: Path, days: int, charts: int
) -> None:
    import datetime as dt

    if days:
        seed_store(core.store, ["pricing", "contracts", "chasm"], days=days, now=dt.datetime.now(dt.UTC))
    data = build_report(core.store, core.settings, embedder=core.embedder)
    page = tmp_path / "report.html"
    page.write_text(render_html(data), encoding="utf-8")
    dom = screenshot_report.dump_dom(page, tmp_path / "profile")
    assert dom.count("<svg") == charts
    if days:
        assert dom.count("No feedback in this period.") == 0
        assert "Every question was answered." not in dom
    else:
        assert "No questions in this period." in dom and "Every question was answered." not in dom
    assert dom.count("No feedback in this period.") <= 1
