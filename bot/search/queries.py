"""What to search for a question: as typed, with abbreviations spelled out, and in the chat's context.

Each variant is embedded once (the core batches them) and ranked; the rankings are then
merged into one list of candidates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np

from bot.knowledge.abbreviations import Abbreviations
from bot.search.answerability import RARE_NOTES, SHORT_QUESTION_WORDS, UNCOVERED_PENALTY, answerability
from bot.search.followup import follow_topic, rival_topic
from bot.search.followup_words import context_text, depends_on_topic
from bot.search.grounding import Vocabulary, content_words
from bot.search.index import LoadedIndex
from bot.search.named_subject import lead_by_named_subject
from bot.search.not_covered import NotCoveredMatcher, decline_not_covered, only_in_passing
from bot.search.retrieval import Candidate, merge_rankings, note_scores, rank_notes
from bot.search.scene import asked_words, nameable, request_head
from bot.search.several import asking_sentences, separate_questions
from bot.search.text import drop_author_frame, drop_opening_filler, expand_abbreviations, has_words

log = logging.getLogger(__name__)

ASK_WEIGHT = 0.3
"""Weight of a note's mean score over a longer message's asking sentences, added to its ranking
score for the whole message. A story's words lean to the note of its setting ("a guy on Fiverr
did my logo": web and design) while the question asks another ("what can I do now": quality
control). Chosen on tuning data only (swept 0-0.6): forum-style top-1 on the odd lines of
tests/data/real.jsonl 0.862 -> 0.897, on tests/data/forum_tuning.jsonl 0.74 -> 0.82 (top-3 0.88 ->
0.94); the held-out forum questions did not move. docs/evaluation.md has the figures."""
CONTEXT_DEPTH = 10
"""How many notes the message read in context is ranked for; the topic's note, whose title it
starts with, is among them."""


@dataclass(frozen=True)
class QueryPlan:
    """The texts to embed and rank for one question.

    Attributes:
        texts: Texts to embed, in order: the question's own variants, then the contextual one if
            any, or else the asking sentences of a longer message, then the message's separate
            questions if it asks several things.
        own: How many of `texts` are the question itself (as typed; abbreviations spelled out).
        contextual: True when the text after the own ones is the question read in the previous
            topic's context (the message depends on the topic, `bot.search.followup_words.depends_on_topic`).
        questions: How many of `texts`, at the end, are the message's separate questions (see
            `bot.search.several`); 0 for a message asking one thing.
        rival: True when the text after the contextual one is the question read in the context of
            the last answer's close runner-up (`bot.search.followup.rival_topic`).
        asks: How many of `texts`, after the own ones, are the asking sentences of a message of
            several sentences (`bot.search.several.asking_sentences`); 0 for a one-sentence message.
    """

    texts: list[str]
    own: int
    contextual: bool = False
    questions: int = 0
    rival: bool = False
    asks: int = 0

    @property
    def separate(self) -> list[str]:
        """The message's separate questions (empty for a message asking one thing)."""
        return self.texts[len(self.texts) - self.questions :] if self.questions else []


def plan_queries(
    text: str,
    previous_title: str | None = None,
    abbreviations: Abbreviations | None = None,
    rival_title: str | None = None,
    vocabulary: Vocabulary | None = None,
) -> QueryPlan:
    """Decide what to search for a cleaned question.

    The question as typed is always searched: "is my VA an employee?" is better
    matched as typed, "should I hire a VA" once "VA" is spelled out. With a previous
    topic, a message that depends on it ("how much does that cost?", "how much?",
    "and for taxes?") is also searched once as "<previous title>: <question>", with
    abbreviations spelled out. A message asking several things also has each question
    searched on its own (`bot.search.several`). A message with misspellings of words the
    notes use ("outsorcing acounting") is also searched as the notes spell them, abbreviations
    spelled out too: a typo costs both the embedding and the lexical match.

    Args:
        text: The cleaned question.
        previous_title: Title of the chat's previous topic, if any.
        abbreviations: The abbreviation list in service (default: the shipped one).
        rival_title: Title of the last answer's close runner-up, if any: a message that depends on
            the topic is also read in its context.
        vocabulary: The notes' words (`LoadedIndex.vocabulary`), to respell misspellings by; None: none.

    Returns:
        The plan.
    """
    if not has_words(text):
        return QueryPlan([text], 1)
    asked = drop_author_frame(drop_opening_filler(text))
    expanded = expand_abbreviations(asked, abbreviations)
    respelled = vocabulary.respelled(expanded) if vocabulary is not None else expanded
    texts = list(dict.fromkeys([asked, expanded, respelled]))
    own = len(texts)
    if previous_title and depends_on_topic(asked):  # "ok and what about returns" continues as "and what about..."
        rival = [context_text(rival_title, expanded)] if rival_title else []
        return QueryPlan(
            [*texts, context_text(previous_title, expanded), *rival], own, contextual=True, rival=bool(rival)
        )
    asks = asking_sentences(expanded)
    questions = separate_questions(text)
    return QueryPlan([*texts, *asks, *questions], own, questions=len(questions), asks=len(asks))


