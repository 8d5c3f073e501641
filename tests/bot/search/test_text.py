"""Cleaning user text: normalisation, invisible characters, truncation."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.conversation.core import Core
from bot.messages import Message
from bot.search.text import (
    JOINERS,
    MAX_QUESTION_CHARS,
    MAX_RAW_CHARS,
    clean_text,
    drop_author_frame,
    drop_opening_filler,
    has_words,
    truncate,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  hello   world \n", "hello world"),
        ("free\u200blance", "freelance"),  # zero-width space
        ("a\u2060b\ufeff", "ab"),  # word joiner, BOM
        ("a\u200d\u2060b\ufeff", "a\u200db"),  # the zero-width joiner between two letters stays
        ("می\u200cخواهم", "می\u200cخواهم"),  # Persian needs the zero-width non-joiner
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # one family emoji, not three people
        ("\u200d hi \u200c\u200d there\u200c", "hi there"),  # joiners that join nothing go
        ("\u200b\u200d", ""),
        ("tab\there\r\nnew\x0bline", "tab here new line"),
        ("bell\x07 and\x00null", "bell andnull"),
        ("\u202eRTL override\u202c", "RTL override"),
        ("ｆｕｌｌｗｉｄｔｈ", "fullwidth"),  # NFKC
        ("ﬁne", "fine"),
        ("שלום עולם", "שלום עולם"),
        ("مرحبا", "مرحبا"),
        ("🙂 emoji stay 👍", "🙂 emoji stay 👍"),
        ("<b>&amp;</b>", "&amp;"),  # markup goes, entities stay (they are harmless words)
        ("<b>how much</b> does a <script>alert(1)</script> VA cost?", "how much does a VA cost?"),
        ("**bold**, _italic_, `code` and ~~gone~~ snake_case", "bold, italic, code and gone snake_case"),
        ("budget < 500 > 100", "budget 500 100"),
        ("<a<b>> <<i>i>", "a i"),
        ("\u200b\u200b", ""),
        ("", ""),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


@given(st.text())
def test_clean_text_is_idempotent_and_leaves_no_invisible_characters(raw: str) -> None:
    cleaned = clean_text(raw)
    assert clean_text(cleaned) == cleaned
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned
    assert all(unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in cleaned if ch not in JOINERS)
    # A kept joiner sits between two visible characters.
    for i, ch in enumerate(cleaned):
        if ch in JOINERS:
            assert 0 < i < len(cleaned) - 1
            assert not cleaned[i - 1].isspace() and not cleaned[i + 1].isspace()


def test_huge_raw_input_is_cut_before_cleaning() -> None:
    huge = "\u200b" * 10 + "hire a va " * 600_000  # 6 MB
    cleaned = clean_text(huge)
    assert len(cleaned) <= MAX_RAW_CHARS == 4 * MAX_QUESTION_CHARS
    assert cleaned.startswith("hire a va hire a va")
    assert clean_text("x" * 50, limit=10) == "x" * 10


def test_truncate_short_text_is_untouched() -> None:
    assert truncate("short", 10) == ("short", False)
    assert truncate("x" * MAX_QUESTION_CHARS) == ("x" * MAX_QUESTION_CHARS, False)


def test_truncate_cuts_at_a_word_boundary() -> None:
    text = "word " * 300
    cut, was_cut = truncate(text.strip())
    assert was_cut
    assert len(cut) <= MAX_QUESTION_CHARS
    assert cut.endswith("word") and cut.split() == ["word"] * len(cut.split())


def test_truncate_without_spaces_cuts_hard() -> None:
    assert truncate("y" * 50, 20) == ("y" * 20, True)


@given(st.text(), st.integers(min_value=1, max_value=200))
def test_truncate_keeps_a_prefix_within_the_limit(text: str, limit: int) -> None:
    cut, was_cut = truncate(text, limit)
    assert len(cut) <= limit
    assert text.startswith(cut)
    assert was_cut == (len(text) > limit)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("???", False), ("!!! ...", False), ("🙂", False), ("a", True), ("٣", True), ("日本", True), ("", False)],
)
def test_has_words(text: str, expected: bool) -> None:
    assert has_words(text) is expected


@pytest.mark.parametrize(
    ("text", "searched"),
    [
        ("ok so what would I hand off first?", "what would I hand off first?"),
        ("Okay, thanks! so how much is a VA", "how much is a VA"),
        ("hmm well, where do I find one", "where do I find one"),
        ("okay", "okay"),  # nothing but filler: small talk decides
        ("so what is the chasm", "so what is the chasm"),  # "so" alone is a continuation, kept
        ("okra farming tips", "okra farming tips"),  # a word that starts like a filler
        ("greatest risks of outsourcing", "greatest risks of outsourcing"),
        ("cheers, then what does a VA cost", "what does a VA cost"),  # small talk's thanks, one list
    ],
)
def test_drop_opening_filler(text: str, searched: str) -> None:
    assert drop_opening_filler(text) == searched


def test_a_chatty_opening_does_not_cost_the_answer(real_core: Core) -> None:
    plain = real_core.answer(Message("what would I hand off first?", "u", "c", "cli"))
    chatty = real_core.answer(Message("ok so what would I hand off first?", "u2", "c2", "cli"))
    assert plain.sources and chatty.sources
    assert chatty.sources[0].id == plain.sources[0].id == "what-to-outsource"
    assert chatty.kind == plain.kind


@pytest.mark.parametrize(
    "text",
    [
        "well-known agencies for SEO?",
        "great britain vat for freelancers",
        "right to work checks for contractors",
        "cool ideas for a bakery newsletter",
    ],
)
def test_a_question_that_starts_with_a_filler_word_keeps_it(text: str) -> None:
    assert drop_opening_filler(text) == text


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        ("ok what is a VA", "what is a VA"),
        ("great, so how much", "how much"),
        ("cool so what next", "what next"),
        ("right, how much", "how much"),
        ("um what is the chasm", "what is the chasm"),
    ],
)
def test_a_filler_word_with_punctuation_or_so_is_dropped(text: str, rest: str) -> None:
    assert drop_opening_filler(text) == rest


@pytest.mark.parametrize(
    ("question", "searched"),
    [
        ("what does moore say if a product suddenly takes off", "what if a product suddenly takes off"),
        ("What does Geoffrey Moore say about picking one market first", "What about picking one market first"),
        ("moore says to keep a budget for new ideas, why", "to keep a budget for new ideas, why"),
        ("according to Moore, should I outsource my bookkeeping", "should I outsource my bookkeeping"),
        ("what does moore say", "what does moore say"),  # nothing left to search: as typed
        ("what does moore say in his books", "what does moore say in his books"),  # about the man himself
        ("What does Moore mean by core versus context?", "What does Moore mean by core versus context?"),
        ("who is geoffrey moore", "who is geoffrey moore"),
    ],
)
def test_the_frame_that_attributes_an_idea_to_moore_is_not_searched(question: str, searched: str) -> None:
    assert drop_author_frame(question) == searched
