"""The console offers "more" under an answer whose note has parts not yet shown, and stops once all is shown."""

from __future__ import annotations

from pathlib import Path

from tests.adapters.samples import LONG_NOTE
from tests.adapters.test_console import converse, turns
from tests.conftest import make_core

HINT = '(More on Help for a bakery: type "more")'


def test_more_is_offered_until_the_note_is_shown_in_full(tiny_knowledge: Path, tmp_path: Path) -> None:
    (tiny_knowledge / "bakery-help.md").write_text(LONG_NOTE, encoding="utf-8")
    core = make_core(tiny_knowledge, tmp_path / "data")
    output, _ = converse(core, "who can help run a bakery", "more", "more", "more", "more", "/quit")
    answers = turns(output)[1:]
    offered = [HINT in a for a in answers]
    assert offered[0], "the first answer offers more"
    assert False in offered, "once everything is shown, more is no longer offered"
    last_offer = offered.index(False)
    assert all(offered[:last_offer]) and not any(offered[last_offer:])
    assert "That's everything I have on Help for a bakery" in answers[-1]
