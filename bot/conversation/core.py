"""The shared engine: one neutral `Message` in, one `Reply` out, for every platform."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bot.config import Settings
from bot.conversation.answers import answer_reply, fallback_reply, small_talk_reply, starter_topics
from bot.conversation.ratelimit import RateLimiter
from bot.conversation.smalltalk import small_talk, wants_more
from bot.knowledge.abbreviations import Abbreviations, load_abbreviations
from bot.knowledge.notes import KnowledgeBase, KnowledgeNote, Problem, load_knowledge
from bot.messages import Message, Reply, Suggestion
from bot.replies.render import render
from bot.search.batcher import MicroBatcher
from bot.search.embedder import Embedder, make_embedder
from bot.search.index import BuildReport, LoadedIndex, build_index, ensure_index, load_index
from bot.search.queries import QueryPlan, plan_queries, rank_plan
from bot.search.retrieval import Candidate
from bot.search.text import MAX_QUESTION_CHARS, MAX_RAW_CHARS, clean_text, has_words, mostly_non_latin, truncate
from bot.storage.store import Store

log = logging.getLogger(__name__)

__all__ = ["Core", "ReloadResult"]
TOPIC_CACHE_SIZE = 10_000
RETIRE_AFTER = 30.0
"""Seconds a replaced index stays open after a reload, so questions already using it finish."""


@dataclass
class ReloadResult:
    """Outcome of reloading the knowledge folder."""

    ok: bool
    problems: list[Problem] = field(default_factory=list)
    report: BuildReport | None = None

    def summary(self) -> str:
        """One human paragraph about the reload."""
        if not self.ok:
            lines = "\n".join(str(p) for p in self.problems[:10])
            return f"Reload refused: the knowledge has {len(self.problems)} problem(s); the previous index stays in service.\n{lines}"
        return f"Knowledge reloaded: {self.report.summary() if self.report else 'no changes'}"


@dataclass(frozen=True)
class _State:
    kb: KnowledgeBase
    index: LoadedIndex
    abbreviations: Abbreviations = field(default_factory=Abbreviations)


@dataclass(frozen=True)
class _Question:
    """A message that needs an answer: either a search `plan`, or the note to say more about."""

    message: Message
    text: str
    notice: str
    state: _State
    plan: QueryPlan | None
    more_of: str | None


class Core:
    """Answers questions from the curated notes.

    Build one per process with `Core.start`; it loads the model and index once.

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
        self._state = _State(kb, index, load_abbreviations(settings.knowledge_dir))
        self._reload_lock = threading.Lock()
        self.batcher = MicroBatcher(embedder.embed)
        self.limiter = RateLimiter(settings.rate_limit, settings.rate_window)
        self._topics: OrderedDict[tuple[str, str], str] = OrderedDict()
        self.mode = "fused"
        self.retire_after = RETIRE_AFTER

    @classmethod
    def start(
        cls,
        settings: Settings,
        embedder: Embedder | None = None,
        store: Store | None = None,
        say: Callable[[str], None] = lambda line: log.info("%s", line),
    ) -> Core:
        """Load knowledge, model, index (building it when missing or stale) and store.

        Args:
            settings: Checked settings.
            embedder: An encoder to use instead of the configured one (tests).
            store: A store to use instead of the configured database (tests).
            say: Where progress lines go.

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
        index = ensure_index(kb, settings, embedder, say)
        store = store or Store(settings.db_path, settings.salt)
        return cls(settings, embedder, store, kb, index)

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge currently in service."""
        return self._state.kb

    @property
    def index(self) -> LoadedIndex:
        """The index currently in service."""
        return self._state.index

    # ----- answering -------------------------------------------------------------------------

    async def handle(self, message: Message, admitted: bool = False) -> Reply:
        """Answer one message; concurrent messages share model calls through the micro-batcher.

        Args:
            message: The incoming message.
            admitted: True when the adapter already counted it with `admit`.
        """
        question = self._begin(message, admitted)
        if isinstance(question, Reply):
            return question
        texts = question.plan.texts if question.plan and self.mode != "lexical" else []
        vectors = await asyncio.gather(*(self.batcher.embed(t) for t in texts))
        # Ranking is sub-millisecond, but recording the answer is a database write: keep it off the loop.
        return await asyncio.to_thread(self._complete, question, np.stack(vectors) if vectors else None)

    def answer(self, message: Message) -> Reply:
        """Answer one message synchronously (console and CLI)."""
        question = self._begin(message)
        if isinstance(question, Reply):
            return question
        texts = question.plan.texts if question.plan and self.mode != "lexical" else []
        return self._complete(question, self.embedder.embed(texts) if texts else None)

    def _begin(self, message: Message, admitted: bool = False) -> Reply | _Question:
        """Everything before embedding: rate limit, cleaning, small talk, and what to search."""
        early, text, notice = self._prepare(message, admitted)
        if early is not None:
            return early
        state = self._state
        previous = self._last_note(message)
        if previous and previous in state.kb.notes and wants_more(text):
            return _Question(message, text, notice, state, None, previous)
        return _Question(message, text, notice, state, self._plan(text, previous, state), None)

    def _complete(self, question: _Question, vectors: np.ndarray | None) -> Reply:
        """Everything after embedding: rank, build the reply, record it (a database write)."""
        if question.more_of is not None:
            return self._answer_with(question.message, question.more_of, question.text, question.notice, more=True)
        assert question.plan is not None
        if vectors is None:  # the lexical-only retriever needs no embedding
            vectors = np.zeros((len(question.plan.texts), self.embedder.dim), np.float32)
        return self._finish(question.message, question.text, question.notice, question.plan, vectors, question.state)

    def admit(self, platform: str, user: str) -> float:
        """Count one message against the user's rate limit.

        Adapters that check the limit as soon as a message arrives call this and then
        pass `admitted=True`, so the message is not counted twice.

        Returns:
            0 when allowed, else the seconds the user must wait.
        """
        return self.limiter.check(f"{platform}:{user}")

    def rate_limited_reply(self, wait: float) -> Reply:
        """The polite "please wait" reply for a user who must wait `wait` seconds."""
        return Reply("rate_limited", render("rate_limited", seconds=max(1, round(wait))))

    def _prepare(self, message: Message, admitted: bool = False) -> tuple[Reply | None, str, str]:
        wait = 0.0 if admitted else self.admit(message.platform, message.user)
        if wait > 0:
            return self.rate_limited_reply(wait), "", ""
        text = clean_text(message.text or "")
        # Nothing to search (empty, punctuation or emoji only) or small talk: no question to record.
        chat = small_talk(text) if has_words(text) else "greeting"
        if chat == "greeting":
            return self.help_reply(), "", ""
        if chat is not None:
            return small_talk_reply(chat), "", ""
        text, cut = truncate(text, MAX_QUESTION_CHARS)
        cut = cut or len(message.text) > MAX_RAW_CHARS
        notice = render("too_long", length=len(message.text), limit=MAX_QUESTION_CHARS) if cut else ""
        return None, text, notice

    def _plan(self, text: str, previous: str | None, state: _State) -> QueryPlan:
        topic = state.kb.notes.get(previous) if previous else None
        return plan_queries(text, topic.title if topic else None, state.abbreviations)

    def _finish(
        self, message: Message, text: str, notice: str, plan: QueryPlan, vectors: np.ndarray, state: _State
    ) -> Reply:
        candidates = rank_plan(plan, vectors, state.index, self.mode, self.settings.threshold)
        best = candidates[0] if candidates else None
        answered = best is not None and best.confidence >= self.settings.threshold
        reply = (
            answer_reply(state.kb, best, candidates, notice)
            if answered and best
            else fallback_reply(state.kb, candidates, notice, english_only=mostly_non_latin(text))
        )
        reply.answer_id = self._record(message, text, reply, best)
        if answered and best:
            self._remember(message, best.note_id)
        return reply

    def answer_note(self, message: Message, note_id: str) -> Reply:
        """Answer with one named note (a topic button press), recorded like a question."""
        note = self._state.kb.notes.get(note_id)
        if note is None:
            return fallback_reply(self._state.kb, [], "")
        return self._answer_with(message, note_id, f"[topic] {note.title}")

    def _answer_with(
        self, message: Message, note_id: str, question: str, notice: str = "", more: bool = False
    ) -> Reply:
        """Answer with a note chosen without a search (a topic button, "tell me more"), recorded against it."""
        chosen = Candidate(note_id, 1.0, 1.0, 1.0, 0.0)
        reply = answer_reply(self._state.kb, chosen, [chosen] if more else [], notice, more=more)
        # Recorded against the note, so feedback on this answer counts for that note.
        reply.answer_id = self._record(message, question, reply, chosen)
        self._remember(message, note_id)
        return reply

    # ----- state -----------------------------------------------------------------------------

    def _record(self, message: Message, text: str, reply: Reply, best: Candidate | None) -> str | None:
        try:
            return self.store.record_question(
                platform=message.platform,
                user=message.user,
                chat=message.chat,
                question=text,
                kind=reply.kind,
                answered=reply.answered,
                note_id=reply.sources[0].id if reply.sources else (best.note_id if best else None),
                score=best.confidence if best else (reply.sources[0].score if reply.sources else 0.0),
                reply=reply.text,
            )
        except (sqlite3.Error, OSError) as exc:
            # The user still gets the answer; only the record is lost, and we say so in the log.
            log.error("could not store the question (%s: %s); answering anyway", type(exc).__name__, exc)
            return None

    def _remember(self, message: Message, note_id: str) -> None:
        self._topics[(message.platform, message.chat)] = note_id
        self._topics.move_to_end((message.platform, message.chat))
        while len(self._topics) > TOPIC_CACHE_SIZE:
            self._topics.popitem(last=False)
        try:
            self.store.set_last_note(message.platform, message.chat, message.user, note_id)
        except (sqlite3.Error, OSError) as exc:
            log.error("could not store the conversation topic (%s: %s)", type(exc).__name__, exc)

    def _last_note(self, message: Message) -> str | None:
        # The store is the lasting copy; the in-memory one spares the event loop a read per message.
        cached = self._topics.get((message.platform, message.chat))
        if cached is not None:
            return cached
        try:
            return self.store.last_note(message.platform, message.chat)
        except (sqlite3.Error, OSError) as exc:
            log.error("could not read the conversation topic (%s: %s)", type(exc).__name__, exc)
            return None

    def feedback(self, answer_id: str, platform: str, user: str, rating: int) -> str:
        """Record 👍 (+1) or 👎 (-1) for an answer and return the acknowledgement text.

        An answer the store no longer knows (deleted by /forget or retention) gets the
        expired-button text; a store that fails to write still thanks the user and logs.
        """
        try:
            stored = self.store.record_feedback(answer_id, platform, user, rating)
        except (sqlite3.Error, OSError) as exc:
            log.error("could not store feedback (%s: %s)", type(exc).__name__, exc)
            return render("feedback", rating=rating)
        if not stored:
            log.warning("feedback for an unknown answer %s", answer_id)
            return render("expired_button")
        return render("feedback", rating=rating)

    def forget(self, platform: str, user: str) -> Reply:
        """Delete everything stored about a user and confirm."""
        count = self.store.forget_user(platform, user)
        for key in [k for k in self._topics if k[0] == platform]:
            # Chats are not keyed by user; dropping this platform's cache is cheap and never wrong.
            del self._topics[key]
        return Reply("forgotten", render("forgotten", count=count))

    # ----- special replies -------------------------------------------------------------------

    def help_reply(self, commands: str = "") -> Reply:
        """The greeting and help text; `commands` lists the platform's commands."""
        return Reply(
            "help",
            render("help", commands=commands),
            suggestions=starter_topics(self._state.kb),
            suggestion_label="Popular topics",
        )

    def topic_suggestions(self) -> list[Suggestion]:
        """Every topic, in title order, as suggestions."""
        return [Suggestion(n.id, n.title) for n in sorted(self._state.kb.notes.values(), key=lambda n: n.title.lower())]

    def topics_reply(self) -> Reply:
        """The list of topics."""
        topics = self.topic_suggestions()
        return Reply("topics", render("topics", topics=topics), suggestions=topics, suggestion_label="Topics")

    def stats_reply(self) -> Reply:
        """Headline usage figures for admins."""
        stats = self.store.stats()
        text = render(
            "stats",
            questions=stats.questions,
            answered_pct=round(100 * stats.answered_share),
            up=stats.up,
            down=stats.down,
            unanswered=stats.unanswered,
        )
        return Reply("stats", text)

    def refusal(self, command: str) -> Reply:
        """The polite refusal of an admin command to someone who is not an admin."""
        return Reply("refused", render("refused", command=command))

    def expired_button_reply(self) -> Reply:
        """What a press on a button whose topic or answer no longer exists gets."""
        return Reply("expired", render("expired_button"))

    # Async forms for adapters: database work runs in a worker thread, never in the event loop.

    async def press_topic(self, message: Message, note_id: str, admitted: bool = False) -> Reply:
        """`answer_note` for an event loop (a topic button press), rate-limited like a question."""
        wait = 0.0 if admitted else self.admit(message.platform, message.user)
        if wait > 0:
            return self.rate_limited_reply(wait)
        return await asyncio.to_thread(self.answer_note, message, note_id)

    async def rate(self, answer_id: str, platform: str, user: str, rating: int) -> str:
        """`feedback` for an event loop."""
        return await asyncio.to_thread(self.feedback, answer_id, platform, user, rating)

    async def forget_async(self, platform: str, user: str) -> Reply:
        """`forget` for an event loop."""
        return await asyncio.to_thread(self.forget, platform, user)

    async def stats_async(self) -> Reply:
        """`stats_reply` for an event loop."""
        return await asyncio.to_thread(self.stats_reply)

    async def reload_async(self) -> ReloadResult:
        """`reload` for an event loop (the index build runs in a worker thread)."""
        return await asyncio.to_thread(self.reload)

    def note(self, note_id: str) -> KnowledgeNote | None:
        """A note in service, by id."""
        return self._state.kb.notes.get(note_id)

    # ----- reload ----------------------------------------------------------------------------

    def reload(self, say: Callable[[str], None] = lambda line: log.info("%s", line)) -> ReloadResult:
        """Reload the knowledge folder; a broken note keeps the previous index in service.

        The new index is built beside the old one and swapped in at once; questions
        already being answered finish on the old one.
        """
        with self._reload_lock:
            kb = load_knowledge(self.settings.knowledge_dir)
            if kb.problems:
                for problem in kb.problems:
                    log.error("reload refused: %s", problem)
                return ReloadResult(False, kb.problems)
            abbreviations = load_abbreviations(self.settings.knowledge_dir)
            if kb.fingerprint == self._state.kb.fingerprint:
                self._state = _State(self._state.kb, self._state.index, abbreviations)
                return ReloadResult(True)
            report = build_index(kb, self.settings.index_dir, self.embedder)
            index = load_index(self.settings.index_dir)
            if index is None:
                return ReloadResult(False, [Problem(self.settings.index_dir, 0, "new index could not be loaded")])
            old, self._state = self._state.index, _State(kb, index, abbreviations)
            self._retire(old)
            say(f"knowledge reloaded: {report.summary()}")
            return ReloadResult(True, [], report)

    def _retire(self, index: LoadedIndex) -> None:
        """Close a replaced index once questions that started on it have surely finished."""
        timer = threading.Timer(self.retire_after, index.close)
        timer.daemon = True
        timer.name = "outsourcebot-retire-index"
        timer.start()
