"""The short strings behind inline buttons (Telegram allows at most 64 bytes of callback data).

- `fb:+:<answer_id>` / `fb:-:<answer_id>`: 👍 / 👎 on an answer.
- `t:<note_id>`: open a topic.
- `th:<digest>`: open a topic whose id is too long for `t:`; the digest is resolved against
  the topics in service, so buttons keep working after a restart.
- `m:<note_id>` / `mh:<digest>`: "More on <title>": the parts of that note not yet shown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64
FEEDBACK = "fb"
TOPIC = "t"
TOPIC_DIGEST = "th"
MORE = "m"
MORE_DIGEST = "mh"


@dataclass(frozen=True)
class ButtonPress:
    """A parsed button press.

    Attributes:
        kind: "feedback", "topic" or "more".
        value: The answer id (feedback), note id (`t:`) or digest (`th:`).
        rating: +1 or -1 for feedback, 0 otherwise.
        hashed: True when `value` is a digest to resolve with `resolve_topic`.
    """

    kind: str
    value: str
    rating: int = 0
    hashed: bool = False


def fits(data: str) -> bool:
    """True when `data` is valid callback data (1 to 64 bytes of UTF-8)."""
    return 0 < len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES


def feedback_data(answer_id: str, rating: int) -> str | None:
    """Callback data for a feedback button, or None when the answer id is too long to carry."""
    data = f"{FEEDBACK}:{'+' if rating > 0 else '-'}:{answer_id}"
    return data if fits(data) else None


def _digest(note_id: str) -> str:
    return hashlib.sha256(note_id.encode("utf-8")).hexdigest()[:20]


def topic_data(note_id: str) -> str:
    """Callback data for a topic button: the id itself when it fits, else a digest of it."""
    data = f"{TOPIC}:{note_id}"
    return data if fits(data) else f"{TOPIC_DIGEST}:{_digest(note_id)}"


def more_data(note_id: str) -> str:
    """Callback data for a "More on <title>" button: the note id when it fits, else a digest of it."""
    data = f"{MORE}:{note_id}"
    return data if fits(data) else f"{MORE_DIGEST}:{_digest(note_id)}"


def parse_press(data: str | None) -> ButtonPress | None:
    """Parse callback data made by this module; None for anything else."""
    if not data:
        return None
    prefix, _, rest = data.partition(":")
    if prefix == FEEDBACK:
        sign, _, answer_id = rest.partition(":")
        if sign in ("+", "-") and answer_id:
            return ButtonPress("feedback", answer_id, 1 if sign == "+" else -1)
    elif prefix == TOPIC and rest:
        return ButtonPress("topic", rest)
    elif prefix == TOPIC_DIGEST and rest:
        return ButtonPress("topic", rest, hashed=True)
    elif prefix == MORE and rest:
        return ButtonPress("more", rest)
    elif prefix == MORE_DIGEST and rest:
        return ButtonPress("more", rest, hashed=True)
    return None


def resolve_topic(press: ButtonPress, note_ids: Iterable[str]) -> str | None:
    """The note id a topic (or "more") press names, looked up among `note_ids`; None when it is gone."""
    ids = list(note_ids)
    if not press.hashed:
        return press.value if press.value in ids else None
    return next((i for i in ids if _digest(i) == press.value), None)
