"""The shared engine: every user action is one event through one door, `Core.handle`, answered with one `Reply`."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bot.config import Settings
from bot.conversation import answers
from bot.conversation.continuing import continuation, focused_reply, reply_with_note
from bot.conversation.events import (
    ADMIN_COMMANDS,
    Channel,
    Command,
    CommandName,
    Event,
    Forget,
    MorePress,
    Rating,
    TopicPress,
)
from bot.conversation.library import Edition, Library, ReloadResult
from bot.conversation.memory import Memory
from bot.conversation.pacing import Pacing
from bot.conversation.smalltalk import small_talk
from bot.knowledge.notes import KnowledgeBase, KnowledgeNote, load_knowledge
from bot.messages import Message, Reply, ReplyKind, Suggestion
from bot.replies.render import render, render_blocks
from bot.search.batcher import MicroBatcher
from bot.search.embedder import Embedder, make_embedder
from bot.search.index import LoadedIndex, ensure_index
from bot.search.queries import QueryPlan, plan_queries, rank_in_context
from bot.search.retrieval import Candidate, close_alternatives
from bot.search.several import also_asked
from bot.search.text import MAX_QUESTION_CHARS, MAX_RAW_CHARS, clean_text, has_words, mostly_non_latin, truncate
from bot.storage.store import Store

log = logging.getLogger(__name__)

__all__ = ["Core", "ReloadResult"]


@dataclass(frozen=True)
class _Question:
    """A message that needs an answer: either a search `plan`, or the note to say more about."""

    message: Message
    text: str
    notice: str
    edition: Edition
    plan: QueryPlan | None
    more_of: str | None
    brief: bool = False
    previous: str | None = None
    """The chat's topic before this message, whether or not the message depends on it."""
    rival: str | None = None
    """The runner-up of the chat's last answer when it was a close call (`Memory.close_call`)."""


