"""The Markdown body of a note: its opening answer, key points, sections and their own questions.

A body is the part of a note file after the YAML front matter (format: docs/knowledge-notes.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^##+\s+(.*)$")
_SECTION_QUESTION = re.compile(r"^\?\s+(.*\S)\s*$")
"""A section's own alternate question: a line `? how much does a VA in the Philippines cost` right under its heading."""
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_INLINE_MARKUP = re.compile(r"\*\*|__|`")
"""Bold (`**`, `__`) and code (backticks) markup, which the chat renderers escape and so show literally."""


@dataclass
class Body:
    """A note body split into its parts (see `KnowledgeNote`); `offsets` are 0-based lines in the body."""

    answer: str
    key_points: list[str]
    sections: list[tuple[str, str]]
    items: list[list[str]]
    questions: list[list[str]]
    offsets: list[int]
    misplaced: list[int]
    """Body lines of `? ...` questions that are not right under their heading."""


def split_body(body: str) -> Body:
    """Split a body into the first paragraph, the first section's bullets and every section with its questions."""
    intro: list[str] = []
    sections: list[tuple[str, list[str], list[str]]] = []
    offsets: list[int] = []
    misplaced: list[int] = []
    for offset, line in enumerate(body.splitlines()):
        heading = _HEADING.match(line)
        if heading:
            sections.append((heading.group(1).strip(), [], []))
            offsets.append(offset)
            continue
        question = _SECTION_QUESTION.match(line)
        if sections and question and not any(x.strip() for x in sections[-1][1]):
            sections[-1][2].append(question.group(1))
        elif question:
            misplaced.append(offset)
        elif sections:
            sections[-1][1].append(line)
        else:
            intro.append(line)
    paragraphs = [p.strip() for p in "\n".join(intro).split("\n\n") if p.strip()]
    answer = " ".join(paragraphs[0].split()) if paragraphs else ""
    key_points = _bullets(sections[0][1]) if sections else []
    texts = [(h, " ".join("\n".join(lines).split())) for h, lines, _ in sections]
    return Body(
        answer,
        key_points,
        texts,
        [_bullets(lines) for _, lines, _ in sections],
        [qs for _, _, qs in sections],
        offsets,
        misplaced,
    )


def _bullets(lines: list[str]) -> list[str]:
    """The bullets among a section's lines, continuation lines joined to their bullet."""
    items: list[str] = []
    for line in lines:
        bullet = _BULLET.match(line)
        if bullet:
            items.append(bullet.group(1).strip())
        elif items and line.startswith((" ", "\t")) and line.strip():
            items[-1] += " " + line.strip()
    return items


def markup_problems(body: str) -> list[tuple[int, str]]:
    """Inline Markdown emphasis or code in the answer paragraph or the key points, one problem per line.

    Returns:
        (0-based body line, message) pairs.
    """
    problems = []
    headings = 0
    answer_started = answer_done = False
    for offset, line in enumerate(body.splitlines()):
        if _HEADING.match(line):
            headings += 1
            if headings > 1:
                break
            continue
        if headings == 0:
            if not line.strip():
                answer_done = answer_started
                continue
            if answer_done:
                continue
            answer_started = True
        elif not (_BULLET.match(line) or (line.startswith((" ", "\t")) and line.strip())):
            continue
        match = _INLINE_MARKUP.search(line)
        if match:
            bullet = _BULLET.match(line) if headings else None
            where, text = (
                ("key point", bullet.group(1)) if bullet else ("answer" if headings == 0 else "key point", line.strip())
            )
            problems.append(
                (offset, f"inline markup shows literally in chat: {match.group(0)} in the {where} {text[:60]!r}")
            )
    return problems
