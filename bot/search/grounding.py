"""Which words of a question the notes know at all: the lexical check behind "I don't have a note on that".

A cosine alone cannot tell "can I outsource my marketing" from "can I get a bank loan": both
land near some note. The words can: a question whose subject word ("franchise", "inventory",
"trademark") occurs in no note is about something the notes do not cover, however close its
sentence shape is to one of them. Misspellings of known words ("freelnacer", "payrol") count as
known, so typos are not mistaken for new subjects.

Why a word index of its own beside the FTS5 table: FTS5's porter tokenizer is not callable from
Python, so stemming a question's words its way would mean a query per word against the index
database (opened read-only), and the typo check needs the list of known stems in memory anyway.
`fts5vocab` could list the terms, but not stem the question. The index here is built once when the
index loads (0.04 s for the shipped notes, measured 1 December 2026: each distinct word is stemmed once) and a lookup
is a dict access.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections import Counter
from collections.abc import Iterable

from bot.search.grounding_words import EXTRA_STOPWORDS, IRREGULAR_FORMS
from bot.search.lexical import STOPWORDS

_WORD = re.compile(r"[^\W\d_][\w'&.-]*[^\W_]|[^\W\d_]", re.UNICODE)
_LETTERS = re.compile(r"(?<![\w'-])[A-Za-z]+(?![\w'-])")
"""A word of letters only, for respelling (not "3PL", "W-8BEN" or "don't": those are kept as typed)."""
_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ers", "ed", "es", "er", "ly", "s")
TYPO_CUTOFF = 0.85
"""difflib ratio at or above which an unknown word is read as a misspelling of a known one."""


@functools.lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """A light suffix-stripping stem ("freelancers" -> "freelanc"), enough to match word forms."""
    word = word.lower().strip("'.-&")
    if word.endswith("'s"):
        word = word[:-2]
    word = IRREGULAR_FORMS.get(word, word)
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def stem_variants(word: str) -> tuple[str, ...]:
    """A word's stem and the stems its other forms may have: suffix stripping leaves an "e" or a "y" ambiguous.

    "advertising" stems to "advertis" but "advertise" to itself, "phones" to "phon" but "phone"
    to itself, "companies" to "compan" but "company" to itself: each form's variants include the
    others' stems, so a question's "advertise" finds the notes' "advertising". A word the stemmer
    leaves whole gets no added "e" or "y" ("car" is not "care").
    """
    s = stem(word)
    # Only a cut ending is ambiguous: "car" must not find "care", nor "rat" "rate".
    variants = [s, s + "e", s + "y"] if s != word.lower() else [s]
    if s.endswith(("e", "y")) and len(s) > 4:
        variants.append(s[:-1])
    return tuple(variants)


def content_words(text: str) -> list[str]:
    """The words of a text that can carry its subject, as typed, in order (no stopwords, numbers or one-letter words)."""
    words = []
    for word in _WORD.findall(text):
        lower = word.lower()
        if len(lower) > 2 and "'" not in lower and lower not in STOPWORDS and lower not in EXTRA_STOPWORDS:
            words.append(word)
    return words


_STORY_FORM = re.compile(r"(?![a-z]*thers?$)[a-z]{3,}(?:er|ist|ian)s?|[a-z]{2,}[st]ors?|[a-z]{3,}ed", re.IGNORECASE)
"""How English names who does a job ("photographer", "translator", "florist", "electrician") and
what happened ("disappeared", "scammed"). A doer in -or is Latin's -tor or -sor ("translator",
"advisor"), so "liquor" and "colour" are no trade; "-ther" ends old words that name no doer
("weather", "leather"). A form cannot tell a machine from its trade ("printer")."""


def tells_the_story(word: str) -> bool:
    """True for a word whose form names who does a job or what happened, rather than a subject.

    The notes are about handing work to people of any trade, so a trade no note names
    ("photographer") is who does the work, not a subject they leave out; a past tense
    ("disappeared", "ghosted") tells what happened. Subjects that are also people ("lender",
    "investor", "landlord") are in `knowledge/not-covered.yaml`, which is checked apart.
    """
    return bool(_STORY_FORM.fullmatch(word))


_PREFIXES = ("re", "un", "pre", "co", "non", "sub", "mis", "multi", "self")
"""Prefixes that leave a word's subject as it is ("redesign" is about design)."""
_HYPHENED_PREFIXES = ("over-", "under-")
"""Words that prefix a word only with a hyphen ("over-charged"): joined, they make a word of their own
("overdraft" is not a draft, "underwriting" not writing)."""
MIN_PREFIXED_REST = 4
"""What is left after the prefix must be a word this long ("redo" is not "do")."""


