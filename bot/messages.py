"""The neutral message and reply every adapter translates to and from."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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


@dataclass
class Reply:
    """What the core answers; adapters render it for their platform.

    Attributes:
        kind: "answer", "fallback", "help", "topics", "forgotten", "rate_limited" or "error".
        text: The whole reply as plain text, rendered from the core's templates.
        title: Heading of an answer (the note title), empty otherwise.
        answer: The direct answer paragraph.
        key_points: Practical points under the answer.
        references: Books and articles the note's facts come from.
        sources: Notes behind the answer, best first.
        suggestions: Topics to offer as buttons.
        suggestion_label: "Did you mean" or "Related topics".
        answer_id: Id to attach feedback to; None when nothing was stored.
        answered: False when the bot fell back for lack of confidence.
        notice: A line about the input itself (for example that it was cut).
        disclaimer: A one-line "not legal or tax advice" caveat, when the note asks for it.
        body: `text` without the closing line of suggestions, for adapters that show them as buttons.
    """

    kind: str
    text: str
    title: str = ""
    answer: str = ""
    key_points: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    suggestion_label: str = ""
    answer_id: str | None = None
    answered: bool = False
    notice: str = ""
    disclaimer: str = ""
    body: str = ""

    def __post_init__(self) -> None:
        if not self.body:
            self.body = self.text

    def to_dict(self) -> dict[str, Any]:
        """Return the reply as plain JSON-ready data."""
        return asdict(self)
