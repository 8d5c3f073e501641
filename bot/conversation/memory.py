"""Conversation memory: each chat's last topic (for follow-ups), and the record of each question asked."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Generic, Literal, TypeVar

from bot.messages import Reply
from bot.search.retrieval import Candidate
from bot.storage.store import RatingOutcome, Store

log = logging.getLogger(__name__)

V = TypeVar("V")

TOPIC_CACHE_SIZE = 10_000
SHOWN_NOTES = 8
"""How many notes' shown parts a chat keeps (a conversation rarely comes back to an older one)."""


class _PerChat(Generic[V]):
    """A value per (platform, chat), the `TOPIC_CACHE_SIZE` most recently set kept (the caller holds the lock)."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[str, str], V] = OrderedDict()

    def get(self, key: tuple[str, str]) -> V | None:
        """The chat's value, or None."""
        return self._items.get(key)

    def put(self, key: tuple[str, str], value: V) -> None:
        """Set the chat's value, making it the most recent; the least recent past the size go."""
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > TOPIC_CACHE_SIZE:
            self._items.popitem(last=False)

    def pop(self, key: tuple[str, str]) -> None:
        """Forget one chat's value (none is fine)."""
        self._items.pop(key, None)

    def drop_platform(self, platform: str) -> None:
        """Forget every chat of one platform."""
        for key in [k for k in self._items if k[0] == platform]:
            del self._items[key]


