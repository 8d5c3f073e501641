"""Follow-ups: whether a message depends on the chat's topic, and which note answers it when it does.

This is the one place that decides it; the word lists it reads (question words, pointing words,
continuations, sums) are in `bot.search.followup_words`, shared with `bot.search.queries` and
`bot.search.several`.

A message depends on the topic when it points back at it ("how would I know if we're in one",
"what tools would they use", "where do I find one?"), continues it ("and for taxes?", "what about
offshore") or is a short question that leaves its subject out ("how much?", "how would I check").
Such a message is also embedded once as "<topic title>: <message>" (`context_text`). When the
topic's note matches that reading better than any note matches the message alone, the topic's
note answers, with its passage that fits the new question. What keeps the topic from swallowing
what is not about it:

- a follow-up that asks the price, where to find one or who owns the work (`bot.search.asks`),
  naming no subject another note answers confidently, stays on the topic when the topic's note
  has a passage answering it, and leads with it ("roughly what would an agency like that charge
  me" after outsourcing sales); when it has none, "where" and "who owns" go to the note that
  does (a note confident alone, the ask's home note, then the notes read in context), and a
  price question is left to the rules below (the pricing note, or the topic when pricing never
  names its subject);
- a message that names a subject of its own, which another note covers confidently and the topic's
  note does not mention ("do they need insurance?", "who would manage all these people"), goes to
  that other note; so does a short question that names a subject of its own without pointing back
  ("what's the capital of australia" is then declined on its own);
- a message with nothing to do with our notes ("what time is it in Tokyo?", "is it going to rain
  tomorrow", "what's 7 times 8", "pizza?") is read as if asked alone: sums, a bare word whose own
  search finds nothing close, and words no note uses without a word that ties the message to the topic.

And what keeps the topic when it is what the person means, or hands the message on when it is not:

- a note confident on the message alone that never names the topic's subject (the specific words
  of its title) does not take "it" from the topic ("how much does it cost?" after fulfilment);
- the topic first on the message alone, though unsure, and first read in context, is kept;
- a short continuation on words the topic's note uses ("and on fiverr?"), with the topic first in
  context, asks the last question again about them, so it stays on the topic;
- a message none of whose words the topic's note uses, all used by the note its own words reach
  ("where do I find one?" after customer support), goes to that note, when its own words pick
  that note clearly (not a near tie with another note nobody mentioned).

A message that makes sense on its own (longer, with no pointing word) is never read in context.
The decision costs one more embedding and a dot product with each chunk of the index, as every
search does; the topic's passages are ranked by `bot.search.retrieval` like any note's.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.search.asks import Ask, answer_elsewhere, answering_parts, led_by, what_is_asked
from bot.search.followup_words import CONTINUING, TOPIC_POINTING, is_bare_question, points_back
from bot.search.grounding import content_words
from bot.search.index import LoadedIndex
from bot.search.retrieval import SUGGESTION_FLOOR, Candidate

log = logging.getLogger(__name__)

# ----- the decision -----------------------------------------------------------------------------

SPECIFIC_NOTES = 10
"""A word used by at most this many notes names a subject ("insurance", "philippines"); commoner
words ("cost", "check", "use") only shape the question."""
TOPIC_FLOOR = 0.4
"""The topic's best passage must match the message read in context at least this well (the
topic's note kept this way matched 0.43-0.72 on the follow-ups of tests/data/conversations.jsonl)."""
TOPIC_MARGIN = 0.06
"""How much better the topic's note must match in context than a note confident on the message alone."""
CONFIRM_MARGIN = 0.15
"""A note confident on the message alone keeps it when, read in context, it is within this much of
the topic's note: the context confirms it ("how much does that cost?" after "when should I
outsource?" stays on pricing, 0.01 behind in context; after a virtual-assistant answer it goes to
virtual assistants, 0.47 behind). Only a note that speaks of the topic's subject is confirmed so
(`_speaks_of_topic`)."""


def _decided(rule: str, topic: str, ranked: list[Candidate], kept: bool) -> tuple[list[Candidate], bool]:
    """`follow_topic`'s result, logged with the name of the rule that decided it."""
    log.debug("follow-up on %s: %s -> %s", topic, rule, ranked[0].note_id if ranked else None)
    return ranked, kept


