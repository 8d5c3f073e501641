"""Questions on a subject the notes deliberately do not cover (`knowledge/not-covered.yaml`): declined by name.

Grounding (`bot.search.grounding`) catches subject words no note uses at all. It cannot catch a
subject that some note mentions in passing: "can I get a business bank account" reaches a
writing note's business-plan point, which says "bank". The maintained list names those subjects,
and a question naming one is declined unless the note it would be answered with really covers
it. Finding a subject is a dict lookup per word of the question; the coverage check looks at one
note's title, tags, own questions and matched passage (a few dozen cached stem strings).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import REPO_DIR
from bot.knowledge.not_covered import FILE_NAME, NotCovered, Subject, load_not_covered, parse_not_covered
from bot.knowledge.notes import KnowledgeBase, KnowledgeNote, load_knowledge
from bot.search.answerability import SHORT_QUESTION_WORDS
from bot.search.chunks import ANSWER_PART
from bot.search.grounding import _WORD, content_words, stem
from bot.search.scene import asked_words, request_head, scene_words

if TYPE_CHECKING:
    from bot.search.index import LoadedIndex
    from bot.search.retrieval import Candidate

log = logging.getLogger(__name__)

NOT_COVERED_GAP = 0.01
"""How far below the threshold a question on a listed not-covered subject is kept (see `decline_not_covered`)."""
PASSING_NOTES = 10
"""A question word used by at most this many notes names a subject specifically enough that, when it is
in the best note's title or tags, it ties the question to that note (see `anchors`)."""
_PURPOSE = re.compile(r"\bfor\s[^,;]*", re.IGNORECASE)
"""What a note's own question is for ("business plan writer for a bank loan"): when the note applies, not what it covers."""
_QUESTION_SENTENCE = re.compile(r"[^.!?\n]*\?")
"""A sentence ending with a question mark (what a long message asks, not its story)."""


def asked_part(text: str) -> str:
    """The part of a message that asks: all of a short one, only the question sentences of a long story.

    "Investors say we're too broad. How do I choose a first niche?" asks about a niche: a
    subject named in the story around the question is the asker's situation, not what they
    want a note on. A message of at most `SHORT_QUESTION_WORDS` content words, or one with no
    question mark, is taken whole. What may be a missing subject is narrower still, the request's
    head (`bot.search.scene.request_head`); this wider part gives the words that may tie the
    question to its note (`only_in_passing`).
    """
    if len(content_words(text)) <= SHORT_QUESTION_WORDS or "?" not in text:
        return text
    return " ".join(m.group(0) for m in _QUESTION_SENTENCE.finditer(text))


def _stems(text: str) -> tuple[str, ...]:
    """Every word of a text stemmed, in order (stopwords kept: phrases such as "line of credit" need them)."""
    return tuple(stem(w) for w in _WORD.findall(text.lower()))


@functools.lru_cache(maxsize=8192)
def _stem_text(text: str) -> str:
    """A text's stems joined by single spaces and padded with one, for whole-phrase lookups."""
    return f" {' '.join(_stems(text))} "


def names(word: str, text: str) -> bool:
    """True when a text names a listed word or phrase: as a whole word or phrase, any form ("loan" in "loans").

    The one matching rule of the list: questions, notes and `outsourcebot kb check` all use it.
    """
    stems = _stems(word)
    return bool(stems) and f" {' '.join(stems)} " in _stem_text(text)


