"""A core `Reply` as Telegram messages: escaped HTML, split under the length limit, with buttons.

The words come from the core's templates, as typed blocks; this module only styles each block
(bold headings and list labels, italic notices and disclaimers), escapes every piece of text,
splits long replies at paragraph boundaries and turns suggestions and feedback into inline
keyboards.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from adapters.telegram.callbacks import FEEDBACK, feedback_data, more_data, topic_data
from bot.messages import Reply, ReplyKind
from bot.replies.blocks import BlockKind, block_text

log = logging.getLogger(__name__)

MAX_MESSAGE_LENGTH = 4096
"""Telegram's limit on a message's text. Telegram counts UTF-16 code units, and so do we."""

FEEDBACK_KINDS = (ReplyKind.ANSWER, ReplyKind.FALLBACK)
STYLES = {BlockKind.HEADING: "bold", BlockKind.NOTICE: "italic", BlockKind.DISCLAIMER: "italic"}
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")


@dataclass(frozen=True)
class Chunk:
    """One Telegram message: HTML, and the same text plain for when Telegram rejects the HTML."""

    html: str
    plain: str


@dataclass(frozen=True)
class RenderedReply:
    """A reply ready to send: messages in order, and the keyboard that goes under the last one."""

    chunks: list[Chunk]
    keyboard: InlineKeyboardMarkup | None


@dataclass(frozen=True)
class _Block:
    text: str
    style: str  # "plain", "bold", "italic" or "heading" (first line bold)


def telegram_length(text: str) -> int:
    """Length of `text` as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    """Escape text for Telegram's HTML parse mode (`<`, `>` and `&`)."""
    return html.escape(text, quote=False)


def _block_html(text: str, style: str) -> str:
    if style == "bold":
        return f"<b>{escape(text)}</b>"
    if style == "italic":
        return f"<i>{escape(text)}</i>"
    if style == "heading":
        first, newline, rest = text.partition("\n")
        return f"<b>{escape(first)}</b>{newline}{escape(rest)}"
    return escape(text)


def _blocks(reply: Reply) -> list[_Block]:
    blocks = []
    for block in reply.blocks:
        if block.kind == BlockKind.SUGGESTIONS:  # shown as buttons, under their label
            continue
        labelled = block.kind == BlockKind.BULLETS or (block.kind == BlockKind.PARAGRAPH and bool(block.label))
        style = "heading" if labelled else STYLES.get(block.kind, "plain")
        for number, paragraph in enumerate(_PARAGRAPH_BREAK.split(block_text(block).strip())):
            paragraph = paragraph.strip("\n")
            if paragraph.strip():
                blocks.append(_Block(paragraph, "plain" if style == "heading" and number else style))
    if reply.suggestions and reply.suggestion_label and reply.kind != ReplyKind.TOPICS:
        blocks.append(_Block(f"{reply.suggestion_label}:", "italic"))
    return blocks


def _fits(block: _Block, room: int) -> bool:
    return telegram_length(_block_html(block.text, block.style)) <= room


