"""Note-level retrieval: semantic and lexical rankings, fused.

A note's semantic score weighs its best chunk's cosine with the average of its next two
(`note_cosines`): a question that several of a note's passages are close to is more likely about
that note than one that brushes a single sentence of it. Rankings are fused by score: that
cosine plus a small weight times the note's BM25 score relative to the query's best lexical
match. Whether the best note answers at all is decided by `bot.search.answerability`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bot.config import DEFAULT_THRESHOLD
from bot.search.answerability import answerability
from bot.search.chunks import ANSWER_PART
from bot.search.index import LoadedIndex

MODES = ("fused", "semantic", "lexical")
LEXICAL_WEIGHT = 0.1  # chosen from a sweep on the evaluation set: 0.08-0.15 is a plateau
TOP_CHUNKS = 3
"""How many of a note's best chunks its semantic score uses (see `note_cosines`)."""
REST_WEIGHT = 0.5
"""Weight of the average of a note's second and third best chunks against its best one. On the
tuning half of tests/data/real.jsonl (odd lines) forum-style top-1 went 0.79 -> 0.83 with 0.5 and
0.86 with 1.0, but 1.0 also pulled follow-ups towards the previous topic (whose every chunk the
title prefix lifts) and "is my VA an employee?" to the VA note; 0.5 keeps those right."""
LEXICAL_SCALE = 8.0
THRESHOLDS = {"fused": DEFAULT_THRESHOLD, "semantic": DEFAULT_THRESHOLD, "lexical": 0.5}
PASSAGE_LEXICAL_WEIGHT = 0.1
"""Weight of a passage's relative BM25 when a note's passages are compared (see `passage_scores`)."""
CLOSE_MARGIN = 0.08
"""Runners-up within this much cosine of the best note are offered first, as "did you mean"."""
SUGGESTION_FLOOR = 0.35
"""Below this confidence a note is not offered as a "closest topic" when declining: for clearly
off-topic input every note is equally far, and listing three of them only looks like nonsense."""


@dataclass(frozen=True)
class Candidate:
    """One note proposed for a question.

    Attributes:
        note_id: The note.
        score: Ranking score in the retriever's mode (fused score, semantic score or lexical).
        confidence: Calibrated 0..1-ish score compared with the threshold.
        cosine: The note's semantic score, from its best chunks' cosines (`note_cosines`; 0 when unknown).
        lexical: Best -bm25 of the note's chunks (0 when no match).
        passages: The note's matched passages (`Chunk.part`: "answer", "point:2", "section:3") with
            their score in the retriever's mode, best first, each passage once. Empty when the note
            was chosen without a search (a topic button).
        uncovered: Words of the question that name a subject this note does not cover (see
            `bot.search.queries`); the confidence is already lowered for them.
        peak: The cosine of the note's single best chunk (0 when unknown), which "did you mean" compares.
        margin: How far the note's semantic score leads every other note's (negative when it trails).
        pointer: Who can help instead, when the question names a subject of `knowledge/not-covered.yaml`
            this note does not cover (see `bot.search.not_covered.decline_not_covered`); "" otherwise.
    """

    note_id: str
    score: float
    confidence: float
    cosine: float
    lexical: float
    passages: tuple[tuple[str, float], ...] = field(default=(), compare=False)

    @property
    def passage(self) -> str:
        """The passage of the note that matched best ("answer" when nothing more specific is known)."""
        return self.passages[0][0] if self.passages else ANSWER_PART

    uncovered: tuple[str, ...] = ()
    peak: float = field(default=0.0, compare=False)
    margin: float = field(default=0.0, compare=False)
    pointer: str = field(default="", compare=False)


def _best_per_note(hits: list[tuple[str, float]]) -> dict[str, float]:
    best: dict[str, float] = {}
    for note_id, score in hits:
        if note_id not in best or score > best[note_id]:
            best[note_id] = score
    return best


def _margins(cos: dict[str, float]) -> dict[str, float]:
    """Each note's semantic score minus the best other note's."""
    if len(cos) < 2:
        return {}
    first, second = sorted(cos.values(), reverse=True)[:2]
    return {n: s - (second if s == first else first) for n, s in cos.items()}