class Vocabulary:
    """The stems of every word in the notes, and which notes use each, for telling known words from new subjects.

    Args:
        texts: (note id, text) for every searchable text of the notes (titles, questions, answers, points, sections).
        common: Words of English that are never read as a misspelling when respelling ("garbage" is
            not "garage", "pasta" not "past"); empty: nothing is respelled (see `respelled`).
    """

    def __init__(self, texts: Iterable[tuple[str, str]], common: frozenset[str] = frozenset()) -> None:
        words: dict[str, set[str]] = {}
        uses: Counter[str] = Counter()
        for note_id, text in texts:
            for word in _WORD.findall(text.lower()):
                words.setdefault(word, set()).add(note_id)
                uses[word] += 1
        notes: dict[str, set[str]] = {}
        spellings: dict[str, str] = {}
        for word, ids in words.items():  # each distinct word stemmed once, not each occurrence
            s = stem(word)
            if s:
                notes.setdefault(s, set()).update(ids)
                if s not in spellings or uses[word] > uses[spellings[s]]:
                    spellings[s] = word
        self._notes = {s: frozenset(ids) for s, ids in notes.items()}
        self._spellings = spellings
        self._stem_uses: Counter[str] = Counter()
        for word, count in uses.items():
            self._stem_uses[stem(word)] += count
        self._common = common
        by_start: dict[str, list[str]] = {}
        for s in self._notes:
            by_start.setdefault(s[:1], []).append(s)
        self._by_start = {k: sorted(v) for k, v in by_start.items()}
        self.notes_of = functools.lru_cache(maxsize=20_000)(self._notes_of)
        self.spelled = functools.lru_cache(maxsize=20_000)(self._spelled)

    def _notes_of(self, word: str) -> frozenset[str]:
        """The notes that use the word, or the known word it is a close misspelling of (empty when none)."""
        s = stem(word)
        empty: frozenset[str] = frozenset()
        found = empty.union(*(self._notes.get(v, empty) for v in (*stem_variants(word), word.lower())))
        if found:
            return found
        # "redesign", "rebrand", "subcontractor": a prefix on a word the notes use is that word's subject.
        for prefix in (*_PREFIXES, *_HYPHENED_PREFIXES):
            rest = word.lower()[len(prefix) :].lstrip("-")
            if word.lower().startswith(prefix) and len(rest) >= MIN_PREFIXED_REST:
                prefixed = self._notes.get(stem(rest))
                if prefixed:
                    return prefixed
        if len(s) < 5:
            return frozenset()
        match = self._close_stems(s)
        return self._notes[match[0]] if match else frozenset()

    def _close_stems(self, s: str) -> list[str]:
        """The known stems a stem of 5+ letters may be a misspelling of, closest first (`TYPO_CUTOFF`; at most 3).

        Misspellings keep the first letter far more often than not; comparing only with known stems
        of that letter and a similar length keeps this well under a millisecond.
        """
        pool = [k for k in self._by_start.get(s[:1], ()) if abs(len(k) - len(s)) <= 2]
        return difflib.get_close_matches(s, pool, n=3, cutoff=TYPO_CUTOFF)

    def _spelled(self, word: str) -> str | None:
        """The notes' spelling of a misspelled word ("acounting" -> "accounting"), or None for a word to keep.

        A word the notes use (in any form), a stopword, and a word whose stem is under 5 letters are
        kept; so is a word of English (`common`: "garbage" is no misspelling of "garage") and one
        close to no known stem (`TYPO_CUTOFF`, the rule `notes_of` reads typos by). Of the close
        stems, the one the notes use most is taken ("freelacer" is "freelancer", not a typo the
        notes quote).
        """
        lower = word.lower()
        s = stem(lower)
        if not self._common or lower in self._common or len(s) < 5:
            return None
        if (
            lower in STOPWORDS
            or lower in EXTRA_STOPWORDS
            or any(v in self._notes for v in (*stem_variants(lower), lower))
        ):
            return None
        matches = self._close_stems(s)
        return self._spellings[max(matches, key=lambda m: self._stem_uses[m])] if matches else None

    def respelled(self, text: str) -> str:
        """The text with each misspelling of a word the notes use written their way ("payrol servise" -> "payroll service").

        Only the misspelled words change; everything else is kept as typed.
        """
        return _LETTERS.sub(lambda m: self.spelled(m.group(0)) or m.group(0), text)

    def unknown(self, text: str) -> list[str]:
        """The content words of `text` that occur in no note (as typed, without repeats)."""
        return list(dict.fromkeys(w for w in content_words(text) if not self.notes_of(w)))

    def ungrounded(self, text: str, note_id: str, rare: int) -> list[str]:
        """Content words of `text` used by at most `rare` notes, none of them `note_id` (as typed, no repeats).

        A word no note uses whose form tells the story (`tells_the_story`) is left out.
        """
        found = []
        for word in content_words(text):
            notes = self.notes_of(word)
            if len(notes) <= rare and note_id not in notes and not (not notes and tells_the_story(word)):
                found.append(word)
        return list(dict.fromkeys(found))