def _take_prefix(block: _Block, room: int) -> tuple[_Block, _Block | None]:
    """Cut the longest head of an oversized paragraph that fits in `room`: at a line break, else a space, else anywhere."""
    text = block.text
    rest_style = "plain" if block.style == "heading" else block.style

    def longest(cuts: list[int]) -> int | None:
        # The HTML length grows with the head, so the longest fitting cut is found by bisection.
        low, high, best = 0, len(cuts) - 1, None
        while low <= high:
            mid = (low + high) // 2
            if _fits(_Block(text[: cuts[mid]], block.style), room):
                best, low = cuts[mid], mid + 1
            else:
                high = mid - 1
        return best

    for sep in ("\n", " "):
        cut = longest([i for i, ch in enumerate(text) if ch == sep and text[:i].strip()])
        if cut is not None and (sep == " " or cut >= len(text[:room]) // 2):
            rest = text[cut + 1 :]
            return _Block(text[:cut], block.style), (_Block(rest, rest_style) if rest.strip() else None)
    cut = longest(list(range(1, len(text)))) or 1
    return _Block(text[:cut], block.style), _Block(text[cut:], rest_style)


MIN_ROOM = 512
"""Below this much room left in a message, an oversized paragraph starts a new message instead."""


def split_blocks(blocks: list[_Block], limit: int = MAX_MESSAGE_LENGTH) -> list[Chunk]:
    """Pack paragraphs into as few messages as fit under `limit`.

    A paragraph that fits in a message is never split: it moves to the next message when the
    current one is full. A paragraph longer than a whole message fills the current message and
    continues in the next, cut at a line break, a space, or (for one endless word) anywhere.
    """
    chunks: list[Chunk] = []
    current: list[_Block] = []

    def size(parts: list[_Block]) -> int:
        return telegram_length("\n\n".join(_block_html(b.text, b.style) for b in parts))

    def flush() -> None:
        if current:
            chunks.append(
                Chunk("\n\n".join(_block_html(b.text, b.style) for b in current), "\n\n".join(b.text for b in current))
            )
            current.clear()

    queue = list(blocks)
    while queue:
        block = queue.pop(0)
        if size([*current, block]) <= limit:
            current.append(block)
            continue
        room = limit - size(current) - 2 if current else limit
        if _fits(block, limit) or room < min(MIN_ROOM, limit // 4):
            flush()
            queue.insert(0, block)
            continue
        head, rest = _take_prefix(block, room)
        current.append(head)
        flush()
        if rest is not None:
            queue.insert(0, rest)
    flush()
    return chunks


BUTTON_TEXT_LIMIT = 100
"""Longest button label we send (Telegram shows about this much on a phone anyway)."""


def keyboard_for(reply: Reply, with_feedback: bool = True) -> InlineKeyboardMarkup | None:
    """ "More on <title>" when the note has more to show, "You also asked" and suggestions one button a row, then 👍 / 👎."""
    rows = []
    if reply.more is not None:
        label = reply.more.title[:BUTTON_TEXT_LIMIT] or reply.more.id
        rows.append([InlineKeyboardButton(label, callback_data=more_data(reply.more.id))])
    rows += [
        [InlineKeyboardButton(s.title[:BUTTON_TEXT_LIMIT] or s.id, callback_data=topic_data(s.id))]
        for s in [*reply.also_asked, *reply.suggestions]
    ]
    if with_feedback and reply.answer_id and reply.kind in FEEDBACK_KINDS:
        up, down = feedback_data(reply.answer_id, 1), feedback_data(reply.answer_id, -1)
        if up and down:
            rows.append([InlineKeyboardButton("👍", callback_data=up), InlineKeyboardButton("👎", callback_data=down)])
        else:
            log.warning("answer id %r is too long for callback data; no feedback buttons", reply.answer_id)
    return InlineKeyboardMarkup(rows) if rows else None


def without_feedback(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """The same keyboard minus its feedback buttons (after a rating), or None when nothing is left."""
    if markup is None:
        return None
    rows = [
        [b for b in row if not (isinstance(b.callback_data, str) and b.callback_data.startswith(f"{FEEDBACK}:"))]
        for row in markup.inline_keyboard
    ]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def render_reply(reply: Reply, limit: int = MAX_MESSAGE_LENGTH, with_feedback: bool = True) -> RenderedReply:
    """Render a core reply as Telegram messages.

    Args:
        reply: What the core answered.
        limit: Longest message, in UTF-16 code units.
        with_feedback: Add 👍 / 👎 buttons when the reply has an answer id.

    Returns:
        The messages (at least one) and the keyboard for the last of them.
    """
    chunks = split_blocks(_blocks(reply), limit)
    if not chunks:
        chunks = split_blocks([_Block(reply.text.strip() or "…", "plain")], limit)
    return RenderedReply(chunks, keyboard_for(reply, with_feedback))
