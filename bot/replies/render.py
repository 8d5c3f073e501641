"""Rendering of replies from the Jinja2 templates in `bot/replies/templates/`, to typed blocks or plain text."""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import jinja2

from bot.replies.blocks import Block, parse_blocks, plain_text

TEMPLATE_DIR = Path(__file__).parent / "templates"
DISCLAIMER = "Not legal or tax advice: rules differ by country, so check local rules or ask a professional."


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Return the shared template environment (plain text: adapters escape for their platform)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


@cache
def _template(name: str) -> jinja2.Template:
    """One reply template, compiled once (the templates ship with the code and never change while it runs)."""
    return environment().get_template(f"{name}.txt.j2")


def render_blocks(name: str, **context: Any) -> list[Block]:
    """Render one template to the typed blocks of a reply.

    Args:
        name: Template file name without the `.txt.j2` ending, such as "answer".
        **context: Values the template uses.

    Returns:
        The blocks, in order (a template marks them with `::kind` lines; see `bot.replies.blocks`).
    """
    return parse_blocks(_template(name).render(**context))


def render(name: str, **context: Any) -> str:
    """Render one template to plain text (its blocks, one blank line apart).

    Args:
        name: Template file name without the `.txt.j2` ending, such as "answer".
        **context: Values the template uses.

    Returns:
        The text, stripped of surrounding blank lines.
    """
    return plain_text(render_blocks(name, **context)).strip()


def template_names() -> list[str]:
    """List every reply template's name."""
    return sorted(p.name.removesuffix(".txt.j2") for p in TEMPLATE_DIR.glob("*.txt.j2"))


def render_answer(label: str, suggestions: list[str], **context: Any) -> list[Block]:
    """Render an answer once: its blocks, then the suggestions block when there are suggestions.

    Args:
        label: "Related topics" or "Did you mean".
        suggestions: Topic titles to offer.
        **context: The `answer` template's values.

    Returns:
        The blocks; `plain_text(blocks, with_suggestions=False)` is the body.
    """
    blocks = render_blocks("answer", **context)
    if suggestions:
        blocks += render_blocks("suggestions", label=label, suggestions=suggestions)
    return blocks
