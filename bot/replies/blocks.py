"""The typed blocks a reply is made of, and their plain-text form.

Templates mark each block with a tag line, `::kind` or `::kind Label` (see `bot/replies/templates/`);
`parse_blocks` reads those tags back into blocks. Every adapter renders the blocks its own way
(Telegram HTML, Discord embeds, console text) and never re-parses text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class BlockKind(StrEnum):
    """What a block is, so each platform can style it."""

    HEADING = "heading"
    """The answer's title."""
    PARAGRAPH = "paragraph"
    """Text; with a `label`, a short section ("Label:" on its own first line)."""
    BULLETS = "bullets"
    """A labelled list ("Key points:" then one item a line)."""
    NOTICE = "notice"
    """A line about the input itself (for example that it was cut)."""
    DISCLAIMER = "disclaimer"
    """The "not legal or tax advice" caveat."""
    SOURCES = "sources"
    """The books and articles a note's facts come from."""
    SUGGESTIONS = "suggestions"
    """Where the reply offers its suggestions: `label` names them, `text` is the sentence in plain text."""


@dataclass(frozen=True)
class Block:
    """One typed piece of a reply.

    Attributes:
        kind: What the block is.
        text: Its words (heading, paragraph, notice, disclaimer, the suggestions sentence).
        items: The entries of a list (bullets, sources).
        label: The name of a list, section or suggestions ("Key points", "Sources", "Related topics").
    """

    kind: BlockKind
    text: str = ""
    items: tuple[str, ...] = ()
    label: str = ""


_TAG = re.compile(r"^::(?P<kind>[a-z]+)(?: (?P<label>.*))?$")
_LISTS = (BlockKind.BULLETS, BlockKind.SOURCES)
_KINDS = {k.value for k in BlockKind}
_BLANK_LINES = re.compile(r"\n[ \t]*\n+")


def parse_blocks(rendered: str) -> list[Block]:
    """Read a template's tagged output into blocks.

    Text before the first tag is paragraphs, one per run of lines between blank lines; after a
    tag, its lines are the block's text (or, for a list, one item a line).

    A line like `::word` whose word is no block kind stays text.
    """
    blocks: list[Block] = []
    kind: BlockKind | None = None
    label = ""
    lines: list[str] = []

    def flush() -> None:
        text = "\n".join(lines).strip("\n")
        if kind is None:
            blocks.extend(Block(BlockKind.PARAGRAPH, p.strip("\n")) for p in _BLANK_LINES.split(text) if p.strip())
        elif kind in _LISTS:
            blocks.append(Block(kind, items=tuple(line.strip() for line in lines if line.strip()), label=label))
        elif text.strip() or kind == BlockKind.SUGGESTIONS:
            blocks.append(Block(kind, text, label=label))
        lines.clear()

    for line in rendered.split("\n"):
        tag = _TAG.match(line)
        if tag is None or tag["kind"] not in _KINDS:  # not a tag: text that happens to start with "::"
            lines.append(line)
            continue
        flush()
        kind, label = BlockKind(tag["kind"]), (tag["label"] or "").strip()
    flush()
    return blocks


def block_text(block: Block) -> str:
    """One block as plain text (empty for suggestions without a sentence)."""
    if block.kind == BlockKind.BULLETS:
        return "\n".join([f"{block.label}:", *(f"• {item}" for item in block.items)])
    if block.kind == BlockKind.SOURCES:
        return f"{block.label}: " + "; ".join(block.items)
    if block.kind == BlockKind.PARAGRAPH and block.label:
        return f"{block.label}:\n{block.text}"
    return block.text


def plain_text(blocks: list[Block], with_suggestions: bool = True) -> str:
    """Blocks as plain text, one blank line between them."""
    parts = (block_text(b) for b in blocks if with_suggestions or b.kind != BlockKind.SUGGESTIONS)
    return "\n\n".join(p for p in parts if p)
