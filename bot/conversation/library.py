"""The knowledge in service and its index, and reloading them without stopping the bot."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.config import Settings
from bot.knowledge.abbreviations import Abbreviations, load_abbreviations
from bot.knowledge.not_covered import load_not_covered
from bot.knowledge.notes import KnowledgeBase, Problem, load_knowledge
from bot.search.embedder import Embedder
from bot.search.index import LoadedIndex, load_index
from bot.search.index_build import BuildReport, build_index
from bot.search.not_covered import NotCoveredMatcher, not_covered_matcher

log = logging.getLogger(__name__)

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
class Edition:
    """One consistent pair: the notes and the index built from them (swapped together on reload)."""

    kb: KnowledgeBase
    index: LoadedIndex
    abbreviations: Abbreviations = field(default_factory=Abbreviations)
    """The folder's abbreviation list (`knowledge/abbreviations.yaml`), spelled out before searching."""
    not_covered: NotCoveredMatcher | None = None
    """The folder's not-covered list (`knowledge/not-covered.yaml`), declined by name."""


class Library:
    """Holds the edition in service; `reload` builds the next one beside it and swaps it in at once.

    Args:
        settings: Checked settings (the knowledge and index folders).
        embedder: The encoder new indexes are built with.
        kb: The loaded knowledge.
        index: The loaded index matching `kb`.
    """

    def __init__(self, settings: Settings, embedder: Embedder, kb: KnowledgeBase, index: LoadedIndex) -> None:
        self.settings = settings
        self.embedder = embedder
        self.edition = Edition(kb, index, load_abbreviations(settings.knowledge_dir), self._not_covered(kb))
        self.retire_after = RETIRE_AFTER
        self._lock = threading.Lock()

    def reload(self, say: Callable[[str], None] = lambda line: log.info("%s", line)) -> ReloadResult:
        """Reload the knowledge folder; a broken note keeps the previous index in service.

        The new index is built beside the old one and swapped in at once; questions
        already being answered finish on the old one.
        """
        with self._lock:
            kb = load_knowledge(self.settings.knowledge_dir)
            if kb.problems:
                for problem in kb.problems:
                    log.error("reload refused: %s", problem)
                return ReloadResult(False, kb.problems)
            abbreviations = load_abbreviations(self.settings.knowledge_dir)
            if kb.fingerprint == self.edition.kb.fingerprint:
                self.edition = Edition(self.edition.kb, self.edition.index, abbreviations, self._not_covered(kb))
                return ReloadResult(True)
            report = build_index(kb, self.settings.index_dir, self.embedder)
            index = load_index(self.settings.index_dir)
            if index is None:
                return ReloadResult(False, [Problem(self.settings.index_dir, 0, "new index could not be loaded")])
            old, self.edition = self.edition.index, Edition(kb, index, abbreviations, self._not_covered(kb))
            self._retire(old)
            say(f"knowledge reloaded: {report.summary()}")
            return ReloadResult(True, [], report)

    def _not_covered(self, kb: KnowledgeBase) -> NotCoveredMatcher:
        """The knowledge folder's not-covered list, with the tags of `kb`'s notes."""
        return not_covered_matcher(load_not_covered(self.settings.knowledge_dir), kb.notes.values())

    def _retire(self, index: LoadedIndex) -> None:
        """Close a replaced index once questions that started on it have surely finished."""
        timer = threading.Timer(self.retire_after, index.close)
        timer.daemon = True
        timer.name = "outsourcebot-retire-index"
        timer.start()
