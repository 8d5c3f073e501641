"""Checks that every passage of a note suits a focused reply (reported by `kb check`).

A focused reply leads with one passage of a note (its opening answer, a key point or a
further section) and adds a point or two, in about 110 words (`bot.conversation.focus`).
These checks find the passages that cannot be shown that way (too long, or leaning on
text shown elsewhere: "the ranges above"), and openings that do not answer. They fail `kb check` but never keep a note out of service: such a note is still
right, only less focused.
"""

from __future__ import annotations

import logging
import re

from bot.knowledge.notes import KnowledgeBase, KnowledgeNote, Problem

log = logging.getLogger(__name__)

MAX_PASSAGE_WORDS = 90
"""A passage longer than this leaves no room in a focused reply (about 110 words) for the title's
context and one other point; the longest passages in service when this was set were 88 words."""
MAX_FIRST_SENTENCE_WORDS = 50
"""The first sentence of the opening answer is the note's one-line summary ("tl;dr", "in one
sentence"), so it must be short enough to be one: 50 words is about two lines on a phone."""
_EVASIVE_OPENING = re.compile(
    r"^(?:well[,.]?\s+)?(?:it|that|this)\s+(?:really\s+|all\s+)?depends\b|^depends\b"
    r"|^(?:good|great|interesting)\s+question\b|^(?:this|the)\s+(?:note|article|page)\s+(?:is|explains|covers)\b"
    r"|^(?:let's|let us)\s+(?:look|start|talk)\b|^in this (?:note|article)\b",
    re.IGNORECASE,
)
"""Openings that put off the answer: "It depends...", "Good question", "This note explains..."."""
_LEANS_BACK = re.compile(
    r"\b(?:see|listed|shown|mentioned|given|described|set out)\s+(?:above|below|earlier)\b"
    r"|\b(?:the|these|those)\s+(?:[\w-]+\s+){0,2}(?:above|below)\b"
    r"|^(?:they|these|those)\b",
    re.IGNORECASE,
)
"""Words that point at text the passage is shown without: "the ranges above", "see below", or a
section that opens on "They"/"These" (what they are is in another passage)."""
_HEADING_LEANS_BACK = re.compile(r"\b(?:these|those|the above|above)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def words(text: str) -> int:
    """Words of a text as a reply counts them (split on white space)."""
    return len(text.split())


def sentences(text: str) -> list[str]:
    """The sentences of a paragraph."""
    return _SENTENCE_END.split(text.strip())


def first_sentence(text: str) -> str:
    """The first sentence of a paragraph."""
    return _SENTENCE_END.split(text.strip(), maxsplit=1)[0]


def one_line(note: KnowledgeNote) -> str:
    """The note's one-line summary: the first sentence of its opening answer that says something.

    A bare "Yes." or "Usually." opening is joined to the sentence after it.
    """
    parts = sentences(note.answer)
    summary = parts[0] if parts else note.answer
    if len(summary.split()) < 5 and len(parts) > 1:
        summary = f"{summary} {parts[1]}"
    return summary


def further_sections(note: KnowledgeNote) -> range:
    """Indexes into `note.sections` of the sections after the key points (all of them without key points)."""
    return range(1 if note.key_points and note.sections else 0, len(note.sections))


def section_words(note: KnowledgeNote, number: int) -> int:
    """Words a section shows as a passage: its heading and its text (or its bullets)."""
    heading, text = note.sections[number]
    items = note.section_items[number] if number < len(note.section_items) else []
    return words(heading) + (sum(words(item) for item in items) if items else words(text))


def _section_line(note: KnowledgeNote, number: int) -> int:
    return note.section_lines[number] if number < len(note.section_lines) else note.body_line


def long_passages(note: KnowledgeNote, limit: int = MAX_PASSAGE_WORDS) -> list[Problem]:
    """Passages of a note longer than `limit` words: the opening answer, a key point, a further section."""
    problems = []
    if words(note.answer) > limit:
        problems.append(
            Problem(
                note.path,
                note.body_line,
                f"the opening answer has {words(note.answer)} words, more than a focused reply's {limit}: "
                "move detail into a key point or a section",
            )
        )
    for i, point in enumerate(note.key_points):
        if words(point) > limit:
            problems.append(
                Problem(
                    note.path,
                    _section_line(note, 0),
                    f"key point {i + 1} ({point[:40]!r}...) has {words(point)} words, more than {limit}: split it",
                )
            )
    for i in further_sections(note):
        count = section_words(note, i)
        if count > limit:
            problems.append(
                Problem(
                    note.path,
                    _section_line(note, i),
                    f"section {note.sections[i][0]!r} has {count} words, more than a focused reply's {limit}: "
                    "split it into two sections, each with its own heading",
                )
            )
    return problems


def indirect_opening(note: KnowledgeNote, limit: int = MAX_FIRST_SENTENCE_WORDS) -> list[Problem]:
    """The opening answer, when it does not answer directly: it evades, asks, or buries the answer.

    Direct means: the first sentence is a statement (not a question), does not open with "It
    depends", "Good question" or "This note explains", and is at most `limit` words, since it is
    what a reply sends when asked for the short version.
    """
    if not note.answer:
        return []
    sentence = first_sentence(note.answer)
    reason = ""
    if _EVASIVE_OPENING.search(sentence):
        reason = f"opens with {' '.join(sentence.split()[:3])!r} instead of the answer"
    elif sentence.rstrip().endswith("?"):
        reason = "opens with a question instead of the answer"
    elif words(sentence) > limit:
        reason = (
            f"its first sentence has {words(sentence)} words, more than {limit}; "
            "it is the one-line summary, so say the answer in a shorter first sentence"
        )
    if not reason:
        return []
    return [Problem(note.path, note.body_line, f"the opening answer is not a direct answer: {reason}")]


def leaning_passages(note: KnowledgeNote) -> list[Problem]:
    """Key points and further sections that lean on text they are shown without.

    A focused reply shows one passage with a point or two, often not the one before it, so
    "The ranges above..." or a section headed "About those ranges" reads as a reference to
    nothing. The opening answer is exempt: it is always shown first.
    """
    problems = []
    for i, point in enumerate(note.key_points):
        found = _LEANS_BACK.search(point)
        if found:
            problems.append(
                Problem(
                    note.path,
                    _section_line(note, 0),
                    f"key point {i + 1} says {found.group(0)!r}, but a reply may show it alone: name what it refers to",
                )
            )
    for i in further_sections(note):
        heading, text = note.sections[i]
        items = note.section_items[i] if i < len(note.section_items) else []
        found_in_heading = _HEADING_LEANS_BACK.search(heading)
        found = found_in_heading or next(
            (m for m in (_LEANS_BACK.search(part) for part in [text, *items]) if m is not None), None
        )
        if found:
            where = "its heading says" if found_in_heading else "it says"
            problems.append(
                Problem(
                    note.path,
                    _section_line(note, i),
                    f"section {heading!r}: {where} {found.group(0)!r}, but a reply may show the section "
                    "without what it points at: name it",
                )
            )
    return problems


def unnamed_disclaimer_phrases(note: KnowledgeNote) -> list[Problem]:
    """`disclaimer` phrases that no passage names: the disclaimer they ask for would never show."""
    passages = [note.answer, *note.key_points, *(f"{heading}\n{text}" for heading, text in note.sections)]
    folded = [p.casefold() for p in passages]
    return [
        Problem(
            note.path,
            note.disclaimer_line,
            f"disclaimer phrase {phrase!r} is in none of the note's passages, so it never shows the disclaimer: "
            "use words of the passage that needs it",
        )
        for phrase in note.disclaimer_on
        if not any(phrase.casefold() in p for p in folded)
    ]


def passage_problems(kb: KnowledgeBase) -> list[Problem]:
    """Every note's passages that do not suit a focused reply (see the module's docstring)."""
    problems: list[Problem] = []
    for note in sorted(kb.notes.values(), key=lambda n: str(n.path)):
        problems += indirect_opening(note) + long_passages(note) + leaning_passages(note)
        problems += unnamed_disclaimer_phrases(note)
    return problems
