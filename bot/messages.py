"""The neutral message and reply every adapter translates to and from."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from bot.replies.blocks import Block, BlockKind, block_text, parse_blocks, plain_text


@dataclass(frozen=True)
class Message:
    """One incoming message, stripped of platform detail.

    Attributes:
        text: What the user typed.
        user: The platform's user id, as a string (hashed before storage).
        chat: The conversation id (a private chat, a channel, a console session).
        platform: "console", "telegram", "discord", ...
    """

    text: str
    user: str
    chat: str
    platform: str = "console"


@dataclass(frozen=True)
class Source:
    """A note that supports an answer, with its retrieval score."""

    id: str
    title: str
    score: float


@dataclass(frozen=True)
class Suggestion:
    """A topic the user may want next ("did you mean" or related)."""

    id: str
    title: str


class ReplyKind(StrEnum):
    """What a reply is; adapters choose its look (embed, private, buttons) by kind."""

    ANSWER = "answer"
    """A confident answer from one note."""
    FALLBACK = "fallback"
    """No confident answer: the closest or popular topics instead."""
    HELP = "help"
    TOPICS = "topics"
    THANKS = "thanks"
    ACKNOWLEDGEMENT = "acknowledgement"
    """The reply to "ok", "bye" and the like."""
    FEEDBACK = "feedback"
    """The thanks for a 👍/👎."""
    FORGOTTEN = "forgotten"
    STATS = "stats"
    RELOAD = "reload"
    REFUSED = "refused"
    """An admin command asked by someone who is not an admin."""
    EXPIRED = "expired"
    """A press on a button whose topic or answer is gone."""
    RATE_LIMITED = "rate_limited"
    """The once-a-window "please wait" notice."""
    SILENT = "silent"
    """A rate-limited event after the notice: nothing is sent."""
    ERROR = "error"


@dataclass
class Reply:
    """What the core answers: typed blocks whose words come from the templates; adapters render the blocks.

    Attributes:
        kind: What the reply is.
        blocks: Its content, in order (see `bot.replies.blocks`).
        sources: Notes behind the answer, best first.
        suggestions: Topics to offer as buttons (or numbers on the console).
        answer_id: Id to attach feedback to; None when nothing was stored.
        answered: False when the bot fell back for lack of confidence.
        more: The "More on <title>" offer: the note whose parts not yet shown a "more" press (or
            typing "more") shows, with the button's label as its title; None when the note has
            been shown in full, or the reply is no answer.
        also_asked: The message's other questions, when it asked several things and another note
            answers one of them: that note with the button's label ("You also asked: <title>") as
            its title, offered like a suggestion (a press answers with the note).
    """

    kind: ReplyKind
    blocks: list[Block] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    answer_id: str | None = None
    answered: bool = False
    more: Suggestion | None = None
    also_asked: list[Suggestion] = field(default_factory=list)

    @classmethod
    def of(cls, kind: ReplyKind, text: str, **fields: Any) -> Reply:
        """A reply of plain paragraphs (text not from a template, such as a reload summary)."""
        return cls(kind, parse_blocks(text) if text else [], **fields)

    def block(self, kind: BlockKind) -> Block | None:
        """The reply's first block of a kind, or None."""
        return next((b for b in self.blocks if b.kind == kind), None)

    def _text_of(self, kind: BlockKind) -> str:
        block = self.block(kind)
        return block.text if block else ""

    @property
    def text(self) -> str:
        """The whole reply as plain text (what is stored, and what the CLI prints)."""
        return plain_text(self.blocks)

    @property
    def body(self) -> str:
        """The plain text without the suggestions sentence, for adapters that show suggestions as buttons."""
        return plain_text(self.blocks, with_suggestions=False)

    @property
    def title(self) -> str:
        """The heading of an answer (the note title), empty otherwise."""
        return self._text_of(BlockKind.HEADING)

    @property
    def answer(self) -> str:
        """An answer's paragraphs as plain text (the note's answer, and a "more" section); empty otherwise."""
        if self.kind != ReplyKind.ANSWER:
            return ""
        return "\n\n".join(block_text(b) for b in self.blocks if b.kind == BlockKind.PARAGRAPH)

    @property
    def notice(self) -> str:
        """A line about the input itself (for example that it was cut), or ""."""
        return self._text_of(BlockKind.NOTICE)

    @property
    def disclaimer(self) -> str:
        """The "not legal or tax advice" caveat when the note asks for it, or ""."""
        return self._text_of(BlockKind.DISCLAIMER)

    @property
    def suggestion_label(self) -> str:
        """What the suggestions are ("Did you mean", "Related topics", ...), or ""."""
        block = self.block(BlockKind.SUGGESTIONS)
        return block.label if block else ""

    def to_dict(self) -> dict[str, Any]:
        """Return the reply as plain JSON-ready data (its blocks, and its plain text)."""
        return {**asdict(self), "text": self.text}
