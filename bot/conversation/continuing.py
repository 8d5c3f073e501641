"""Continuing a note in a conversation: "more", the short version, and replies that show only what is new.

A reply from a note shows some of its parts (`bot.conversation.focus`); the chat's memory keeps
which, so "tell me more", "give me an example" or "what does that mean for me" show parts not
shown yet, a follow-up on the same note leads with a passage not read yet, and once everything
has been shown the reply says so. "tl;dr" and "in one sentence" get the note's one-line summary.
"""

from __future__ import annotations

import logging
import re

from bot.conversation import answers, focus
from bot.conversation.focus import Part
from bot.conversation.memory import Memory
from bot.conversation.smalltalk import brevity, wants_more
from bot.knowledge.notes import KnowledgeBase, KnowledgeNote
from bot.knowledge.passages import one_line, sentences
from bot.messages import Message, Reply, Suggestion
from bot.replies.render import render
from bot.search.asks import what_is_asked
from bot.search.chunks import ANSWER_PART
from bot.search.followup_words import CONTINUING
from bot.search.index import LoadedIndex
from bot.search.not_covered import NotCoveredMatcher, asked_subjects
from bot.search.retrieval import Candidate

log = logging.getLogger(__name__)


def continuation(text: str, topic: str | None, kb: KnowledgeBase) -> tuple[str | None, bool, str]:
    """Whether a message asks for more of the chat's topic, or its short version, and what else it searches.

    Args:
        text: The cleaned message.
        topic: The chat's topic (a note id), if any.
        kb: The knowledge in service.

    Returns:
        (the note to say more of or summarise, or None; whether the short version was asked for;
        the text to search otherwise: "core vs context in one sentence" searches "core vs context").
    """
    brief, rest = brevity(text)
    if topic and topic in kb.notes and (wants_more(text) or (brief and not rest)):
        return topic, brief, ""
    return None, brief, rest if brief and rest else text


def focused_reply(
    memory: Memory,
    message: Message,
    kb: KnowledgeBase,
    best: Candidate,
    candidates: list[Candidate],
    notice: str,
    more: str | None = None,
    brief: bool = False,
    unsure: bool = False,
    follow_up: bool = False,
    not_covered: NotCoveredMatcher | None = None,
    index: LoadedIndex | None = None,
) -> Reply:
    """The reply showing the parts of `best`'s note that fit: the matched passage, more of it, or its summary.

    Args:
        memory: The chats' memory (which parts this chat has been shown is read and updated).
        message: The message answered.
        kb: The knowledge in service.
        best: The note answered, with its matched passages.
        candidates: Every candidate, best first.
        notice: A line about the input itself, or "".
        more: The request when the person asks for more of the note ("tell me more"), else None.
        brief: The person asked for the short version: the note's one-line summary.
        unsure: Offer close runners-up as "did you mean" (`answers.is_unsure`).
        follow_up: The message is about this note, the chat's topic: a passage it showed leads again
            when the message asks for it (`focus.asked_again`), and a continuation ("and for a blog
            post?") carries the question before it. Any note this chat was shown leads with a passage
            not shown yet (`focus.first_answer` reads `shown`).
        not_covered: The not-covered list in service: a subject on it that the question names and
            the note does not cover is named as unanswered above the answer (`unanswered_part`).
        index: The index in service (with `not_covered`).

    Returns:
        The reply (its parts are marked shown, except for a summary).
    """
    note = kb.notes[best.note_id]
    shown = memory.shown(message.platform, message.chat, note.id)
    closing = ""
    cite = False
    question = asked_question(memory, message, follow_up)
    if more is None and not brief and not_covered is not None and index is not None:
        part = unanswered_part(not_covered, index, best, message.text or "", note)
        notice = "\n".join(line for line in (notice, part) if line)
    if brief:
        parts = [focus.Part(ANSWER_PART, "", one_line(note))]
    elif more is not None:
        parts = more_parts(note, shown, more)
        example = shown_example(note, shown, more)
        if example is not None:
            # "give me an example" once the note's example was shown: it again, briefly, not another part.
            parts = [briefly(example)]
            closing = render("asked_again", title=note.title)
        elif not parts:
            closing = render("all_shown", title=note.title)
    elif follow_up and asks_for_sources(question):
        # "is that in one of his books": where the note's words come from, under a line of the note.
        parts = [briefly(focus.part_of(note, ANSWER_PART) or Part(ANSWER_PART, "", note.answer))]
        cite = True
    else:
        # A note shown earlier in the chat, just now or before another topic, leads with a passage
        # not read yet (`shown`): resending what the person has read answers nothing. But a follow-up
        # asking what only shown passages answer ("how much should I budget for it" once the rates
        # were shown) asks for them again: not for whatever is left.
        asked = asked_parts(note, question) if follow_up else []
        if asked and all(name in shown for name in asked):
            parts = [p for p in (focus.part_of(note, asked[0]),) if p is not None]
        else:
            parts = focus.first_answer(best, note, shown, question=question, on_topic=follow_up)
        if all(p.name in shown for p in parts):
            # Asked again for what was shown (`focus.asked_again`), or nothing left to show: said
            # once more, briefly, and marked as such.
            parts = [briefly(parts[0])]
            closing = render("asked_again", title=note.title)
    seen = shown if brief else shown | {p.name for p in parts}
    everything = all(name in seen for name in focus.part_names(note))
    reply = answers.answer_reply(
        kb,
        best,
        candidates,
        notice,
        parts=parts,
        closing=closing,
        with_sources=cite or (everything and more is not None and bool(parts)),  # once, with the last part
        unsure=unsure,
    )
    if not everything:  # the rest of the note is one press away; once all is shown, no button
        reply.more = Suggestion(note.id, render("more_button", title=note.title))
    if not brief:
        memory.mark_shown(message.platform, message.chat, note.id, [p.name for p in parts])
    if not brief and more is None:
        memory.mark_asked(message.platform, message.chat, question)
    return reply


