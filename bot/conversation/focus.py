"""Which parts of a note a reply shows: the passage that answers, a few points that matter, the rest on request.

A note's parts are named as retrieval names them (`bot.search.index.Chunk.part`): "answer"
(the opening paragraph), "point:<i>" (a key point) and "section:<i>" (a further section).
A first answer shows the passage that matched and up to two other points, within a word
budget; "more" shows parts not yet shown in the conversation, choosing the one that fits
the request ("an example", "what does that mean for me").
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from bot.knowledge.notes import KnowledgeNote
from bot.knowledge.passages import further_sections, sentences
from bot.search.index import ANSWER_PART, point_part, section_part
from bot.search.retrieval import Candidate

log = logging.getLogger(__name__)

WORD_BUDGET = 110
"""A focused reply's passage and points stay within about this many words (the title aside)."""
MAX_POINTS = 2
"""Other points shown under the passage of a first answer."""
PASSAGE_MARGIN = 0.0
"""A key point or section leads the reply only when it matched the question at least this much
better than the opening answer (0: at least as well; the opening answer is written for the note's
general question, so a passage that matches as well answers this one more directly)."""
LEAD_FLOOR = 0.35
"""A key point or section must match at least this well to lead instead of the opening answer."""
QUESTION_LEAD_MARGIN = 0.3
"""How much better than every passage the note's own title or question must match for the opening to lead."""
POINT_FLOOR = 0.2
"""Points that matched less than this are not offered as "other points that matter"."""
_EXAMPLE = re.compile(r"\bexamples?\b|\bfor instance\b|\bsuch as\b|\bin practice\b", re.IGNORECASE)
_FOR_ME = re.compile(
    r"\b(for (me|us|my|our|a|an)\b|small[- ]business|bakery|shop|apply|applies|in practice|in my case|mean)",
    re.IGNORECASE,
)
_SMALL_BUSINESS_HEADING = re.compile(
    r"small[- ]business|for (you|a small|your)|in your business|using it|where to begin|start small|practical|"
    r"which one fits|good first|in practice",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Part:
    """One part of a note as shown: a heading (for sections), prose and bullets."""

    name: str
    heading: str
    text: str
    bullets: tuple[str, ...] = ()

    @property
    def words(self) -> int:
        """How many words it shows."""
        return len(self.heading.split()) + len(self.text.split()) + sum(len(b.split()) for b in self.bullets)


def part_names(note: KnowledgeNote) -> list[str]:
    """Every part of a note in reading order: the answer, each key point, each further section with content."""
    names = [ANSWER_PART] + [point_part(i) for i in range(len(note.key_points))]
    names += [section_part(i) for i in further_sections(note) if note.sections[i][1]]
    return names


def part_of(note: KnowledgeNote, name: str) -> Part | None:
    """The part of a note a passage name stands for, or None when the note has no such part."""
    kind, _, number = name.partition(":")
    if kind == ANSWER_PART:
        return Part(name, "", note.answer)
    if not number.isdigit():
        return None
    i = int(number)
    if kind == "point" and i < len(note.key_points):
        return Part(name, "", note.key_points[i])
    if kind == "section" and i < len(note.sections):
        heading, text = note.sections[i]
        items = note.section_items[i] if i < len(note.section_items) else []
        if items:
            return Part(name, heading, "", tuple(items))
        return Part(name, heading, text)
    return None


def _points_ranked(candidate: Candidate, note: KnowledgeNote, exclude: set[str]) -> list[str]:
    """Key points in the order they matched the question (unmatched ones in note order after)."""
    matched = [p for p, s in candidate.passages if p.startswith("point:") and s >= POINT_FLOOR and p not in exclude]
    rest = [point_part(i) for i in range(len(note.key_points)) if point_part(i) not in exclude]
    return list(dict.fromkeys(matched + rest))


def lead_passage(candidate: Candidate, note: KnowledgeNote) -> str:
    """The passage a first answer leads with: the best-matching one, unless the opening answer is as good.

    A question that is essentially the note's own general question (its best chunk, the title or one
    of the note's `questions:`, matches `QUESTION_LEAD_MARGIN` better than any passage) is led by the
    opening answer, which is written for exactly that question.
    """
    if candidate.passages and candidate.peak >= candidate.passages[0][1] + QUESTION_LEAD_MARGIN:
        return ANSWER_PART
    scores = dict(candidate.passages)
    answer = scores.get(ANSWER_PART, float("-inf"))
    for name, score in candidate.passages:
        if name == ANSWER_PART or part_of(note, name) is None:
            continue
        return name if score >= max(answer + PASSAGE_MARGIN, LEAD_FLOOR) else ANSWER_PART
    return ANSWER_PART


def first_answer(
    candidate: Candidate,
    note: KnowledgeNote,
    shown: frozenset[str] = frozenset(),
    budget: int = WORD_BUDGET,
    follow_up: bool = False,
) -> list[Part]:
    """The parts an answer shows: the lead passage, then up to `MAX_POINTS` key points that matter most.

    When the lead passage is a key point or section, the opening answer is left for "more":
    it answers the note's general question, not this one. Points already `shown` in the
    conversation are not offered again (the lead passage is, when it is what was asked).
    A `follow_up` on the note just shown ("how would I know if we're in one") is led by the
    best-matching passage not shown yet: resending what the person just read answers nothing.
    """
    lead = lead_passage(candidate, note)
    if follow_up and lead in shown:
        fresh = [name for name, _ in candidate.passages if name not in shown and part_of(note, name) is not None]
        lead = fresh[0] if fresh else lead
    first = part_of(note, lead)
    assert first is not None
    parts = [first]
    used = first.words
    for name in _points_ranked(candidate, note, {lead} | shown):
        if len(parts) > MAX_POINTS:
            break
        part = part_of(note, name)
        if part is None or (used + part.words > budget and len(parts) > 1):
            continue
        if used + part.words > budget + budget // 3:
            continue
        parts.append(part)
        used += part.words
    return parts


def wants_example(request: str) -> bool:
    """True for "give me an example", "for instance"."""
    return bool(_EXAMPLE.search(request))


def wants_application(request: str) -> bool:
    """True for "what does that mean for me", "and for a bakery?": how the note applies to the person."""
    return bool(_FOR_ME.search(request))


def more_parts(note: KnowledgeNote, shown: frozenset[str], request: str, budget: int = WORD_BUDGET) -> list[Part]:
    """Parts of a note not yet shown, fitting a "more" request, within the word budget (at least one part).

    An example section comes first for "give me an example", a small-business section for
    "what does that mean for me"; otherwise the parts follow in the note's order.

    Returns:
        The parts to show; empty when everything has been shown.
    """
    left = [n for n in part_names(note) if n not in shown]
    if not left:
        return []
    # The opening answer first (when a point led), then the further sections, then the points left.
    left.sort(key=lambda n: 0 if n == ANSWER_PART else 1 if n.startswith("section:") else 2)

    def heading(name: str) -> str:
        part = part_of(note, name)
        return part.heading if part else ""

    preferred: list[str] = []
    if wants_example(request):
        preferred = [n for n in left if re.search(r"example", heading(n), re.IGNORECASE)]
    if not preferred and wants_application(request):
        preferred = [n for n in left if _SMALL_BUSINESS_HEADING.search(heading(n))]
        # An example is the next best thing to a section written for a small business.
        preferred += [n for n in left if re.search(r"example", heading(n), re.IGNORECASE)]
    order = list(dict.fromkeys(preferred + left))
    parts: list[Part] = []
    used = 0
    for name in order:
        part = part_of(note, name)
        if part is None or (name.startswith("section:") and any(p.name.startswith("section:") for p in parts)):
            continue  # one section a reply, under its own heading
        if parts and used + part.words > budget:
            break
        parts.append(part)
        used += part.words
    return parts


def one_line(note: KnowledgeNote) -> str:
    """The note's one-line summary: the first sentence of its opening answer that says something.

    A bare "Yes." or "Usually." opening is joined to the sentence after it.
    """
    parts = sentences(note.answer)
    summary = parts[0] if parts else note.answer
    if len(summary.split()) < 5 and len(parts) > 1:
        summary = f"{summary} {parts[1]}"
    return summary
