"""What the tests of several adapters share: a note longer than one answer, a message asking two things.

The "more" tests (Telegram, Discord, console) page through `LONG_NOTE`; the "You also asked"
tests send `TWO_QUESTIONS` and expect `OFFER` for the second one.
"""

from __future__ import annotations

from pathlib import Path

from bot.conversation.core import Core
from tests.conftest import make_core

LONG_NOTE = """---
id: bakery-help
title: Help for a bakery
questions:
  - how do I get help at my bakery
  - who can help run a bakery
  - bakery staffing help
tags: [test]
related: [pricing]
sources: ["Test source"]
updated: 2026-11-27
disclaimer: false
---
A bakery can hand off bookkeeping, deliveries and the website first, and keep the baking itself.

## Key points

- Bookkeeping goes to a part-time bookkeeper for a few hours a month.
- Deliveries go to a local courier paid per drop.
- The website goes to a freelancer on a fixed price.
- Social media posts can wait until the rest runs smoothly.

## Example

A two-oven bakery moved its invoices to a bookkeeper and won back a morning every week.

## For a small business

Start with one task, measure the hours saved for a month, then pick the next.

## Rough costs

A bookkeeper costs a few hundred a month; a courier a few pounds a drop.
"""


def more_core(knowledge: Path, data: Path) -> Core:
    """The tiny knowledge plus one note with more parts than a first answer shows."""
    (knowledge / "bakery-help.md").write_text(LONG_NOTE, encoding="utf-8")
    return make_core(knowledge, data)


TWO_QUESTIONS = "how much does a freelancer cost? And what is the chasm?"
OFFER = "You also asked: Crossing the chasm"