class Memory:
    """What the core remembers between messages, kept in the store with an in-memory copy of the topics.

    A store that fails to write never costs the user an answer: the error is logged and the
    answer goes out anyway.

    Args:
        store: The database.
        data_dir: The data folder, whose saved reports `/forget` also checks (None: none).
    """

    def __init__(self, store: Store, data_dir: Path | None = None) -> None:
        self.store = store
        self.data_dir = data_dir
        self._topics: _PerChat[str] = _PerChat()
        self._topics_lock = threading.Lock()  # worker threads remember topics while /forget walks them
        self._shown: _PerChat[dict[str, frozenset[str]]] = _PerChat()
        self._asked: _PerChat[str] = _PerChat()
        self._close_calls: _PerChat[str] = _PerChat()

    def record(
        self,
        platform: str,
        user: str,
        chat: str,
        text: str,
        reply: Reply,
        best: Candidate | None,
        topic: str | None = None,
    ) -> str | None:
        """Store a question and its reply; returns the answer id feedback attaches to, or None.

        With `topic`, the note also becomes the chat's topic (as `remember` does), stored in the
        same transaction as the question: one commit per answer.
        """
        if topic is not None:
            self._remember_here(platform, chat, topic)
        try:
            return self.store.record_question(
                platform=platform,
                user=user,
                chat=chat,
                question=text,
                kind=reply.kind,
                answered=reply.answered,
                note_id=reply.sources[0].id if reply.sources else (best.note_id if best else None),
                score=best.confidence if best else (reply.sources[0].score if reply.sources else 0.0),
                reply=reply.text,
                last_note=topic,
            )
        except (sqlite3.Error, OSError) as exc:
            # The user still gets the answer; only the record is lost, and we say so in the log.
            log.error("could not store the question (%s: %s); answering anyway", type(exc).__name__, exc)
            if topic is not None:  # written in the same transaction, so lost with it
                log.error("could not store the conversation topic (%s: %s)", type(exc).__name__, exc)
            return None

    def remember(self, platform: str, chat: str, user: str, note_id: str) -> None:
        """Make `note_id` the chat's topic, which follow-ups are read against."""
        self._remember_here(platform, chat, note_id)
        try:
            self.store.set_last_note(platform, chat, user, note_id)
        except (sqlite3.Error, OSError) as exc:
            log.error("could not store the conversation topic (%s: %s)", type(exc).__name__, exc)

    def _remember_here(self, platform: str, chat: str, note_id: str) -> None:
        """The in-memory copy of `remember`."""
        with self._topics_lock:
            self._topics.put((platform, chat), note_id)

    def shown(self, platform: str, chat: str, note_id: str) -> frozenset[str]:
        """The parts of `note_id` this chat has been shown (see `bot.conversation.focus`), also before a change of topic."""
        with self._topics_lock:
            kept = self._shown.get((platform, chat))
            return kept.get(note_id, frozenset()) if kept else frozenset()

    def mark_shown(self, platform: str, chat: str, note_id: str, parts: list[str]) -> None:
        """Add parts of `note_id` to what this chat has been shown.

        The last `SHOWN_NOTES` notes of a chat are kept, so a note the person comes back to is
        not resent from its start. Kept in memory only: after a restart "more" starts again from
        the note's first parts.
        """
        key = (platform, chat)
        with self._topics_lock:
            kept = self._shown.get(key)
            if kept is None:
                kept = {}
            kept[note_id] = kept.pop(note_id, frozenset()) | frozenset(parts)  # the latest note last
            while len(kept) > SHOWN_NOTES:
                del kept[next(iter(kept))]
            self._shown.put(key, kept)

    def asked(self, platform: str, chat: str) -> str:
        """The last question this chat had answered from a note ("" when none), for continuations ("and for a blog post?")."""
        with self._topics_lock:
            return self._asked.get((platform, chat)) or ""

    def mark_asked(self, platform: str, chat: str, question: str) -> None:
        """Keep the question just answered from a note as the chat's last (in memory only, like `mark_shown`)."""
        key = (platform, chat)
        with self._topics_lock:
            self._asked.put(key, question)

    def close_call(self, platform: str, chat: str) -> str | None:
        """The runner-up of the chat's last answer when that answer was a close call, else None."""
        with self._topics_lock:
            return self._close_calls.get((platform, chat))

    def mark_close_call(self, platform: str, chat: str, runner_up: str | None) -> None:
        """Keep the runner-up of the answer just given when it was a close call; None clears it (in memory only)."""
        key = (platform, chat)
        with self._topics_lock:
            if runner_up is None:
                self._close_calls.pop(key)
            else:
                self._close_calls.put(key, runner_up)

    def cached_topic(self, platform: str, chat: str) -> str | None:
        """The chat's topic if it is in memory (no database read), else None."""
        with self._topics_lock:
            return self._topics.get((platform, chat))

    def last_note(self, platform: str, chat: str) -> str | None:
        """The chat's topic, or None (read from the store when it is not in memory: call it off the loop)."""
        # The store is the lasting copy; the in-memory one spares the event loop a read per message.
        cached = self.cached_topic(platform, chat)
        if cached is not None:
            return cached
        try:
            return self.store.last_note(platform, chat)
        except (sqlite3.Error, OSError) as exc:
            log.error("could not read the conversation topic (%s: %s)", type(exc).__name__, exc)
            return None

    def forget(self, platform: str, user: str) -> int:
        """Delete everything stored about a user; returns how many records went."""
        if self.data_dir is not None:
            from bot.storage.retention import forget_user

            count = forget_user(self.store, self.data_dir, platform, user)  # also the reports quoting them
        else:
            count = self.store.forget_user(platform, user)
        with self._topics_lock:
            # Chats are not keyed by user; dropping this platform's caches is cheap and never wrong.
            for cache in (self._topics, self._shown, self._asked, self._close_calls):
                cache.drop_platform(platform)
        return count

    def rate(self, answer_id: str, platform: str, user: str, rating: int) -> RatingOutcome | Literal[False] | None:
        """Store 👍 (+1) or 👎 (-1).

        Returns:
            What the rating replaced and rated; False for an unknown answer; None when the store failed.
        """
        try:
            stored = self.store.record_feedback(answer_id, platform, user, rating)
        except (sqlite3.Error, OSError) as exc:
            log.error("could not store feedback (%s: %s)", type(exc).__name__, exc)
            return None
        if stored is None:
            log.warning("feedback for an unknown answer %s", answer_id)
            return False
        return stored