def _unrelated(text: str, topic: str, own: list[Candidate], index: LoadedIndex) -> bool:
    """True for a bare word its own search finds nothing close to, or words no note knows with none tied to the topic."""
    if is_bare_question(text) and (not own or own[0].confidence < SUGGESTION_FLOOR):
        return True  # "pizza?" after a question on freelancers is about pizza
    vocabulary = index.vocabulary
    words = content_words(text)
    unknown = [w for w in words if not vocabulary.notes_of(w)]
    tied = [w for w in words if topic in (notes := vocabulary.notes_of(w)) and len(notes) <= SPECIFIC_NOTES]
    return bool(unknown) and not tied


def _subject_notes(text: str, topic: str, index: LoadedIndex, ask: Ask | None = None) -> list[frozenset[str]]:
    """For each of the message's subject words (used by few notes, or by none) that the topic's note
    does not use, the notes that do use it.

    The words that ask what a follow-up asks (`ask`: "charge" in "how do they usually charge", "who
    owns") are the question, not its subject: a note that uses them is no better placed to answer.
    """
    vocabulary = index.vocabulary
    asked = ask.question.sub(" ", text) if ask else text  # "who owns", "charge": the ask, not its subject
    found = [vocabulary.notes_of(w) for w in content_words(asked)]
    return [notes for notes in found if topic not in notes and len(notes) <= SPECIFIC_NOTES]


def _topic_subject(topic: str, index: LoadedIndex) -> list[frozenset[str]]:
    """For each word of the topic's title that names a subject (used by few notes), the notes that use it.

    "Outsourcing delivery and fulfilment" names "delivery" and "fulfilment"; "When to outsource"
    and "Outsourcing accounting" name nothing so specific ("accounting" is in 21 notes).
    """
    chunks = index.chunks
    title = next((chunks[i].text for i in index.note_question_chunks.get(topic, []) if chunks[i].kind == "title"), "")
    vocabulary = index.vocabulary
    found = [vocabulary.notes_of(w) for w in content_words(title)]
    return [notes for notes in found if topic in notes and len(notes) <= SPECIFIC_NOTES]


def _speaks_of_topic(note_id: str, topic: str, index: LoadedIndex) -> bool:
    """True when a note uses a subject word of the topic's title, or that title names no specific subject.

    "how much does it cost?" after a note on delivery and fulfilment is not answered by the pricing
    note, which never speaks of either: it says nothing on what fulfilment costs. After
    "Outsourcing accounting" (no specific word) pricing, with its bookkeeping rates, may answer.
    """
    subject = _topic_subject(topic, index)
    return not subject or any(note_id in notes for notes in subject)


def _in_context(topic: str, contextual: list[Candidate]) -> Candidate | None:
    """The topic's note as a candidate for the message read in context, scored by its best passage."""
    mine = next((c for c in contextual if c.note_id == topic), None)
    if mine is None or not mine.passages:
        return None
    top = mine.passages[0][1]
    # Its own `peak` came from the title-prefixed reading, whose best chunk is the title: dropped, so
    # it does not pass for "the note's own question" (`bot.conversation.focus.lead_passage`).
    return Candidate(topic, top, top, top, 0.0, mine.passages)