class NotCoveredMatcher:
    """Finds subjects of `knowledge/not-covered.yaml` in a question, and tells whether a note really covers one.

    A note really covers a subject when one of its words is in the note's title, tags or own
    questions, or in the passage of the note that matched the question; a word deep in another
    part of its body does not count.

    Args:
        not_covered: The maintained list.
        tags: Each note's tags (from the knowledge base; notes without tags may be left out).
    """

    def __init__(self, not_covered: NotCovered, tags: dict[str, list[str]] | None = None) -> None:
        self.not_covered = not_covered
        # "virtual-assistant" is a tag of two words.
        self._tags = {note_id: _stem_text(" ; ".join(t).replace("-", " ")) for note_id, t in (tags or {}).items()}
        by_first: dict[str, list[tuple[tuple[str, ...], Subject]]] = {}
        self._subject_terms: dict[str, tuple[str, ...]] = {}
        for subject in not_covered.subjects:
            terms = []
            for word in subject.words:
                stems = _stems(word)
                if stems:
                    by_first.setdefault(stems[0], []).append((stems, subject))
                    terms.append(" ".join(stems))
            self._subject_terms[subject.name] = tuple(dict.fromkeys(terms))
        # Longest phrase first, so "bank loan" is named rather than "loan".
        self._by_first = {k: sorted(v, key=lambda e: -len(e[0])) for k, v in by_first.items()}

    def __bool__(self) -> bool:
        return bool(self._by_first)

    def find(self, text: str) -> list[tuple[Subject, str]]:
        """The listed subjects a text names, each once, with the words as typed ("bank loans"), in text order."""
        if not self._by_first:
            return []
        words = _WORD.findall(text)
        stems = [stem(w) for w in words]
        found: dict[str, tuple[Subject, str]] = {}
        for i, first in enumerate(stems):
            for term, subject in self._by_first.get(first, ()):
                if tuple(stems[i : i + len(term)]) == term:
                    found.setdefault(subject.name, (subject, " ".join(words[i : i + len(term)])))
                    break
        return list(found.values())

    def in_text(self, subject: Subject, text: str) -> bool:
        """True when one of the subject's words is in the text (as a whole word or phrase, any form)."""
        padded = _stem_text(text)
        return any(f" {term} " in padded for term in self._subject_terms.get(subject.name, ()))

    def in_head(self, index: LoadedIndex, note_id: str, word_stem: str) -> bool:
        """True when a stemmed word is in the note's title or tags (what the note is about, in a few words)."""
        return f" {word_stem} " in self._tags.get(note_id, "") or _in_title(index, note_id, word_stem)

    def covers(self, index: LoadedIndex, note_id: str, part: str, subject: Subject, asked: str = "") -> bool:
        """True when the note really covers the subject: in its title, tags, own questions or the matched passage.

        An own question's purpose (`_PURPOSE`) covers the subject only for a question that names it as
        its purpose too: the writing note's "business plan writer for a bank loan" covers "who writes
        a business plan for a bank loan", not "how do I get a bank loan".

        Args:
            index: The loaded index (the note's chunks).
            note_id: The note.
            part: The passage of the note that matched (`Candidate.passage`).
            subject: The subject found in the question.
            asked: The question ("": an own question's purpose never covers).
        """
        terms = self._subject_terms.get(subject.name, ())
        if any(f" {term} " in self._tags.get(note_id, "") for term in terms):
            return True
        purposes = _stem_text(" ".join(_PURPOSE.findall(asked))) if asked else ""
        positions = index.note_question_chunks.get(note_id, []) + index.passage_chunks.get(note_id, [])
        for i in positions:
            chunk = index.chunks[i]
            if (chunk.kind in ("title", "question") and chunk.part == ANSWER_PART) or chunk.part == part:
                if chunk.kind == "question" and not any(f" {term} " in purposes for term in terms):
                    padded = _stem_text(_PURPOSE.sub(" ", chunk.text))
                else:
                    padded = _stem_text(chunk.text)
                if any(f" {term} " in padded for term in terms):
                    return True
        return False


def asked_subjects(matcher: NotCoveredMatcher, text: str) -> list[tuple[Subject, str]]:
    """The listed subjects a question asks about, each with the words it was typed in.

    Only the request's head counts (`bot.search.scene.request_head`): in "I'm a plumber with 3
    vans, is it worth paying a VA to answer my calls?" the vans are who asks, not what is asked.
    A subject named only in the asker's introduction is left out too: in "I have a franchise,
    what should I outsource first?" the head is the whole story-free question, and the franchise
    is who asks.
    """
    scene = scene_words(text, introduction_only=True)
    return [(s, typed) for s, typed in matcher.find(request_head(text)) if not set(typed.lower().split()) <= scene]