def unanswered_part(
    matcher: NotCoveredMatcher, index: LoadedIndex, best: Candidate, text: str, note: KnowledgeNote
) -> str:
    """A line saying which part of the question no note answers, or "".

    "should I set up an LLC before I hire a VA?" is answered by the VA note, since it asks about
    a VA too (`bot.search.not_covered.decline_not_covered` lets it through), but the note says
    nothing on legal structures: the reply says so, with the not-covered list's pointer, instead of
    passing the VA note's opening off as an answer to the whole question. A subject the note
    speaks of anywhere is not named ("should my bookkeeper get access to my bank account?": the
    accounting note speaks of bank accounts, though not of opening one).
    """
    found = asked_subjects(matcher, text)
    if not found:  # nearly always: no need to join the note's body
        return ""
    body = " ".join([note.title, note.answer, *note.key_points, *(text for _, text in note.sections)])
    missing = [
        (s, typed)
        for s, typed in found
        if not matcher.covers(index, best.note_id, best.passage, s) and not matcher.in_text(s, body)
    ]
    if not missing:
        return ""
    subject, typed = missing[0]
    return render("partly_covered", uncovered=typed, pointer=subject.pointer)


def asked_parts(note: KnowledgeNote, question: str) -> list[str]:
    """The parts of a note that answer what the question asks (`bot.search.asks`: a price, where to look), in note order."""
    ask = what_is_asked(question)
    return [name for name, text in focus.part_texts(note).items() if ask.answer.search(text)] if ask else []


_OWN_CLAUSE = re.compile(r"\b(i|we|you|they|he|she)\b", re.IGNORECASE)
"""A continuation with a subject of its own ("and once we own it, then what?") asks a new question: nothing is carried."""
_SOURCES = re.compile(r"\b(books?|sources?|where .{0,20}\b(from|come from|read))\b", re.IGNORECASE)
_POINTED = re.compile(r"\b(that|this|it|idea)\b", re.IGNORECASE)


def asks_for_sources(question: str) -> bool:
    """True for a follow-up asking where what was said comes from ("is that in one of his books", "source for this?").

    Not "which of his books should I read first": that asks about the books, which a note answers.
    """
    return bool(_SOURCES.search(question) and _POINTED.search(question)) and "read" not in question.lower().split()


CARRIED_WORDS = 40
"""A continuation's question keeps at most this many words of what was asked before it."""