def note_cosines(index: LoadedIndex, sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each note's semantic score: its best chunk's cosine, weighed with the average of its next best two.

    Args:
        index: The loaded index.
        sims: The question's cosine with every chunk, in `index.chunks` order.

    Returns:
        The scores and the best chunk's cosines, one per note in `index.note_ids` order (a
        one-chunk note scores its one cosine).
    """
    table = index.note_chunks
    padded = np.where(table >= 0, sims[np.maximum(table, 0)], -np.inf)
    top = -np.sort(-padded, axis=1)[:, :TOP_CHUNKS]
    best = top[:, 0]
    rest = top[:, 1:]
    present = np.isfinite(rest)
    count = present.sum(axis=1)
    rest_mean = np.where(count > 0, np.where(present, rest, 0.0).sum(axis=1) / np.maximum(count, 1), best)
    return np.asarray((best + REST_WEIGHT * rest_mean) / (1.0 + REST_WEIGHT)), best


def passage_scores(
    index: LoadedIndex, note_id: str, sims: list[float] | None, bonus: dict[int, float]
) -> tuple[tuple[str, float], ...]:
    """A note's passages ranked for one question, best first, each passage (`Chunk.part`) once at its best chunk's score.

    A passage chunk scores its cosine with the question plus its `bonus`: the fusion `rank_notes`
    applies to notes, on plain floats made once per question. A section's own question counts only
    when it is at least as close to the question as every question of the note as a whole (its
    title and front-matter questions): a question is nearer to another question than to any prose,
    so without this a section's questions would take over the note's general questions. Left out,
    the section still competes by its text.

    Args:
        index: The loaded index.
        note_id: The note.
        sims: The question's cosine with every chunk (`index.matrix @ vector` as floats), or None
            when there is none (the lexical retriever): then only chunks with a bonus count, scoring it.
        bonus: Per lexically matched chunk, what its match adds: `PASSAGE_LEXICAL_WEIGHT` times its
            BM25 relative to the query's best chunk in the fused mode, its BM25 in the lexical mode,
            nothing (empty) in the semantic mode.
    """
    best: dict[str, float] = {}
    if sims is None:
        for i, part, _ in index.passage_entries.get(note_id, ()):
            if i in bonus and bonus[i] > best.get(part, float("-inf")):
                best[part] = bonus[i]
        return tuple(sorted(best.items(), key=lambda item: (-item[1], item[0])))
    general = index.note_question_chunks.get(note_id)
    bar = max(sims[i] for i in general) if general else float("-inf")
    for i, part, section_question in index.passage_entries.get(note_id, ()):
        cosine = sims[i]
        if section_question and cosine < bar:
            continue
        score = cosine + bonus.get(i, 0.0)
        if score > best.get(part, float("-inf")):
            best[part] = score
    return tuple(sorted(best.items(), key=lambda item: (-item[1], item[0])))


def note_scores(index: LoadedIndex, vector: np.ndarray | None, text: str, mode: str = "fused") -> dict[str, float]:
    """Every matched note's ranking score for one text, as `rank_notes` ranks them, without building candidates.

    Args:
        index: The loaded index.
        vector: The text's embedding (None, or ignored, in lexical mode).
        text: The cleaned text, for the lexical search.
        mode: "fused", "semantic" or "lexical".

    Returns:
        Score per note (a note neither search matched is left out).
    """
    cos: dict[str, float] = {}
    if vector is not None and mode != "lexical" and index.chunks:
        scores, _ = note_cosines(index, index.matrix @ np.asarray(vector, dtype=np.float32))
        cos = dict(zip(index.note_ids, scores.tolist()))
    if mode == "semantic":
        return cos
    lex = _best_per_note([(index.chunk_notes[i], s) for i, s in index.lexical_chunks(text)])
    if mode == "lexical":
        return lex
    return _fused(cos, lex)


def _fused(cos: dict[str, float], lex: dict[str, float]) -> dict[str, float]:
    """Score fusion: each note's cosine plus the lexical score relative to the query's best lexical match.

    Unlike rank fusion it keeps the size of semantic gaps, so a lexical hit breaks near-ties
    without overturning a clear semantic winner.
    """
    top_lex = max(lex.values(), default=0.0)
    return {
        n: cos.get(n, 0.0) + (LEXICAL_WEIGHT * lex[n] / top_lex if n in lex and top_lex > 0 else 0.0)
        for n in set(cos) | set(lex)
    }


def rank_notes(
    index: LoadedIndex,
    vector: np.ndarray | None,
    text: str,
    mode: str = "fused",
    limit: int = 5,
    boost: dict[str, float] | None = None,
) -> list[Candidate]:
    """Rank notes for one question.

    Args:
        index: The loaded index.
        vector: The question's embedding (may be None in lexical mode).
        text: The cleaned question, for the lexical search.
        mode: "fused", "semantic" or "lexical".
        limit: How many candidates to return.
        boost: Added to a note's ranking score (not its confidence) before ordering: what the
            asking sentences of a long message add (`bot.search.queries.rank_plan`). None: nothing.

    Returns:
        Candidates, best first.
    """
    sims = None
    cos: dict[str, float] = {}
    peak: dict[str, float] = {}
    if vector is not None and mode != "lexical" and index.chunks:
        # Every chunk, not only FAISS's nearest: a note's score needs its best three.
        sims = index.matrix @ np.asarray(vector, dtype=np.float32)
        semantic, note_peaks = note_cosines(index, sims)
        cos = dict(zip(index.note_ids, semantic.tolist()))
        peak = dict(zip(index.note_ids, note_peaks.tolist()))
    margins = _margins(cos)
    lex_chunks = index.lexical_chunks(text) if mode != "semantic" else []
    lex = _best_per_note([(index.chunk_notes[i], s) for i, s in lex_chunks])
    lex_by_chunk = dict(lex_chunks)
    top_lex_chunk = max(lex_by_chunk.values(), default=0.0)

    def lexical_confidence(note_id: str) -> float:
        s = lex.get(note_id, 0.0)
        return s / (s + LEXICAL_SCALE) if s > 0 else 0.0

    if mode == "semantic":
        scores = cos
    elif mode == "lexical":
        scores = lex
    else:
        scores = _fused(cos, lex)
    if boost:
        scores = {n: scores.get(n, 0.0) + boost.get(n, 0.0) for n in set(scores) | set(boost)}
    order = sorted(scores, key=lambda n: (-scores[n], -cos.get(n, 0.0)))
    sim_list = sims.tolist() if sims is not None else None
    if mode == "lexical":
        bonus = lex_by_chunk
    elif mode == "fused" and top_lex_chunk > 0:
        bonus = {i: PASSAGE_LEXICAL_WEIGHT * (s / top_lex_chunk) for i, s in lex_by_chunk.items()}
    else:
        bonus = {}

    result = []
    for note_id in order[:limit]:
        if mode == "lexical":
            confidence = lexical_confidence(note_id)
        else:
            confidence = answerability(cos.get(note_id, 0.0), margins.get(note_id, 0.0))
        result.append(
            Candidate(
                note_id,
                scores[note_id],
                confidence,
                cos.get(note_id, 0.0),
                lex.get(note_id, 0.0),
                passage_scores(index, note_id, sim_list, bonus),
                peak=peak.get(note_id, 0.0),
                margin=margins.get(note_id, 0.0),
            )
        )
    return result


def close_alternatives(candidates: list[Candidate], margin: float = CLOSE_MARGIN) -> list[Candidate]:
    """Candidates after the first that are within `margin` of the best ("did you mean").

    Closeness is measured on the best chunk's cosine (`Candidate.peak`: two notes that share a
    question are a close call even when one has more passages near it; the lexical agreement
    bonus only decides which of two near-equal notes is answered), or on the confidence in
    lexical mode where there is no cosine.
    """
    if not candidates:
        return []

    def closeness(c: Candidate) -> float:
        if candidates[0].peak > 0:
            return c.peak
        return c.cosine if candidates[0].cosine > 0 else c.confidence

    top = closeness(candidates[0])
    return [c for c in candidates[1:] if top - closeness(c) <= margin]


def merge_rankings(rankings: list[list[Candidate]], limit: int = 5) -> list[Candidate]:
    """Merge rankings of variants of one question: each note keeps its best-scoring candidate.

    Args:
        rankings: Candidates per variant (for example as typed and with abbreviations spelled out).
        limit: How many candidates to return.

    Returns:
        Candidates, best score first.
    """
    best: dict[str, Candidate] = {}
    for ranking in rankings:
        for candidate in ranking:
            kept = best.get(candidate.note_id)
            if kept is None or (candidate.score, candidate.confidence) > (kept.score, kept.confidence):
                best[candidate.note_id] = candidate
    return sorted(best.values(), key=lambda c: (-c.score, -c.confidence))[:limit]