def only_in_passing(
    index: LoadedIndex,
    matcher: NotCoveredMatcher | None,
    note_id: str,
    texts: Iterable[str],
    missing: list[str],
    skip: Iterable[str] = (),
    rare: int = 0,
) -> bool:
    """True when a question names its missing subject only in passing: it asks what the note covers too.

    The one decision for both kinds of missing subject, a word no note uses ("franchise", found by
    `bot.search.queries`) and a subject of the maintained list ("CRM", `decline_not_covered`):
    the question's asked words (`bot.search.scene.asked_words`) that tie it to the note
    (`anchors`) must be at least as many as the missing words (`in_passing`).

    Args:
        index: The loaded index.
        matcher: The not-covered list in service (None: the notes' titles only).
        note_id: The note the question would be answered with.
        texts: The question's texts to read what is asked from (as typed, abbreviations spelled out).
        missing: The missing subject's words, as typed.
        skip: More words that cannot tie the question to the note (the other subjects it names).
        rare: See `anchors`.
    """
    named = {stem(w) for typed in (*missing, *skip) for w in _WORD.findall(typed)}
    asked = [w for text in texts for w in asked_words(text)]
    return in_passing(anchors(index, matcher, note_id, asked, named, rare), missing)


def decline_not_covered(
    candidates: list[Candidate],
    text: str,
    index: LoadedIndex,
    matcher: NotCoveredMatcher | None,
    threshold: float,
    expanded: str | None = None,
) -> list[Candidate]:
    """Decline a question that names a subject of the not-covered list its best note does not really cover.

    "can I get a bank loan for my bakery" lands near a note by its shape, yet no note has loans
    in its title, tags, own questions or the passage that matched (`NotCoveredMatcher.covers`):
    answering would read as advice on loans. Every candidate that does not cover the subject is
    kept below the threshold, so the reply is a decline naming the subject in the asker's words,
    with the list's pointer; a candidate that does cover it keeps its confidence. The order is
    unchanged. A question that also asks what the best note is about, in its title or tags, names
    the subject only in passing and keeps its answer (`anchors`, the rule grounding uses too).

    Args:
        candidates: Ranked candidates, best first.
        text: The question as typed (cleaned).
        index: The loaded index.
        matcher: The not-covered list in service (None or empty: nothing changes).
        threshold: The answer threshold.
        expanded: The question with abbreviations spelled out ("VA" -> "virtual assistant"), which
            tells better whether it also asks about the note's own subject (default: `text`).

    Returns:
        The candidates, rescored.
    """
    if not candidates or not matcher:
        return candidates
    found = asked_subjects(matcher, text)
    if not found:
        return candidates
    best = candidates[0]
    missing = [(s, typed) for s, typed in found if not matcher.covers(index, best.note_id, best.passage, s, text)]
    if not missing:
        return candidates
    texts = (asked_part(text), asked_part(expanded or text))
    if only_in_passing(index, matcher, best.note_id, texts, [t for _, t in missing], [t for _, t in found]):
        return candidates
    subject, typed = missing[0]
    cap = threshold - NOT_COVERED_GAP
    return [
        c
        if any(matcher.covers(index, c.note_id, c.passage, s, text) for s, _ in missing)
        else replace(c, confidence=min(c.confidence, cap), uncovered=(typed,), pointer=subject.pointer)
        for c in candidates
    ]


def anchors(
    index: LoadedIndex,
    matcher: NotCoveredMatcher | None,
    note_id: str,
    words: Iterable[str],
    skip: set[str],
    rare: int = 0,
) -> list[str]:
    """The asked words that tie a question to a note: specific words of what the note is about.

    One decision for both kinds of missing subject, a word no note uses ("franchise", found by
    `bot.search.queries`) and a subject of the maintained list ("CRM", `decline_not_covered`):
    the subject is only in passing when the question also asks what the note covers, in at least
    as many words (`in_passing`). "Should my VA update our CRM?" is about the virtual assistant.
    A word ties the question to the note when it is in the note's title or tags and used by at
    most `PASSING_NOTES` notes ("assistant" for the virtual-assistants note). A word
    no maintainer listed is weaker evidence of a missing subject, so for it a word the note uses
    and at most `rare` notes do ("SEO", "India") ties too. Everyday words ("find", "hire") and the
    asker's own business (`bot.search.scene.scene_words`, left out of `words`) tie nothing.

    Args:
        index: The loaded index (its vocabulary and titles).
        matcher: The not-covered list in service, for the notes' tags (None: titles only).
        note_id: The note.
        words: What is asked, as typed and with abbreviations spelled out (the asker's own business left out).
        skip: Stems of the missing subject's words, which cannot tie the question to the note.
        rare: A word the note uses and at most this many notes do ties too (0: only title and tags).

    Returns:
        The tying words, each once, in order.
    """
    head = functools.partial(matcher.in_head, index) if matcher is not None else functools.partial(_in_title, index)
    found = []
    for word in words:
        word_stem = stem(word)
        if word_stem in skip:
            continue
        notes = index.vocabulary.notes_of(word)
        if note_id not in notes:
            continue
        if len(notes) <= rare or (len(notes) <= PASSING_NOTES and head(note_id, word_stem)):
            found.append(word)
    return list(dict.fromkeys(found))


