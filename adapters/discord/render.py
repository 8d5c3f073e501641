"""Reply -> Discord messages: embeds and text within Discord's length limits.

Discord rejects a message whose content passes 2,000 characters or whose embeds
pass their limits (title 256, description 4,096, field 1,024, footer 2,048,
25 fields, 6,000 characters in all). Long text is split at paragraph, line or
word boundaries into several messages, each non-final part marked "more"; a
single key point too long for a field is trimmed, also marked.

The core's text is plain (`bot.replies`), and some of it is users' own words (the
unanswered questions in /stats): Discord would read Markdown in it, so a question
like `[rotate your token](https://evil.example)` would become a masked link. Every
block's text is escaped before it is laid out; only this module's own markers
("more below") are Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import discord
from discord.utils import escape_markdown

from bot.messages import Reply, ReplyKind
from bot.replies.blocks import BlockKind, block_text

CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
FIELDS_PER_EMBED = 25
EMBED_TOTAL_LIMIT = 6000
MAX_PARTS = 6
"""A reply longer than this many messages is cut: nobody reads a seventh screen."""

MORE = "\n*… more below*"
CUT = "…"
COLOUR = discord.Colour(0x2B6CB0)

EMBED_KINDS = (ReplyKind.ANSWER, ReplyKind.FALLBACK, ReplyKind.HELP, ReplyKind.TOPICS, ReplyKind.STATS)
"""Reply kinds shown as an embed; the rest (short personal notes) go as plain content."""

_TITLES = {
    ReplyKind.FALLBACK: "No confident answer",
    ReplyKind.HELP: "outsourcebot",
    ReplyKind.TOPICS: "Topics",
    ReplyKind.STATS: "Usage",
}


@dataclass
class Part:
    """One message to send: plain content, an embed, or both."""

    content: str | None = None
    embed: discord.Embed | None = None


def trim(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, ending with "…" when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(CUT)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + CUT


def split_text(text: str, limit: int) -> list[str]:
    """Split text into chunks of at most `limit` characters, preferring paragraph, line, then word breaks.

    Every chunk but the last ends with a "more" marker, counted within `limit`.
    """
    if len(text) <= limit:
        return [text]
    room = limit - len(MORE)
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:room]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = window.rfind(separator)
            if cut > room // 3:
                break
        if cut <= 0:
            cut = room
        chunks.append(rest[:cut].rstrip() + MORE)
        rest = rest[cut:].lstrip()
    chunks.append(rest)
    return chunks


def _cap(parts: list[Part]) -> list[Part]:
    if len(parts) <= MAX_PARTS:
        return parts
    kept = parts[:MAX_PARTS]
    last = kept[-1]
    if last.embed is not None and last.embed.description:
        last.embed.description = (
            trim(last.embed.description.removesuffix(MORE), DESCRIPTION_LIMIT - 40)
            + " (reply cut: too long for Discord)"
        )
    elif last.content:
        last.content = trim(last.content.removesuffix(MORE), CONTENT_LIMIT - 40) + " (reply cut: too long for Discord)"
    return kept


def _fields(label: str, items: list[str]) -> list[tuple[str, str]]:
    """Pack bullet items into as few fields as fit, each value within the field limit."""
    fields: list[tuple[str, str]] = []
    current: list[str] = []
    size = 0
    for item in items:
        line = trim(f"• {item}", FIELD_VALUE_LIMIT)
        if current and size + 1 + len(line) > FIELD_VALUE_LIMIT:
            fields.append((label if not fields else f"{label} (more)", "\n".join(current)))
            current, size = [], 0
        current.append(line)
        size += len(line) + (1 if size else 0)
    if current:
        fields.append((label if not fields else f"{label} (more)", "\n".join(current)))
    return fields


def _new_embed(title: str, description: str | None = None) -> discord.Embed:
    return discord.Embed(title=trim(title, TITLE_LIMIT) or None, description=description, colour=COLOUR)


def render_answer(reply: Reply) -> list[discord.Embed]:
    """Lay out an answer as embeds: heading as title, paragraphs, lists as fields, sources in the footer."""
    title = reply.title or "Answer"
    descriptions = split_text(reply.answer or reply.body, DESCRIPTION_LIMIT)
    embeds = [_new_embed(title, descriptions[0])]
    embeds += [_new_embed(f"{title} (continued)", chunk) for chunk in descriptions[1:]]
    fields: list[tuple[str, str]] = []
    for block in reply.blocks:
        if block.kind == BlockKind.BULLETS:
            fields += _fields(block.label, list(block.items))
        elif block.kind == BlockKind.DISCLAIMER:
            fields.append(("Please note", trim(block.text, FIELD_VALUE_LIMIT)))
    if reply.suggestions:
        fields.append((trim(reply.suggestion_label or "Related topics", FIELD_NAME_LIMIT), "Pick a button below."))
    sources = reply.block(BlockKind.SOURCES)
    footer = trim(block_text(sources), FOOTER_LIMIT) if sources else ""
    for name, value in fields:
        embed = embeds[-1]
        if (
            len(embed.fields) >= FIELDS_PER_EMBED
            or len(embed) + len(name) + len(value) + len(footer) > EMBED_TOTAL_LIMIT
        ):
            embed = _new_embed(f"{title} (continued)")
            embeds.append(embed)
        embed.add_field(name=name, value=value, inline=False)
    if footer:
        embeds[-1].set_footer(text=footer)
    return embeds


def escape_reply(reply: Reply) -> Reply:
    """The reply with Markdown escaped in every block's text and items, so Discord shows them as typed.

    Headings stay as they are: they are note titles (never users' words) and become embed titles.
    """
    blocks = [
        block
        if block.kind == BlockKind.HEADING
        else replace(block, text=escape_markdown(block.text), items=tuple(escape_markdown(i) for i in block.items))
        for block in reply.blocks
    ]
    return replace(reply, blocks=blocks)


def render_reply(reply: Reply) -> list[Part]:
    """Turn a core reply into the messages to send, in order, each within Discord's limits.

    Args:
        reply: What the core answered (plain text; Markdown in it is escaped here).

    Returns:
        One or more parts; buttons belong under the last one.
    """
    reply = escape_reply(reply)
    if reply.kind == ReplyKind.ANSWER:
        embeds = render_answer(reply)
        parts = [Part(embed=e) for e in embeds]
        if reply.notice:
            parts[0].content = trim(reply.notice, CONTENT_LIMIT)
    elif reply.kind in EMBED_KINDS:
        title = _TITLES.get(reply.kind, "")
        chunks = split_text(reply.body, DESCRIPTION_LIMIT)
        parts = [
            Part(embed=_new_embed(title if i == 0 else f"{title} (continued)", chunk)) for i, chunk in enumerate(chunks)
        ]
    else:
        parts = [Part(content=chunk) for chunk in split_text(reply.text, CONTENT_LIMIT)]
    return _cap(parts)


def render_text(text: str) -> list[Part]:
    """Plain text as one or more content messages (Markdown in it escaped)."""
    return _cap([Part(content=chunk) for chunk in split_text(escape_markdown(text), CONTENT_LIMIT)])
