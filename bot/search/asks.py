"""What a follow-up asks of the topic's subject (a price, where to find one, who owns the work), and what answers it.

"how much should I budget for it" after a note on virtual assistants asks the price of one: the
note's point with hourly rates answers it, its opening does not. `bot.search.followup` uses these to
keep the topic, led by such a passage (`led_by`), or to hand the follow-up to a note that has one
(`answer_elsewhere`). A passage answers when its text says so (a price with its unit, "where to
look", who owns the work).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace

from bot.search.index import LoadedIndex
from bot.search.retrieval import Candidate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ask:
    """Something a follow-up asks about the topic's subject, and how to tell a passage that answers it.

    Attributes:
        name: What is asked ("cost"), for logs and tests.
        question: Matches a message that asks it ("how much should I budget for it").
        answer: Matches a passage that answers it (a price with its unit, "charge a monthly retainer").
        home: The note that answers it whatever the subject ("" for none): the follow-up goes there
            when neither the topic's note nor a note the message reaches has a passage answering it.
        hand_off: When the topic's note has no passage answering, the follow-up goes to a note that
            has one; when False, the other rules of `follow_topic` decide.
    """

    name: str
    question: re.Pattern[str]
    answer: re.Pattern[str]
    home: str = ""
    hand_off: bool = True


COST = Ask(
    "cost",
    re.compile(
        r"\bhow much\b|\b(costs?|price[sd]?|pricing|charges?|charging|budget|rates?|fees?|afford|expensive|cheap(er|est)?)\b",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(hourly|daily|day)( bill)? rates?\b|\brates? (are|run|start|of about|from)\b"
        r"|[$£€]\s?\d[\d,.]*k?\s*(?:(?:-|–|to)\s*[$£€]?\d[\d,.]*k?\s*)?(?:an?|per)\s+(hour|month|word|article|day|project|year)\b"
        r"|\bcharges? (a|an|by|per|for)\b|\bmonthly (fee|retainer)\b|\bcosts? (about|around|roughly|from|between)\b"
        r"|\bruns? about [$£€]"
        # How much to set aside, said without a figure: "a small, protected budget", "10% of revenue".
        r"|\b(small|modest|protected|ring-fenced) budget\b"
        r"|\b\d+\s?% of (your )?(revenue|sales|turnover|profit|budget|payroll)\b"
        # What the price is made of, itemised: "list every fee: receiving, storage, pick and pack".
        r"|\bfees?: ",
        re.IGNORECASE,
    ),
    hand_off=False,  # no price in the topic's note: pricing, or the topic when pricing never names it
)
"""A cost question ("how do they usually charge") stays on a topic whose note has prices, led by them."""
WHERE = Ask(
    "where",
    re.compile(
        r"\bwhere\b.*\b(find|get|hire|look|search|source)\b|\b(find|finding) (one|them|someone|a good)\b", re.IGNORECASE
    ),
    re.compile(
        r"(?i:\bwhere to (look|find|start looking)\b|\bplaces to (find|look)\b|\breferrals from (other|your|fellow)\b)"
        r"|\b(?i:find|hire|look for|recruit)\w* (\w+ ){0,2}(?i:on|through|via) "
        r"(?:[A-Z]|(?i:referrals|sourcing|platforms|directories|marketplaces|trade))"  # "through LinkedIn", "via referrals"
    ),
    home="freelance-marketplaces",
)
""""where do I find one?" is answered by a passage that says where to look, else by the note that does."""
OWNERSHIP = Ask(
    "ownership",
    re.compile(
        r"\bwho (owns|will own|would own|gets to own)\b|\b(do|does|will) (i|we|they|he|she) own\b|\bownership\b"
        r"|\bcopyright\b|\bintellectual property\b|\bown the (rights|copyright|code|design|files|work)\b",
        re.IGNORECASE,
    ),
    re.compile(
        r"\bown(s|ing|ership)?\b (the|it|what|everything|all)\b|\bownership\b|\bcopyright\b"
        r"|\bintellectual property\b|\bassign(s|ed|ment)?\b",
        re.IGNORECASE,
    ),
    home="contracts-and-ip",
)
""""and who owns it after?" is answered by a passage on ownership, else by the contracts note."""
ASKS = (OWNERSHIP, WHERE, COST)
"""Checked in this order: "who owns the logo I paid for" asks about ownership, not the price."""


def what_is_asked(text: str) -> Ask | None:
    """The first of `ASKS` a message asks ("how much?": `COST`), or None."""
    return next((ask for ask in ASKS if ask.question.search(text)), None)


def answering_parts(ask: Ask, note_id: str, index: LoadedIndex) -> list[str]:
    """The parts of a note whose text answers `ask`, in note order.

    Sections' own questions are left aside: "where do I find a platform's current fees" asks about
    fees, not where to find anyone.
    """
    chunks = index.chunks
    found: list[str] = []
    for position, part, own_question in index.passage_entries.get(note_id, []):
        if not own_question and part not in found and ask.answer.search(chunks[position].text):
            found.append(part)
    return found


def lead_answering(ask: Ask, question: str, texts: dict[str, str], ranked: list[str], lead: str) -> str | None:
    """The best-ranked part answering `ask` when the question asks it and the usual `lead` does not answer it, or None.

    Args:
        ask: What may be asked (`WHERE`: "how do I find a good VA" asks where to look).
        question: The question.
        texts: The note's parts' texts by name (`bot.conversation.focus.part_texts`).
        ranked: The part names as ranked for the question, best first.
        lead: The part that would lead otherwise.
    """
    if not ask.question.search(question):
        return None
    answering = {name for name, text in texts.items() if ask.answer.search(text)}
    if not answering or lead in answering:
        return None
    return next((name for name in ranked if name in answering), None)


ASKED_LEAD = 0.2
"""Added to the score of a passage that answers what the follow-up asks (`Ask`), so it leads the reply
(more than `bot.conversation.focus.WORDS_WEIGHT` can add to another passage)."""


def led_by(candidate: Candidate, parts: list[str]) -> Candidate:
    """The candidate with `parts` first among its passages (scored `ASKED_LEAD` above its best), read as a follow-up."""
    top = max((score for _, score in candidate.passages), default=0.0)
    scores = dict(candidate.passages)
    lifted = [(part, max(top, scores.get(part, 0.0)) + ASKED_LEAD) for part in parts]
    rest = [(part, score) for part, score in candidate.passages if part not in parts]
    return replace(candidate, passages=tuple(lifted + rest), peak=0.0)


def answer_elsewhere(
    ask: Ask, topic: str, own: list[Candidate], contextual: list[Candidate], index: LoadedIndex, threshold: float
) -> Candidate | None:
    """The note that answers what the topic's note cannot, with its passage that answers it first, or None.

    A note confident on the message alone comes first, then the ask's home note, then the others
    read in context: "and who owns it after?" after a logo's price barely reaches the manufacturer
    note (who owns the moulds) and goes to the contracts note, which is about who owns the work.
    """
    others = [c for c in [*own, *contextual] if c.note_id != topic]
    found = {c.note_id: c for c in reversed(others)}  # the first reading of each note wins (the message alone)
    confident = [c.note_id for c in own if c.note_id != topic and c.confidence >= threshold]
    home = [ask.home] if ask.home and ask.home != topic and ask.home in index.passage_entries else []
    rest = [c.note_id for c in contextual if c.note_id != topic] + [c.note_id for c in own if c.note_id != topic]
    for note_id in dict.fromkeys(confident + home + rest):
        parts = answering_parts(ask, note_id, index)
        if parts:
            chosen = found.get(note_id) or Candidate(note_id, threshold, threshold, threshold, 0.0)
            return led_by(chosen, parts)
    return None


PRICE_MARGIN = 0.15
"""A passage with more prices leads a price question instead of the usual lead unless it matched this much worse."""
_AMOUNT = re.compile(r"[$£€]\s?\d")


def price_lead(
    question: str, texts: dict[str, str], ranked: list[tuple[str, float]], lead: str, margin: float = PRICE_MARGIN
) -> str | None:
    """For a question asking a price (`COST`), the passage giving the most prices when the usual `lead` gives fewer, or None.

    "how much does a VA cost per hour" is led by the point with the hourly rates by region, not by
    the section on paying a fair rate that names one rate in passing; "how much is a bookkeeper per
    month" by the price ranges, not by the platforms' fees. Only passages within `margin` of the
    lead's score compete, so a price elsewhere in the note does not displace what was asked;
    `bot.conversation.focus.first_answer` shows one further away right under the lead (no margin).

    Args:
        question: The question.
        texts: The note's parts' texts by name (`bot.conversation.focus.part_texts`).
        ranked: The parts with their scores for the question, best first.
        lead: The part that would lead otherwise.
        margin: How much worse than the lead a passage may have matched.
    """
    if not COST.question.search(question):
        return None
    floor = dict(ranked).get(lead, 0.0) - margin
    best, most = None, len(_AMOUNT.findall(texts.get(lead, "")))
    for name, score in ranked:
        count = len(_AMOUNT.findall(texts.get(name, "")))
        if score >= floor and count > most:
            best, most = name, count
    return best