class Core:
    """Answers every user action from the curated notes.

    Build one per process with `Core.start`; it loads the model and index once. Adapters
    call `handle` (or `answer`, its blocking twin for the console and CLI).

    Args:
        settings: Checked settings.
        embedder: The encoder (loaded).
        store: The database.
        kb: The loaded knowledge.
        index: The loaded index matching `kb`.
    """

    def __init__(
        self, settings: Settings, embedder: Embedder, store: Store, kb: KnowledgeBase, index: LoadedIndex
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.library = Library(settings, embedder, kb, index)
        self.memory = Memory(store, settings.data_dir)
        self.pacing = Pacing(settings.rate_limit, settings.rate_window, name=self.log_name)
        self.batcher = MicroBatcher(embedder.embed)
        self.mode = "fused"
        self.platform_commands: dict[str, str] = {}
        """Each platform's line of commands for the help text (set by the adapter that serves it)."""
        self._sync: tuple[asyncio.AbstractEventLoop, MicroBatcher] | None = None
        self._sync_lock = threading.Lock()

    @classmethod
    def start(
        cls,
        settings: Settings,
        embedder: Embedder | None = None,
        store: Store | None = None,
        say: Callable[[str], None] = lambda line: log.info("%s", line),
        progress: Callable[[int, int], None] | None = None,
    ) -> Core:
        """Load knowledge, model, index (building it when missing or stale) and store.

        Args:
            settings: Checked settings.
            embedder: An encoder to use instead of the configured one (tests).
            store: A store to use instead of the configured database (tests).
            say: Where progress lines go.
            progress: Called with (done, total) texts embedded while an index is built.

        Returns:
            A ready core.

        Raises:
            RuntimeError: When no note can be loaded at all.
        """
        kb = load_knowledge(settings.knowledge_dir)
        for problem in kb.problems:
            log.error("knowledge problem, its note is not served: %s", problem)
        kb = kb.servable()
        if not kb.notes:
            raise RuntimeError(f"no usable notes in {settings.knowledge_dir}; run `outsourcebot kb check`")
        embedder = embedder or make_embedder(settings.encoder, settings.model_cache_dir)
        index = ensure_index(kb, settings, embedder, say, progress)
        store = store or Store(settings.db_path, settings.salt)
        return cls(settings, embedder, store, kb, index)

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge currently in service."""
        return self.library.edition.kb

    @property
    def index(self) -> LoadedIndex:
        """The index currently in service."""
        return self.library.edition.index

    def log_name(self, platform: str, raw_id: str) -> str:
        """How logs name a user or chat: the platform and a salted hash, never the raw id (issue 13)."""
        return f"{platform} user {self.store.hash_id(platform, raw_id)[:12]}"

    def note(self, note_id: str) -> KnowledgeNote | None:
        """A note in service, by id."""
        return self.kb.notes.get(note_id)

    # ----- the door ----------------------------------------------------------------------------

    async def handle(self, event: Event, channel: Channel | None = None) -> Reply:
        """Answer one user action: pace it, then answer it in its chat's turn, and send the reply.

        Every kind of event counts against the user's rate limit. A limited user gets one
        polite notice per window, then silence (a `SILENT` reply that is never sent).

        Args:
            event: What the user did.
            channel: Where the reply goes; it is sent in the chat's turn, so a chat's replies
                keep the order of its events. Without one, the reply is only returned.

        Returns:
            The reply (already sent when a channel was given).
        """
        wait = self.pacing.admit(event.platform, event.user)
        if wait > 0:
            if not self.pacing.notice_due(event.platform, event.user):
                return Reply(ReplyKind.SILENT)
            reply = answers.rate_limited_reply(wait)
            if channel is not None:
                async with self.pacing.turns.hold(event.platform, event.chat):
                    await channel.send(reply)
            return reply
        async with self.pacing.turns.hold(event.platform, event.chat):
            if channel is None:
                return await self._respond(event)
            async with channel.working():
                reply = await self._respond(event)
            await channel.send(reply)
        return reply

    def answer(self, event: Event) -> Reply:
        """`handle` for the console and the CLI: blocks until the reply is ready (runs on the core's own loop)."""
        loop, _ = self._sync_loop()
        return asyncio.run_coroutine_threadsafe(self.handle(event), loop).result()

    def _sync_loop(self) -> tuple[asyncio.AbstractEventLoop, MicroBatcher]:
        with self._sync_lock:
            if self._sync is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="outsourcebot-core", daemon=True).start()
                # Its own batcher: a batch never mixes futures of two event loops.
                self._sync = (loop, MicroBatcher(self.embedder.embed))
            return self._sync

    def _batcher(self) -> MicroBatcher:
        sync = self._sync
        if sync is not None and asyncio.get_running_loop() is sync[0]:
            return sync[1]
        return self.batcher

    async def _respond(self, event: Event) -> Reply:
        """The reply to an admitted event (database work runs in a worker thread, never on the loop)."""
        if isinstance(event, Message):
            return await self._ask(event)
        if isinstance(event, Command):
            return await self._command(event)
        if isinstance(event, TopicPress | MorePress):
            return await asyncio.to_thread(self._press, event)
        if isinstance(event, Rating):
            return await asyncio.to_thread(self._rate, event)
        if isinstance(event, Forget):
            count = await asyncio.to_thread(self.memory.forget, event.platform, event.user)
            return answers.forgotten_reply(count)
        raise TypeError(f"not an event: {event!r}")

    # ----- questions ---------------------------------------------------------------------------

    async def _ask(self, message: Message) -> Reply:
        if self.memory.cached_topic(message.platform, message.chat) is None:  # a database read: not on the loop
            question = await asyncio.to_thread(self._begin, message)
        else:
            question = self._begin(message)
        if isinstance(question, Reply):
            return question
        texts = list(question.plan.texts) if question.plan and self.mode != "lexical" else []
        # Ranking is sub-millisecond, but recording the answer is a database write: keep it off the loop.
        if not texts:
            return await asyncio.to_thread(self._complete, question, None)
        # In the model's worker thread, right after the embedding: no second hop to a thread.
        reply: Reply = await self._batcher().embed_then(texts, lambda vectors: self._complete(question, vectors))
        return reply

    def _begin(self, message: Message) -> Reply | _Question:
        """Everything before embedding: cleaning, small talk, and what to search."""
        early, text, notice = self._prepare(message)
        if early is not None:
            return early
        edition = self.library.edition
        previous = self.memory.last_note(message.platform, message.chat)
        more_of, brief, searched = continuation(text, previous, edition.kb)
        if more_of is not None:
            return _Question(message, text, notice, edition, None, more_of, brief)
        topic = edition.kb.notes.get(previous) if previous else None
        rival = self.memory.close_call(message.platform, message.chat) if topic else None
        runner_up = edition.kb.notes.get(rival) if rival else None
        titles = (topic.title if topic else None, runner_up.title if runner_up else None)
        plan = plan_queries(searched, titles[0], edition.abbreviations, titles[1], edition.index.vocabulary)
        return _Question(message, text, notice, edition, plan, None, brief, previous, rival if runner_up else None)

    def _complete(self, question: _Question, vectors: np.ndarray | None) -> Reply:
        """Everything after embedding: rank, build the reply, record it (a database write)."""
        if question.more_of is not None:
            return reply_with_note(
                self.memory,
                question.message,
                self.kb,
                question.more_of,
                question.text,
                question.notice,
                more=True,
                brief=question.brief,
            )
        assert question.plan is not None
        if vectors is None:  # the lexical-only retriever needs no embedding
            vectors = np.zeros((len(question.plan.texts), self.embedder.dim), np.float32)
        return self._finish(question, vectors)

    def _prepare(self, message: Message) -> tuple[Reply | None, str, str]:
        text = clean_text(message.text or "")
        # Nothing to search (empty, punctuation or emoji only) or small talk: no question to record.
        chat = small_talk(text) if has_words(text) else "greeting"
        if chat == "greeting":
            return self._help(message.platform), "", ""
        if chat is not None:
            return answers.small_talk_reply(chat), "", ""
        text, cut = truncate(text, MAX_QUESTION_CHARS)
        cut = cut or len(message.text) > MAX_RAW_CHARS
        notice = render("too_long", length=len(message.text), limit=MAX_QUESTION_CHARS) if cut else ""
        return None, text, notice

    def _finish(self, question: _Question, vectors: np.ndarray) -> Reply:
        """Rank (reading a message that depends on the chat's topic in its context), answer or decline, record."""
        message, text, notice, edition, brief = (
            question.message,
            question.text,
            question.notice,
            question.edition,
            question.brief,
        )
        plan = question.plan
        assert plan is not None
        topic = question.previous if plan.contextual else None
        candidates, kept = rank_in_context(
            plan, vectors, edition.index, self.mode, self.settings.threshold, topic, edition.not_covered, question.rival
        )
        best = candidates[0] if candidates else None
        answered = best is not None and (kept or best.confidence >= self.settings.threshold)
        if answered and best:
            # A topic kept for a follow-up is the person's own thread: no "did you mean" under it.
            unsure = not kept and answers.is_unsure(candidates, self.settings.threshold)
            close = [c for c in close_alternatives(candidates) if c.note_id != best.note_id] if unsure else []
            runner_up = close[0].note_id if close else None
            # Another question on the note just shown: what it already showed is not sent again.
            follow_up = question.previous == best.note_id
            reply = focused_reply(
                self.memory,
                dataclasses.replace(message, text=text),  # the cleaned text the search read, not raw markup
                edition.kb,
                best,
                candidates,
                notice,
                brief=brief,
                unsure=unsure,
                follow_up=follow_up,
                not_covered=edition.not_covered,
                index=edition.index,
            )
            reply.also_asked = self._also_asked(plan, vectors[: len(plan.texts)], edition, best, reply)
        else:
            reply = answers.fallback_reply(edition.kb, candidates, notice, english_only=mostly_non_latin(text))
        topic = best.note_id if answered and best else None
        reply.answer_id = self.memory.record(message.platform, message.user, message.chat, text, reply, best, topic)
        if answered and best:
            self.memory.mark_close_call(message.platform, message.chat, runner_up)
        return reply

    def _also_asked(
        self, plan: QueryPlan, vectors: np.ndarray, edition: Edition, best: Candidate, reply: Reply
    ) -> list[Suggestion]:
        """The notes of a message's other questions, as "You also asked: <title>" buttons (none already offered)."""
        if not plan.questions:
            return []
        offered = {s.id for s in reply.suggestions}
        found = also_asked(
            plan.separate,
            vectors[len(plan.texts) - plan.questions :],
            edition.index,
            self.mode,
            self.settings.threshold,
            best.note_id,
        )
        return [
            Suggestion(c.note_id, render("also_asked_button", title=edition.kb.notes[c.note_id].title))
            for c in found
            if c.note_id in edition.kb.notes and c.note_id not in offered
        ]

    # ----- presses and commands ----------------------------------------------------------------

    def _press(self, press: TopicPress | MorePress) -> Reply:
        """A topic button answers its note; "more" adds the note's next section (the chat's topic by default)."""
        more = isinstance(press, MorePress)
        note_id = press.note_id or (self.memory.last_note(press.platform, press.chat) if more else None) or ""
        note = self.kb.notes.get(note_id)
        if note is None:  # removed by a reload since the button was sent, or never ours
            return answers.expired_reply()
        message = Message("", press.user, press.chat, press.platform)
        return reply_with_note(
            self.memory, message, self.kb, note_id, f"[{'more' if more else 'topic'}] {note.title}", more=more
        )

    def _rate(self, rating: Rating) -> Reply:
        """Record 👍 (+1) or 👎 (-1) and thank the user, saying when it replaced an earlier rating.

        The latest rating of an answer counts. A rating of a decline is thanked as feedback on
        the unanswered question, never with "glad it helped"; an answer the store no longer
        knows gets "expired".
        """
        stored = self.memory.rate(rating.answer_id, rating.platform, rating.user, rating.rating)
        if stored is False:  # deleted by /forget or retention
            return Reply(ReplyKind.FEEDBACK, render_blocks("expired_button"))
        if stored is None:  # the store failed: thank anyway, the log has the error
            return answers.feedback_reply(rating.rating)
        return answers.feedback_reply(rating.rating, previous=stored.previous, answered=stored.answered)

    async def _command(self, command: Command) -> Reply:
        if command.name in ADMIN_COMMANDS and not command.admin:
            log.info("refused /%s to non-admin %s", command.name, self.log_name(command.platform, command.user))
            return answers.refusal_reply(command.name)
        if command.name == CommandName.HELP:
            return self._help(command.platform)
        if command.name == CommandName.TOPICS:
            return answers.topics_reply(self.kb)
        if command.name == CommandName.STATS:
            return answers.stats_reply(await asyncio.to_thread(self.store.stats))
        if command.name == CommandName.RELOAD:
            result = await asyncio.to_thread(self.reload)
            return Reply.of(ReplyKind.RELOAD, result.summary())
        raise ValueError(f"unknown command {command.name!r}")

    def _help(self, platform: str) -> Reply:
        return answers.help_reply(self.kb, self.platform_commands.get(platform, ""))

    # ----- reload ------------------------------------------------------------------------------

    def reload(self, say: Callable[[str], None] = lambda line: log.info("%s", line)) -> ReloadResult:
        """Reload the knowledge folder; a broken note keeps the previous index in service."""
        return self.library.reload(say)
