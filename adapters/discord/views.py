"""Buttons under answers: 👍/👎 feedback and topic buttons, persistent across restarts.

Each button is a `DynamicItem` whose state lives in its custom id
("ob:fb:+:<answer_id>", "ob:t:<note_id>", "ob:m:<note_id>", "ob:tp:<page>"); the
client registers the classes at start-up, so a press on a message sent before a
restart still works. The callbacks hand the work to the client
(`DiscordBot.on_feedback_press`, `DiscordBot.on_topic_press`,
`DiscordBot.on_more_press`, `DiscordBot.on_topics_page`), which owns the error
boundary.

A message holds at most 25 buttons, so the topic list is paged: 20 topics a
page and a row with ◀/▶ buttons that carry the page they lead to.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.messages import Reply

if TYPE_CHECKING:
    from adapters.discord.client import DiscordBot

CUSTOM_ID_LIMIT = 100
LABEL_LIMIT = 80
BUTTONS_PER_ROW = 5
ROWS = 5
TOPICS_PER_PAGE = (ROWS - 1) * BUTTONS_PER_ROW
"""Topic buttons on one page of /topics; the last row holds ◀/▶."""


def _bot(interaction: discord.Interaction[Any]) -> DiscordBot:
    return cast("DiscordBot", interaction.client)


class FeedbackButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"ob:fb:(?P<sign>[+-]):(?P<answer_id>[0-9A-Za-z_-]{1,80})"
):
    """👍 or 👎 for one answer; the press is stored against the answer id."""

    def __init__(self, rating: int, answer_id: str) -> None:
        sign = "+" if rating > 0 else "-"
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                emoji="👍" if rating > 0 else "👎",
                label="Helpful" if rating > 0 else "Not helpful",
                custom_id=f"ob:fb:{sign}:{answer_id}",
                row=0,
            )
        )
        self.rating = 1 if rating > 0 else -1
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FeedbackButton:
        """Rebuild the button from its custom id (after a restart too)."""
        return cls(1 if match["sign"] == "+" else -1, match["answer_id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Store the rating and thank the user privately."""
        await _bot(interaction).on_feedback_press(interaction, self.answer_id, self.rating)


class TopicButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"ob:t:(?P<note_id>[^\s]{1,95})"):
    """A "did you mean" or related topic; a press answers with that note."""

    def __init__(self, note_id: str, title: str = "", row: int | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.primary,
                label=_label(title or note_id),
                custom_id=f"ob:t:{note_id}",
                row=row,
            )
        )
        self.note_id = note_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> TopicButton:
        """Rebuild the button from its custom id (after a restart too)."""
        label = getattr(item, "label", None) or ""
        return cls(match["note_id"], label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Answer with the chosen note."""
        await _bot(interaction).on_topic_press(interaction, self.note_id)


class MoreButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"ob:m:(?P<note_id>[^\s]{1,95})"):
    """ "More on <title>": a press shows the parts of that note not yet shown in the conversation."""

    def __init__(self, note_id: str, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.success,
                label=_label(label or note_id),
                custom_id=f"ob:m:{note_id}",
                row=0,
            )
        )
        self.note_id = note_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> MoreButton:
        """Rebuild the button from its custom id (after a restart too)."""
        return cls(match["note_id"], getattr(item, "label", None) or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show more of the note."""
        await _bot(interaction).on_more_press(interaction, self.note_id)


class TopicsPageButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"ob:tp:(?P<page>[0-9]{1,3})"):
    """◀ or ▶ under the topic list; a press shows that page of topic buttons."""

    def __init__(self, page: int, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                label=label or f"Page {page + 1}",
                custom_id=f"ob:tp:{page}",
                row=ROWS - 1,
            )
        )
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> TopicsPageButton:
        """Rebuild the button from its custom id (after a restart too)."""
        return cls(int(match["page"]), getattr(item, "label", None) or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the page this button leads to."""
        await _bot(interaction).on_topics_page(interaction, self.page)


DYNAMIC_ITEMS = (FeedbackButton, TopicButton, MoreButton, TopicsPageButton)


def _label(title: str) -> str:
    return title if len(title) <= LABEL_LIMIT else title[: LABEL_LIMIT - 1].rstrip() + "…"


def _usable(note_id: str) -> bool:
    return len(f"ob:t:{note_id}") <= CUSTOM_ID_LIMIT and not any(c.isspace() for c in note_id)


def build_topics_view(reply: Reply, page: int = 0) -> discord.ui.View | None:
    """One page of a topic list's buttons, with ◀/▶ on the last row when there are more pages.

    Args:
        reply: The core's topics reply (every topic as a suggestion).
        page: Zero-based page; one past the end shows the last page.

    Returns:
        A view with no timeout, or None when there are no topics.
    """
    topics = list({s.id: s for s in reply.suggestions if _usable(s.id)}.values())
    pages = max(1, -(-len(topics) // TOPICS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    view = discord.ui.View(timeout=None)
    for number, topic in enumerate(topics[page * TOPICS_PER_PAGE : (page + 1) * TOPICS_PER_PAGE]):
        view.add_item(TopicButton(topic.id, topic.title, row=number // BUTTONS_PER_ROW))
    if page > 0:
        view.add_item(TopicsPageButton(page - 1, f"◀ Page {page} of {pages}"))
    if page + 1 < pages:
        view.add_item(TopicsPageButton(page + 1, f"Page {page + 2} of {pages} ▶"))
    return view if view.children else None


def build_view(reply: Reply) -> discord.ui.View | None:
    """The buttons for a reply: "More on <title>" and feedback on the first row, then "You also asked" and topics.

    A topic list gets its first page of buttons (`build_topics_view`).

    Returns:
        A view with no timeout, or None when the reply needs no buttons.
    """
    if reply.kind == "topics":
        return build_topics_view(reply)
    view = discord.ui.View(timeout=None)
    topic_rows = ROWS
    if reply.more is not None and _usable(reply.more.id):
        view.add_item(MoreButton(reply.more.id, reply.more.title))
    if reply.answer_id and reply.kind in ("answer", "fallback"):
        view.add_item(FeedbackButton(1, reply.answer_id))
        view.add_item(FeedbackButton(-1, reply.answer_id))
    if view.children:
        topic_rows -= 1
    first_row = ROWS - topic_rows
    seen: set[str] = set()
    for suggestion in [*reply.also_asked, *reply.suggestions]:
        if len(seen) >= topic_rows * BUTTONS_PER_ROW:
            break
        if suggestion.id in seen or not _usable(suggestion.id):
            continue
        row = first_row + len(seen) // BUTTONS_PER_ROW
        seen.add(suggestion.id)
        view.add_item(TopicButton(suggestion.id, suggestion.title, row=row))
    return view if view.children else None