def asked_question(memory: Memory, message: Message, follow_up: bool) -> str:
    """What a message asks, for choosing the passages: a continuation ("and for a blog post?") carries on the question before it.

    "and for a blog post?" after "what would a new copywriter charge me" asks what a blog post
    costs: the note's rates, not its opening on blog posts. "and once we own it, then what?" has a
    clause of its own (`_OWN_CLAUSE`): it asks what comes next, not the question before it again.
    """
    text = message.text or ""
    continuing = CONTINUING.match(text.strip())
    if not (follow_up and continuing) or _OWN_CLAUSE.search(text.strip()[continuing.end() :]):
        return text
    words = f"{memory.asked(message.platform, message.chat)} {text}".split()
    return " ".join(words[-CARRIED_WORDS:])


def reply_with_note(
    memory: Memory,
    message: Message,
    kb: KnowledgeBase,
    note_id: str,
    question: str,
    notice: str = "",
    more: bool = False,
    brief: bool = False,
) -> Reply:
    """Answer with a note chosen without a search (a topic button, "tell me more"), recorded against it."""
    chosen = Candidate(note_id, 1.0, 1.0, 1.0, 0.0)
    request = question if more else None
    reply = focused_reply(memory, message, kb, chosen, [chosen] if more else [], notice, more=request, brief=brief)
    # Recorded against the note, so feedback on this answer counts for that note.
    reply.answer_id = memory.record(message.platform, message.user, message.chat, question, reply, chosen, note_id)
    return reply


BRIEF_WORDS = 25
"""A passage said again (`briefly`) keeps its sentences up to about this many words."""


def briefly(part: Part) -> Part:
    """A part said again, short: its first sentences up to `BRIEF_WORDS` words, or its first bullets."""
    if part.bullets:
        kept: list[str] = []
        for bullet in part.bullets:
            if kept and sum(len(b.split()) for b in kept) >= BRIEF_WORDS:
                break
            kept.append(bullet)
        return Part(part.name, part.heading, part.text, tuple(kept))
    said: list[str] = []
    for sentence in sentences(part.text):
        if said and sum(len(s.split()) for s in said) >= BRIEF_WORDS:
            break
        said.append(sentence)
    return Part(part.name, part.heading, " ".join(said), part.bullets)


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


def wants_example(request: str) -> bool:
    """True for "give me an example", "for instance"."""
    return bool(_EXAMPLE.search(request))


def wants_application(request: str) -> bool:
    """True for "what does that mean for me", "and for a bakery?": how the note applies to the person."""
    return bool(_FOR_ME.search(request))


def shown_example(note: KnowledgeNote, shown: frozenset[str], request: str) -> Part | None:
    """The note's example when the request asks for one and every example part was shown already, else None.

    "give me an example" after "tell me more" showed the example is not answered by the note's next
    part ("How far to trust the price ranges"), which is no example.
    """
    if not wants_example(request):
        return None
    examples = [
        part
        for name in focus.part_names(note)
        if (part := focus.part_of(note, name)) is not None and re.search(r"example", part.heading, re.IGNORECASE)
    ]
    if not examples or any(part.name not in shown for part in examples):
        return None
    return examples[0]


def more_parts(note: KnowledgeNote, shown: frozenset[str], request: str, budget: int = focus.WORD_BUDGET) -> list[Part]:
    """Parts of a note not yet shown, fitting a "more" request, within the word budget (at least one part).

    An example section comes first for "give me an example", a small-business section for
    "what does that mean for me"; otherwise the parts follow in the note's order.

    Returns:
        The parts to show; empty when everything has been shown.
    """
    left = [n for n in focus.part_names(note) if n not in shown]
    if not left:
        return []
    # The opening answer first (when a point led), then the further sections, then the points left.
    left.sort(key=lambda n: 0 if n == ANSWER_PART else 1 if n.startswith("section:") else 2)

    def heading(name: str) -> str:
        part = focus.part_of(note, name)
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
        part = focus.part_of(note, name)
        if part is None or (name.startswith("section:") and any(p.name.startswith("section:") for p in parts)):
            continue  # one section a reply, under its own heading
        if parts and used + part.words > budget:
            break
        parts.append(part)
        used += part.words
    return parts