def follow_topic(
    text: str,
    topic: str,
    own: list[Candidate],
    contextual: list[Candidate],
    index: LoadedIndex,
    threshold: float,
) -> tuple[list[Candidate], bool]:
    """Put the chat's topic first when a message that depends on it is better answered there.

    Args:
        text: The cleaned message (one that `depends_on_topic`).
        topic: The chat's topic (a note id in `index`).
        own: The message's own ranking, best first (the message alone).
        contextual: The ranking of `context_text(title, text)` (semantic: passages by cosine).
        index: The index in service.
        threshold: The answer threshold.

    Returns:
        The candidates, with the topic's note first (its passages ranked for the message read in
        context) when it wins, and whether it did (then it answers, whatever its confidence); else
        `own` unchanged.
    """
    mine = _in_context(topic, contextual)
    if mine is None:
        return _decided("topic not read in context", topic, own, False)
    ask = what_is_asked(text)
    answering = answering_parts(ask, topic, index) if ask else []
    if own and own[0].note_id == topic and own[0].confidence >= threshold:
        # Still the topic: its passages ranked for the message read in context, since the message
        # alone ("how would I know if we're in one") says little about which passage it wants.
        still = replace(own[0], passages=mine.passages, peak=0.0)
        return _decided(
            "topic confident alone", topic, [led_by(still, answering) if answering else still, *own[1:]], False
        )
    if _unrelated(text, topic, own, index):
        return _decided("unrelated to the notes", topic, own, False)
    subjects = _subject_notes(text, topic, index, ask)
    if own and own[0].note_id == topic and own[0].confidence >= SUGGESTION_FLOOR and contextual[0].note_id == topic:
        # Unsure alone but first on its own words, and first again read in context: the person is
        # still on the topic ("how would I know if we've crossed it?" after the chasm: 0.37 alone).
        first = replace(own[0], passages=mine.passages, peak=0.0)
        return _decided("topic first alone and in context", topic, [first, *own[1:]], True)
    if _same_question_on(text, topic, index) and mine.confidence >= SUGGESTION_FLOOR and contextual[0].note_id == topic:
        # "and on fiverr?" after a dispute on Upwork: the same question about something the topic's
        # note speaks of, not a new question on the marketplaces note (the topic first in context;
        # "and paying them?" after hiring reads better as a question on paying).
        return _decided(
            "same question on the topic's words", topic, [mine, *(c for c in own if c.note_id != topic)], True
        )
    if not points_back(text) and subjects:
        # A short question that names its own subject ("what's the capital of australia") stands alone.
        return _decided("own subject, not pointing back", topic, own, False)
    best = next((c for c in own if c.note_id != topic), None)  # the best other note
    if best is not None and best.confidence >= threshold and any(best.note_id in notes for notes in subjects):
        return _decided("own subject, confidently another note's", topic, own, False)
    if ask is not None:
        # A follow-up that asks something of the topic's subject (it named no subject of its own that
        # another note answers confidently).
        if answering:
            # "roughly what would an agency like that charge me" after outsourcing sales: its prices.
            led = led_by(mine, answering)
            return _decided(
                f"topic answers the {ask.name} asked", topic, [led, *(c for c in own if c.note_id != topic)], True
            )
        elsewhere = answer_elsewhere(ask, topic, own, contextual, index, threshold) if ask.hand_off else None
        if elsewhere is not None:
            # "and who owns it after?" after a logo's price: the note with a passage on ownership.
            rest = [c for c in own if c.note_id != elsewhere.note_id]
            return _decided(f"{ask.name} asked, answered by another note", topic, [elsewhere, *rest], True)
    read = {c.note_id: c.confidence for c in contextual}
    if best is not None and best.note_id in read:
        # Both notes read in context, on one scale: the other note confirmed ("how much does that
        # cost?" after "when should I outsource?"), or, not confident alone, better than the topic
        # itself in its context ("and paying them?" after hiring a freelancer).
        # Its passages stay those of the message alone: read in context they lean towards the topic
        # ("and paying them?" after hiring would open on paying's tax forms, not its answer).
        if best.confidence >= threshold and read[best.note_id] >= read[topic] - CONFIRM_MARGIN:
            if _speaks_of_topic(best.note_id, topic, index):
                return _decided("another note confirmed in context", topic, own, False)
            if mine.confidence >= TOPIC_FLOOR:
                # Close in context but silent on the topic's subject: "it" is the topic ("how much
                # does it cost?" after fulfilment is not answered by freelance rates).
                over = [mine, *(c for c in own if c.note_id != topic)]
                return _decided(f"topic over {best.note_id}, which never names it", topic, over, True)
        if read[best.note_id] > read[topic]:
            lifted = replace(best, confidence=read[best.note_id])
            return _decided(
                "another note better in context", topic, [lifted, *(c for c in own if c.note_id != best.note_id)], False
            )
    # The topic's note, read with the topic's title, against the best note for the message alone:
    # "who wrote it?" after the chasm goes to Geoffrey Moore (0.93 alone, the chasm 0.45 in context),
    # "how would I know if we're in one" after the tornado stays (0.57 in context, 0.36 for the best other).
    # A note confident on its own is overruled only by a clear margin ("do I need a contract with
    # them?" after virtual assistants: the VA note 0.62 in context, contracts 0.57 alone, goes to contracts).
    # Compared on one scale: the topic's best passage with the other note's best chunk (`peak`).
    rival = 0.0
    if best is not None:
        rival = (best.peak or best.confidence) + (TOPIC_MARGIN if best.confidence >= threshold else 0.0)
    if mine.confidence < max(TOPIC_FLOOR, rival) and not _only_the_topic(text, topic, own, contextual, index):
        return _decided("topic not close enough in context", topic, own, False)
    if (
        best is not None
        and best.confidence >= SUGGESTION_FLOOR
        and _clear_lead([c for c in own if c.note_id != topic], threshold)
        and _asks_beyond_topic(text, topic, best.note_id, index)
    ):
        # "where do I find one?" after customer support: that note never speaks of finding anyone,
        # its title alone drew the message; the note the message's own words reach answers it.
        return _decided(
            f"asks what only {best.note_id} speaks of",
            topic,
            [best, *(c for c in own if c.note_id != best.note_id)],
            True,
        )
    return _decided("topic closest in context", topic, [mine, *(c for c in own if c.note_id != topic)], True)


