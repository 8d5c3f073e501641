"""The user actions every adapter turns platform updates into, and the channel a reply goes back through.

Every action is one event through one door, `Core.handle(event, channel)`: a question
(`Message`), a command, a topic or "more" press, a rating, forget. The core paces them all
the same way (per-user rate limit, one notice per window, per-chat order) and answers each
with one `Reply`.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.messages import Message, Reply

__all__ = ["Channel", "Command", "CommandName", "Event", "Forget", "MorePress", "Rating", "TopicPress"]


class CommandName(StrEnum):
    """The commands the core answers (platforms spell them their own way: /help, a slash command, a menu)."""

    HELP = "help"
    TOPICS = "topics"
    STATS = "stats"
    RELOAD = "reload"


ADMIN_COMMANDS = frozenset({CommandName.STATS, CommandName.RELOAD})
"""Commands only maintainers may run; the adapter says who is one (`Command.admin`)."""


@dataclass(frozen=True)
class Command:
    """A command such as /help or /topics.

    Attributes:
        name: Which command.
        user: The platform's user id.
        chat: The conversation id.
        platform: "console", "telegram", "discord", ...
        admin: True when the adapter's admin check passed (needed for /stats and /reload).
    """

    name: CommandName
    user: str
    chat: str
    platform: str = "console"
    admin: bool = False


@dataclass(frozen=True)
class TopicPress:
    """A press on a topic button (or a numbered topic on the console): answer with that note."""

    note_id: str
    user: str
    chat: str
    platform: str = "console"


@dataclass(frozen=True)
class MorePress:
    """A "tell me more" press: the note's next section (the chat's last topic when `note_id` is empty)."""

    note_id: str
    user: str
    chat: str
    platform: str = "console"


@dataclass(frozen=True)
class Rating:
    """👍 (+1) or 👎 (-1) on an answer."""

    answer_id: str
    rating: int
    user: str
    chat: str
    platform: str = "console"


@dataclass(frozen=True)
class Forget:
    """/forget: delete everything stored about the user."""

    user: str
    chat: str
    platform: str = "console"


Event = Message | Command | TopicPress | MorePress | Rating | Forget
"""One user action; a `Message` is a question."""


class Channel(Protocol):
    """The adapter's side of one event: where its reply goes, and how to show that the bot is working.

    Once an event is admitted and its chat's turn has come, the core enters `working` around the
    work and then calls `send` once with the reply; a rate-limited event gets `send` with the
    notice and no `working`; a silenced one (the user already had the notice) gets neither. Both
    run in the chat's turn, so a chat's replies go out in the order of its events.
    """

    def working(self) -> AbstractAsyncContextManager[None]:
        """Entered around the core's work on an admitted event (for example Telegram's "typing")."""
        ...

    async def send(self, reply: Reply) -> None:
        """Deliver the reply (the adapter renders it once, for its platform)."""
        ...