def rank_plan(
    plan: QueryPlan,
    vectors: np.ndarray,
    index: LoadedIndex,
    mode: str,
    threshold: float,
    not_covered: NotCoveredMatcher | None = None,
) -> list[Candidate]:
    """Rank notes for a planned question as asked on its own (its contextual reading aside).

    Args:
        plan: From `plan_queries`.
        vectors: One embedding per text of the plan (zeros in lexical mode).
        index: The loaded index.
        mode: "fused", "semantic" or "lexical".
        threshold: The answer threshold (a candidate whose note does not cover a listed subject is held just under it).
        not_covered: The not-covered list in service (`bot.search.not_covered`; None: none).

    Returns:
        Candidates, best first (at most five).
    """
    if not has_words(plan.texts[0]):
        return []
    boost = _asking_boost(plan, vectors, index, mode)
    rankings = [rank_notes(index, vectors[i], plan.texts[i], mode, boost=boost) for i in range(plan.own)]
    own = rankings[0] if len(rankings) == 1 else merge_rankings(rankings)
    own = lead_by_named_subject(own, plan.texts[0], index.vocabulary, threshold)
    return decline_not_covered(
        _ground(own, plan, index, not_covered), plan.texts[0], index, not_covered, threshold, plan.texts[plan.own - 1]
    )


def rank_in_context(
    plan: QueryPlan,
    vectors: np.ndarray,
    index: LoadedIndex,
    mode: str,
    threshold: float,
    topic: str | None,
    not_covered: NotCoveredMatcher | None = None,
    rival: str | None = None,
) -> tuple[list[Candidate], bool]:
    """Rank notes for a planned question, reading it in the chat's topic when it depends on it.

    Args:
        plan: From `plan_queries` (with the topic's title when there is a topic).
        vectors: One embedding per text of the plan (zeros in lexical mode).
        index: The loaded index.
        mode: "fused", "semantic" or "lexical".
        threshold: The answer threshold.
        topic: The chat's topic (a note id in `index`), or None.
        not_covered: The not-covered list in service (None: none).
        rival: The last answer's close runner-up, read in context when the plan has its reading.

    Returns:
        Candidates, best first, and whether the topic was kept for a follow-up (then its note
        answers whatever its confidence; see `bot.search.followup.follow_topic`).
    """
    own = rank_plan(plan, vectors, index, mode, threshold, not_covered)
    if topic is None or not plan.contextual or mode == "lexical":
        return own, False
    at = plan.own
    contextual = rank_notes(index, vectors[at], plan.texts[at], "semantic", limit=CONTEXT_DEPTH)
    if plan.rival and rival is not None:
        theirs = rank_notes(index, vectors[at + 1], plan.texts[at + 1], "semantic", limit=CONTEXT_DEPTH)
        topic, contextual = rival_topic(topic, contextual, rival, theirs)
    return follow_topic(plan.texts[0], topic, own, contextual, index, threshold)


def _asking_boost(plan: QueryPlan, vectors: np.ndarray, index: LoadedIndex, mode: str) -> dict[str, float] | None:
    """What a longer message's asking sentences add to each note's ranking score (`ASK_WEIGHT`); None without any."""
    if not plan.asks:
        return None
    total: dict[str, float] = {}
    for i in range(plan.own, plan.own + plan.asks):
        for note_id, score in note_scores(index, vectors[i], plan.texts[i], mode).items():
            total[note_id] = total.get(note_id, 0.0) + score
    return {note_id: ASK_WEIGHT * score / plan.asks for note_id, score in total.items()}


def _subject_words(plan: QueryPlan, head: str) -> list[str]:
    """The head's asked words as typed (`asked_words`), without those an abbreviation stands for ("KPIs", "VA")."""
    spelled = set(content_words(plan.texts[plan.own - 1])) if plan.own > 1 else None
    words = asked_words(head)
    return [w for w in words if spelled is None or w in spelled]


def _ground(
    candidates: list[Candidate], plan: QueryPlan, index: LoadedIndex, not_covered: NotCoveredMatcher | None
) -> list[Candidate]:
    """Score answerability again with grounding: a short question's specific words the top note does not use.

    "buying a franchise vs starting my own business" lands near a note on freelancing by its
    shape, but no note says "franchise": the question is about something not covered, and the
    words are kept so the decline can say so in the asker's own words. A question with no content
    word at all ("tell me more" with no topic) has nothing to ground either. Only the words the
    question asks can be missing (`bot.search.scene.request_head`): a place or an amount ("in
    Leeds", "200 lbs") is where or how much, not a subject. Every candidate is rescored (the
    question's subject is what is missing, not one note's), in lexical mode too.
    """
    if not candidates:
        return candidates
    words = content_words(plan.texts[0])
    head = request_head(plan.texts[0])
    if len(words) > SHORT_QUESTION_WORDS:
        return candidates
    uncovered: tuple[str, ...] = ()
    if words:
        subject = set(_subject_words(plan, head))
        vocabulary = index.vocabulary
        found = [w for w in vocabulary.ungrounded(head, candidates[0].note_id, RARE_NOTES) if w in subject]
        if not found:
            return candidates
        # Words no note uses at all name the missing subject best ("SBA" before "bakery"); a word the
        # question uses as a verb ("refuses", "to negotiate") still counts against the note, unnamed.
        uncovered = tuple(sorted(nameable(found, plan.texts[0]), key=lambda w: len(vocabulary.notes_of(w))))
        # "SEO and social media for a salon": "salon" is in no note, but "SEO" ties the
        # question to the marketing note, so the salon is only where the work happens.
        texts = (plan.texts[0], plan.texts[plan.own - 1])
        if only_in_passing(index, not_covered, candidates[0].note_id, texts, found, rare=RARE_NOTES):
            return candidates
    return [
        replace(
            c,
            confidence=answerability(c.cosine, c.margin, grounded=False)
            if c.cosine
            else c.confidence - UNCOVERED_PENALTY,
            uncovered=uncovered,
        )
        for c in candidates
    ]