RIVAL_MARGIN = 0.1
"""A close runner-up of the chat's last answer takes a follow-up from the topic when its best passage, read in
its own context, matches this much better than the topic's best passage read in the topic's (`rival_topic`)."""


def rival_topic(
    topic: str, contextual: list[Candidate], rival: str, rival_contextual: list[Candidate]
) -> tuple[str, list[Candidate]]:
    """The topic a follow-up is read against: the chat's topic, or the runner-up of a close call that fits it clearly.

    When the last answer was a close call, the person may have meant the runner-up: "how do I know
    if I'm stuck in it" after flat sales answered by the next new thing, with crossing the chasm a
    close second, reads as the chasm's (its best passage 0.45 read as "Crossing the chasm: ...",
    the next new thing's 0.31 read as its own), so the chasm becomes the topic.

    Args:
        topic: The chat's topic.
        contextual: The ranking of the message read in the topic's context.
        rival: The runner-up of the last answer's close call.
        rival_contextual: The ranking of the message read in the runner-up's context.

    Returns:
        The topic to follow and the ranking read in its context.
    """
    mine, theirs = _in_context(topic, contextual), _in_context(rival, rival_contextual)
    if theirs is None or theirs.confidence < max(TOPIC_FLOOR, (mine.confidence if mine else 0.0) + RIVAL_MARGIN):
        return topic, contextual
    log.debug("follow-up fits %s, the last answer's runner-up, better than the topic %s", rival, topic)
    return rival, rival_contextual


POINTED_AT_WORDS = 5
"""A message pointing at the topic needs this many words to say something of its own about it (`_only_the_topic`)."""


def _only_the_topic(
    text: str, topic: str, own: list[Candidate], contextual: list[Candidate], index: LoadedIndex
) -> bool:
    """True for a message about "it" that means nothing alone, in words the topic's note uses, which the topic leads in context.

    "how do I stop it happening next time" after bad work delivered: alone, no note is worth
    offering (every one under `SUGGESTION_FLOOR`); read as "Quality control: ..." the topic's note
    leads, though no single passage reaches `TOPIC_FLOOR`. "what time is it" is too short to say
    anything about the topic; words no note uses were ruled out before (`_unrelated`).
    """
    words = content_words(text)
    return (
        len(text.split()) >= POINTED_AT_WORDS
        and bool(TOPIC_POINTING.search(text))
        and all(c.confidence < SUGGESTION_FLOOR for c in own)
        and bool(contextual)
        and contextual[0].note_id == topic
        and any(topic in index.vocabulary.notes_of(w) for w in words)
    )


SHORT_CONTINUATION_WORDS = 4
"""A continuation this short ("and on fiverr?", "what about the EU?") asks the last question again about something."""


def _same_question_on(text: str, topic: str, index: LoadedIndex) -> bool:
    """True for a short continuation whose every content word the topic's note uses ("and on fiverr?")."""
    if not CONTINUING.match(text) or len(text.split()) > SHORT_CONTINUATION_WORDS:
        return False
    words = content_words(text)
    return bool(words) and all(topic in index.vocabulary.notes_of(w) for w in words)


def _clear_lead(others: list[Candidate], threshold: float) -> bool:
    """True when the message alone picks a note other than the topic clearly: confident, or ahead of the next other by `TOPIC_MARGIN`.

    "where do i find one" alone puts finding a manufacturer (0.373) a hair ahead of freelance
    marketplaces (0.364), and a question mark swaps them: a near tie on one common word is no
    reason to leave the conversation's topic for a note nobody mentioned.
    """
    if not others:
        return False
    if others[0].confidence >= threshold:
        return True
    return len(others) < 2 or others[0].confidence - others[1].confidence >= TOPIC_MARGIN


def _asks_beyond_topic(text: str, topic: str, other: str, index: LoadedIndex) -> bool:
    """True when the message's words are in none of the topic note's chunks, and the other note uses all of them."""
    words = content_words(text)
    if not words:
        return False
    found = [index.vocabulary.notes_of(w) for w in words]
    return all(topic not in notes and other in notes for notes in found)