def in_passing(anchored: list[str], missing: list[str]) -> bool:
    """True when a question ties itself to the note in at least as many words as it names a missing subject."""
    return len(anchored) >= len(missing)


def _in_title(index: LoadedIndex, note_id: str, word_stem: str) -> bool:
    """True when a stemmed word is in the note's title."""
    return any(
        f" {word_stem} " in _stem_text(index.chunks[i].text)
        for i in index.note_question_chunks.get(note_id, [])
        if index.chunks[i].kind == "title"
    )


def not_covered_matcher(not_covered: NotCovered, notes: Iterable[KnowledgeNote] = ()) -> NotCoveredMatcher:
    """A matcher for the list in service, with the tags of the notes in service."""
    return NotCoveredMatcher(not_covered, {n.id: n.tags for n in notes if n.tags})


@functools.lru_cache(maxsize=1)
def shipped_not_covered() -> NotCoveredMatcher:
    """The repository's own not-covered list with its notes' tags, loaded once (the default of `evaluate`)."""
    knowledge_dir = REPO_DIR / "knowledge"
    return not_covered_matcher(load_not_covered(knowledge_dir), load_knowledge(knowledge_dir).notes.values())


def covered_warnings(knowledge_dir: Path, kb: KnowledgeBase) -> list[str]:
    """Warnings, as `path:line: warning: ...`, for listed words that a note's title or tags name.

    Such a subject is covered after all: the note would never be declined for it (a note with
    the word in its title or tags covers it), but other notes' answers would be, and the list
    no longer says what the notes leave out. Words are matched as the bot matches them
    (`names`: whole words, any form), and each warning
    points at the line of the subject's entry that lists the word.

    Args:
        knowledge_dir: The knowledge folder.
        kb: Its notes.

    Returns:
        One line per (word, note); empty when the list is absent or broken (`check_not_covered` says so).
    """
    path = knowledge_dir / FILE_NAME
    try:
        text = path.read_text(encoding="utf-8")
        listed = parse_not_covered(text, str(path))
    except (OSError, ValueError):
        return []
    lines = text.splitlines()
    found = []
    for subject in listed.subjects:
        for word in subject.words:
            for note in sorted(kb.notes.values(), key=lambda n: n.id):
                tags = " ; ".join(note.tags).replace("-", " ")
                where = "title" if names(word, note.title) else "tags" if names(word, tags) else ""
                if where:
                    found.append(
                        f"{path}:{_line_of(lines, subject.name, word)}: warning: {word!r} ({subject.name}) is in "
                        f"the {where} of note {note.id}, so the notes cover it: take it out of this list"
                    )
    return found


def _line_of(lines: list[str], name: str, word: str) -> int:
    """The line (from 1) of a subject's entry that lists a word; the entry's own line when none does.

    The entry runs from its `name:` line to the next line indented no deeper (the next subject);
    comments do not count, so a word also used in the file's header points at its own entry.
    """
    entry = re.compile(rf"^(\s*)['\"]?{re.escape(name)}['\"]?\s*:")
    listed = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
    start = next((i for i, line in enumerate(lines) if entry.match(line)), None)
    if start is None:
        return 1
    depth = len(lines[start]) - len(lines[start].lstrip())
    for i in range(start, len(lines)):
        content = lines[i].split("#", 1)[0]
        if i > start and content.strip() and len(content) - len(content.lstrip()) <= depth:
            break
        if listed.search(content if i > start else content.split(":", 1)[1]):
            return i + 1
    return start + 1
