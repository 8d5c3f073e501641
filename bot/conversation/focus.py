"""Which parts of a note a reply shows: the passage that answers, a few points that matter, the rest on request.

A note's parts are named as retrieval names them (`bot.search.index.Chunk.part`): "answer"
(the opening paragraph), "point:<i>" (a key point) and "section:<i>" (a further section).
A first answer shows the passage that matched and up to two other points, within a word
budget; "more" (`bot.conversation.continuing.more_parts`) shows parts not yet shown in the
conversation, choosing the one that fits the request ("an example", "what does that mean for me").

Passages are compared by their retrieval score plus how many of the question's distinctive
words they use (`word_shares`), so "which IRS form..." is led by the one point that names the
IRS form rather than by the opening that is merely about the same subject; "what does EOR stand
for" is led by the passage that spells the abbreviation out.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from dataclasses import dataclass

from bot.knowledge.notes import KnowledgeNote
from bot.knowledge.passages import further_sections
from bot.search.asks import WHERE, lead_answering, price_lead
from bot.search.chunks import ANSWER_PART, point_part, section_part
from bot.search.grounding import content_words, stem
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
WORDS_WEIGHT = 0.15
"""Weight of a passage's `word_shares` (the question's distinctive words it uses), added to its retrieval
score when the passages of the answering note are compared. Chosen on focus.jsonl and conversations.jsonl
(tuning): 0.1-0.15 gave the same figures, 0.25 lost two conversation turns, 0.5 traded one focus case for another."""
SECTION_GAP = 0.1
"""A further section this close to the opening answer's score is shown under it, before the key points."""
POINT_FLOOR = 0.2
"""Points that matched less than this are not offered as "other points that matter"."""
ASKED_FLOOR = 0.2
"""A passage already shown leads a follow-up again when it uses the question's distinctive words at
least this much (`word_shares`) ("what about outside the EU?" after "Outside Europe" was shown) and
`ASKED_MARGIN` more than any passage not shown yet: the person asks for what they were shown."""
ASKED_MARGIN = 0.1
"""See `ASKED_FLOOR`."""
_LOOSE_WORDS = frozenset(
    {"before", "after", "back", "again", "still", "also", "first", "next", "then", "now"}
) | frozenset({"get", "gets", "got", "goes", "going", "go", "went", "way", "thing", "things"})
"""Words that say when or how, not what: a passage using "back" or "before" is not asked for by them
("what should I get back from her before she goes" asks for the handover, not the money point)."""
_CAVEAT_HEADING = re.compile(r"watch out|red flags|pitfalls|mistakes|risks", re.IGNORECASE)
"""A section of warnings leads a reply only when the question asks for warnings (`_ASKS_CAVEAT`) or
it matched `CAVEAT_MARGIN` better than the opening answer (its own questions)."""
CAVEAT_MARGIN = 0.15
_ASKS_CAVEAT = re.compile(
    r"watch|careful|beware|risk|mistake|wrong|pitfall|flag|warning|avoid|downside|problem|trap|eat into|catch\b",
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


def part_texts(note: KnowledgeNote) -> dict[str, str]:
    """Each part's words as shown (heading, prose, bullets), by part name, in reading order."""
    return {name: " ".join((p.heading, p.text, *p.bullets)) for name in part_names(note) if (p := part_of(note, name))}


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


_SPELL_OUT = re.compile(
    r"\bwhat(?:'?s|\s+is|\s+does|\s+do)\s+(?:an?\s+|the\s+)?([A-Z][A-Z0-9]{1,5})s?\s+(?:stand|short)\s+for\b"
    r"|\bwhat(?:'?s|\s+is|\s+does|\s+do)\s+(?:an?\s+|the\s+)?([A-Z][A-Z0-9]{1,5})s?\s+mean\b"
    r"|\bwhat(?:'?s|\s+is|\s+are)\s+(?:an?\s+|the\s+)?([A-Z][A-Z0-9]{1,5})s?\W*$"
)
"""A question asking what an abbreviation stands for, typed in capitals: "what does EOR stand for"."""
_ACRONYM = re.compile(r"\b[A-Z]{2}\b|(?<=\bthe )(?:us|uk|eu)\b")
SATURATION = 1.2
"""BM25's k1, for the length normalisation in `word_shares`."""
LENGTH_NORM = 0.75
"""BM25's b: how much a part's length relative to the note's average lowers its `word_shares`."""


@functools.lru_cache(maxsize=256)
def _terms(text: str) -> frozenset[str]:
    """The stems of a text's content words, with two-letter acronyms ("US", "the uk") that stopwords would drop.

    Cached for the few texts in use (a reply asks for its question's terms four or five times, and
    for note titles), not to remember questions: a small cache, so the bench's questions do not stay in it.
    """
    return frozenset(stem(word) for word in content_words(text) + _ACRONYM.findall(text))


_PART_TERMS: dict[int, tuple[KnowledgeNote, dict[str, tuple[frozenset[str], int]]]] = {}
"""Each note's part terms, computed once per loaded note (stemming every part cost ~0.8 ms a question)."""
_PART_TERMS_MAX = 1024
"""A reload loads new note objects; past this many the cache starts again instead of growing."""


def _part_terms(note: KnowledgeNote) -> dict[str, tuple[frozenset[str], int]]:
    """The stems of each part of a note and its length in words (cached per note object; read-only)."""
    hit = _PART_TERMS.get(id(note))
    if hit is not None and hit[0] is note:
        return hit[1]
    terms = _compute_part_terms(note)
    if len(_PART_TERMS) >= _PART_TERMS_MAX:
        _PART_TERMS.clear()
    _PART_TERMS[id(note)] = (note, terms)  # the note is kept, so its id is not reused while cached
    return terms


def _compute_part_terms(note: KnowledgeNote) -> dict[str, tuple[frozenset[str], int]]:
    return {name: (_terms(text), len(text.split())) for name, text in part_texts(note).items()}


def word_shares(note: KnowledgeNote, question: str) -> dict[str, float]:
    """For each part of a note, how much of the question's distinctive wording it uses (0 to about 0.85).

    A word counts by how few of the note's parts use it (log((parts + 1) / parts using it)):
    "employee" in every part of the contractor note says little, "IRS" and "form" in one says
    which part was asked about. Words no part uses count for none, and a question whose words are
    all common in the note counts as if it had one rare word. As in BM25, a long part counts less
    for the same words than a short one (a part of average length using every asked word gets 0.5):
    a long opening about the whole subject uses many words of any question.
    """
    terms = _part_terms(note)
    asked = _terms(question)
    weights = {}
    for term in asked:
        used = sum(term in t for t, _ in terms.values())
        if used:
            weights[term] = math.log((len(terms) + 1) / used)
    # At least one rare word's weight: a question whose only words are common in the note ("how much
    # does it cost?") says little about which part it means.
    total = max(sum(weights.values()), math.log(len(terms) + 1))
    if not weights or not terms:
        return {name: 0.0 for name in terms}
    average = sum(n for _, n in terms.values()) / len(terms)
    shares = {}
    for name, (t, n) in terms.items():
        # BM25's length normalisation: a word found in a short point says more than in a long opening.
        norm = 1 + SATURATION * (1 - LENGTH_NORM + LENGTH_NORM * n / max(average, 1.0))
        shares[name] = sum(w for term, w in weights.items() if term in t) / total / norm * (1 + SATURATION) / 2
    return shares


def ranked_passages(candidate: Candidate, note: KnowledgeNote, question: str = "") -> list[tuple[str, float]]:
    """The candidate's matched passages, rescored with `WORDS_WEIGHT` times their `word_shares`, best first."""
    if not question:
        return list(candidate.passages)
    shares = word_shares(note, question)
    scored = [(name, score + WORDS_WEIGHT * shares.get(name, 0.0)) for name, score in candidate.passages]
    return sorted(scored, key=lambda item: (-item[1], item[0]))


def _points_ranked(
    candidate: Candidate, note: KnowledgeNote, exclude: set[str], passages: list[tuple[str, float]]
) -> list[str]:
    """Key points in the order they matched the question (unmatched ones in note order after)."""
    matched = [p for p, s in passages if p.startswith("point:") and s >= POINT_FLOOR and p not in exclude]
    rest = [point_part(i) for i in range(len(note.key_points)) if point_part(i) not in exclude]
    return list(dict.fromkeys(matched + rest))


def _close_section(
    passages: list[tuple[str, float]], exclude: set[str], note: KnowledgeNote, question: str
) -> list[str]:
    """The further section to show under a leading opening answer, before the key points (or none).

    It must have matched nearly as well as the opening (within `SECTION_GAP`) and use a word of the
    question that the opening does not ("where do US companies find nearshore help": the opening
    explains nearshore, the section names where US companies look). A section that only says more
    about what the opening covers is left for "more" ("give me an example"). It is shown under the
    opening answer, before the key points (the answer template's order), so only an answer led by
    the opening gets one.
    """
    terms = _part_terms(note)
    asked = _terms(question)
    opening = terms.get(ANSWER_PART, (frozenset(), 0))[0]
    scores = dict(passages)
    bar = max(LEAD_FLOOR, scores.get(ANSWER_PART, float("inf")) - SECTION_GAP)
    for name, score in passages:
        if not name.startswith("section:") or name in exclude or score < bar or name not in terms:
            continue
        if (asked & terms[name][0]) - opening:
            return [name]
    return []


def spelled_out(question: str) -> str:
    """The abbreviation a question asks the meaning of ("what does EOR stand for", "what is an SLA"), or ""."""
    found = _SPELL_OUT.search(question)
    return next((g for g in found.groups() if g), "") if found else ""


def _defining_part(note: KnowledgeNote, abbreviation: str, passages: list[tuple[str, float]]) -> str | None:
    """The part of a note that spells an abbreviation out ("an employer of record (EOR)"), best-matching first."""
    defines = re.compile(rf"\(\s*{re.escape(abbreviation)}s?\s*\)|\b{re.escape(abbreviation)} (?:means|stands for)\b")
    order = list(dict.fromkeys([name for name, _ in passages] + part_names(note)))
    for name in order:
        part = part_of(note, name)
        if part is not None and defines.search(" ".join((part.heading, part.text, *part.bullets))):
            return name
    return None


def lead_passage(
    candidate: Candidate, note: KnowledgeNote, question: str = "", passages: list[tuple[str, float]] | None = None
) -> str:
    """The passage a first answer leads with: the best-matching one, unless the opening answer is as good.

    A question that is essentially the note's own general question (its best chunk, the title or one
    of the note's `questions:`, matches `QUESTION_LEAD_MARGIN` better than any passage) is led by the
    opening answer, which is written for exactly that question. Passages are compared by `ranked_passages` when the `question` is given; a question asking what an
    abbreviation stands for is led by the passage that spells it out, and one asking where to find
    someone by a passage saying where to look ("how do I find a good VA": not what a VA is).
    `passages` is `ranked_passages(candidate, note, question)` when the caller has it already.
    """
    if passages is None:
        passages = ranked_passages(candidate, note, question)
    abbreviation = spelled_out(question)
    defining = _defining_part(note, abbreviation, passages) if abbreviation else None
    if defining is not None:
        return defining  # "what does EOR stand for": the passage that says it, whatever else matched
    lead = _usual_lead(candidate, note, question, passages)
    lead = _rare_term_lead(candidate, note, question, lead) or lead
    lead = price_lead(question, texts := part_texts(note), passages, lead) or lead
    return lead_answering(WHERE, question, texts, [name for name, _ in passages], lead) or lead


RARE_PARTS = 2
"""A question's word used by at most this many parts of the note is its rare, specific term ("NDA")."""
RARE_MARGIN = 0.1
"""A passage using the question's rare term leads instead of one that does not unless it matched this much worse."""


def _rare_term_lead(candidate: Candidate, note: KnowledgeNote, question: str, lead: str) -> str | None:
    """The passage using the question's rare term, when the usual `lead` does not use it, or None.

    "what is an NDA for" is led by the point that says to sign an NDA, not by the opening written
    for the note's own question "do I need an NDA", which never names it; unless the passage
    matched `RARE_MARGIN` worse by retrieval score, or is a warning the question does not ask for.
    Rare: used by at most `RARE_PARTS` parts and not in the note's title; typed in capitals first.
    """
    terms = _part_terms(note)
    asked = _terms(" ".join(w for w in question.split() if w.lower().strip("?!.,") not in _LOOSE_WORDS))
    asked -= _terms(note.title)  # the note's subject ("software" in "Hiring a software development firm")
    rare = {t for t in asked if 0 < sum(t in part for part, _ in terms.values()) <= RARE_PARTS}
    typed = rare & {stem(w) for w in re.findall(r"\b[A-Z]{2,6}\b", question)}
    rare = typed or rare  # a term typed in capitals ("NDA") is the one asked about, before "hire"
    if not rare or lead not in terms or terms[lead][0] & rare:
        return None
    raw = dict(candidate.passages)
    for name, score in candidate.passages:
        part = part_of(note, name)
        if name not in terms or part is None or not terms[name][0] & rare:
            continue
        if _CAVEAT_HEADING.search(part.heading) and not _ASKS_CAVEAT.search(question):
            continue
        if lead == ANSWER_PART and name.startswith("section:"):
            return None  # a close section using it follows the opening (`_close_section`)
        return name if score >= max(raw.get(lead, 0.0) - RARE_MARGIN, LEAD_FLOOR) else None
    return None


def _usual_lead(candidate: Candidate, note: KnowledgeNote, question: str, passages: list[tuple[str, float]]) -> str:
    """The lead by score: the note's own question gets the opening; else the best passage unless the opening is as good."""
    # On the cosine scale the peak is on: the passages' retrieval scores, not the rescored ones.
    if passages and candidate.peak >= candidate.passages[0][1] + QUESTION_LEAD_MARGIN:
        return ANSWER_PART
    scores = dict(passages)
    answer = scores.get(ANSWER_PART, float("-inf"))
    for name, score in passages:
        part = part_of(note, name)
        if name == ANSWER_PART or part is None:
            continue
        if (
            _CAVEAT_HEADING.search(part.heading)
            and score < answer + CAVEAT_MARGIN
            and not _ASKS_CAVEAT.search(question)
        ):
            continue  # "should I get help?" is not answered by the note's warnings
        return name if score >= max(answer + PASSAGE_MARGIN, LEAD_FLOOR) else ANSWER_PART
    return ANSWER_PART


def first_answer(
    candidate: Candidate,
    note: KnowledgeNote,
    shown: frozenset[str] = frozenset(),
    budget: int = WORD_BUDGET,
    question: str = "",
    on_topic: bool = False,
) -> list[Part]:
    """The parts an answer shows: the lead passage, then up to `MAX_POINTS` key points that matter most.

    Under an opening answer that leads, a further section that matched nearly as well and answers a
    word of the question the opening does not (`_close_section`) comes first among them. `question` is the message answered, for `ranked_passages`.
    When the lead passage is a key point or section, the opening answer is left for "more":
    it answers the note's general question, not this one. Points already `shown` in the
    conversation are not offered again (the lead passage is, when it is what was asked).
    A question on a note the chat was shown, just now ("how would I know if we're in one") or before
    another topic, is led by the best-matching passage not shown yet when its usual lead was shown:
    resending what the person read answers nothing, unless the question, `on_topic` (about the note
    just shown), asks for a passage it showed (`asked_again`).
    """
    passages = ranked_passages(candidate, note, question)
    lead = lead_passage(candidate, note, question, passages)
    if lead in shown:
        fresh = [name for name, _ in passages if name not in shown and part_of(note, name) is not None]
        again = asked_again(note, question, shown, fresh) if on_topic else None
        lead = again or (fresh[0] if fresh else lead)
    first = part_of(note, lead)
    assert first is not None
    parts = [first]
    used = first.words
    extras = _points_ranked(candidate, note, {lead} | shown, passages)
    if lead == ANSWER_PART:
        extras = _close_section(passages, {lead} | shown, note, question) + extras
    priced = price_lead(question, part_texts(note), passages, lead, margin=math.inf)
    if priced is not None and priced not in shown:
        extras = [priced, *(name for name in extras if name != priced)]  # a price question sees the prices
    for name in extras:
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


def asked_again(note: KnowledgeNote, question: str, shown: frozenset[str], fresh: list[str]) -> str | None:
    """The passage already shown that a follow-up asks for again, or None.

    "what about outside the EU?" after "tell me more" showed the note's "Outside Europe": its words
    are in that passage, and in none not shown yet, so answering with a passage not read yet (the
    rule for follow-ups) would answer something else. Chosen by `word_shares`, at least
    `ASKED_FLOOR`, and `ASKED_MARGIN` ahead of every fresh passage.
    """
    asked = " ".join(w for w in question.split() if w.lower().strip("?!.,") not in _LOOSE_WORDS)
    if not asked:
        return None
    shares = word_shares(note, asked)
    seen = sorted((n for n in shown if n in shares and part_of(note, n) is not None), key=lambda n: (-shares[n], n))
    if not seen or shares[seen[0]] < ASKED_FLOOR:
        return None
    best_fresh = max((shares.get(n, 0.0) for n in fresh), default=0.0)
    return seen[0] if shares[seen[0]] >= best_fresh + ASKED_MARGIN else None
