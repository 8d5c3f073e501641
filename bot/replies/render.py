"""Rendering of replies from the Jinja2 templates in `bot/templates/`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

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


def render(name: str, **context: Any) -> str:
    """Render one template to plain text.

    Args:
        name: Template file name without the `.txt.j2` ending, such as "answer".
        **context: Values the template uses.

    Returns:
        The text, stripped of surrounding blank lines.
    """
    return environment().get_template(f"{name}.txt.j2").render(**context).strip()


def template_names() -> list[str]:
    """List every reply template's name."""
    return sorted(p.name.removesuffix(".txt.j2") for p in TEMPLATE_DIR.glob("*.txt.j2"))


def render_answer(label: str, suggestions: list[str], **context: Any) -> tuple[str, str]:
    """Render an answer once: its body, and the body with the closing line of suggestions.

    Args:
        label: "Related topics" or "Did you mean".
        suggestions: Topic titles to offer (none: both texts are the body).
        **context: The `answer` template's values.

    Returns:
        (body, text): adapters that show suggestions as buttons send the body.
    """
    body = render("answer", **context)
    if not suggestions:
        return body, body
    return body, f"{body}\n\n" + render("suggestions", label=label, suggestions=suggestions)
