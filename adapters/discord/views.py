"""Buttons under answers: 👍/👎 feedback and topic buttons, persistent across restarts.

Each button is a `DynamicItem` whose state lives in its custom id
("ob:fb:+:<answer_id>", "ob:t:<note_id>"); the client registers the classes at
start-up, so a press on a message sent before a restart still works. The
callbacks hand the work to the client (`DiscordBot.on_feedback_press`,
`DiscordBot.on_topic_press`), which owns the error boundary.
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


def _bot(interaction: discord.Interaction[Any]) -> DiscordBot:
    return cast("DiscordBot", interaction.client)


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"ob:fb:(?P<sign>[+-]):(?P<answer_id>[0-9A-Za-z_-]{1,80})"):
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


DYNAMIC_ITEMS = (FeedbackButton, TopicButton)


def _label(title: str) -> str:
    return title if len(title) <= LABEL_LIMIT else title[: LABEL_LIMIT - 1].rstrip() + "…"


def build_view(reply: Reply) -> discord.ui.View | None:
    """The buttons for a reply: feedback on the first row when it has an answer id, then topics.

    Returns:
        A view with no timeout, or None when the reply needs no buttons.
    """
    view = discord.ui.View(timeout=None)
    topic_rows = ROWS
    if reply.answer_id and reply.kind in ("answer", "fallback"):
        view.add_item(FeedbackButton(1, reply.answer_id))
        view.add_item(FeedbackButton(-1, reply.answer_id))
        topic_rows -= 1
    first_row = ROWS - topic_rows
    seen: set[str] = set()
    for suggestion in reply.suggestions:
        if len(seen) >= topic_rows * BUTTONS_PER_ROW:
            break
        if suggestion.id in seen or len(f"ob:t:{suggestion.id}") > CUSTOM_ID_LIMIT or any(c.isspace() for c in suggestion.id):
            continue
        row = first_row + len(seen) // BUTTONS_PER_ROW
        seen.add(suggestion.id)
        view.add_item(TopicButton(suggestion.id, suggestion.title, row=row))
    return view if view.children else None
