"""Cleaning user text: normalisation, invisible characters, truncation."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.text import MAX_QUESTION_CHARS, clean_text, has_words, truncate


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  hello   world \n", "hello world"),
        ("free\u200blance", "freelance"),  # zero-width space
        ("a\u200d\u2060b\ufeff", "ab"),  # zero-width joiner, word joiner, BOM
        ("tab\there\r\nnew\x0bline", "tab here new line"),
        ("bell\x07 and\x00null", "bell andnull"),
        ("\u202eRTL override\u202c", "RTL override"),
        ("ｆｕｌｌｗｉｄｔｈ", "fullwidth"),  # NFKC
        ("ﬁne", "fine"),
        ("שלום עולם", "שלום עולם"),
        ("مرحبا", "مرحبا"),
        ("🙂 emoji stay 👍", "🙂 emoji stay 👍"),
        ("<b>&amp;</b>", "<b>&amp;</b>"),
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
    assert all(unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in cleaned)


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


@pytest.mark.parametrize(("text", "expected"), [("???", False), ("!!! ...", False), ("🙂", False), ("a", True), ("٣", True), ("日本", True), ("", False)])
def test_has_words(text: str, expected: bool) -> None:
    assert has_words(text) is expected
