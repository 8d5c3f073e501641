"""Telling a question's known words from subjects no note covers (bot.search.grounding)."""

from __future__ import annotations

import pytest

from bot.search.grounding import (
    Vocabulary,
    content_words,
    stem,
    tells_the_story,
)
from bot.search.named_subject import lead_by_named_subject
from bot.search.retrieval import Candidate

VOCABULARY = Vocabulary(
    [
        ("freelancers", "Hiring freelancers: check a freelancer's portfolio before you pay."),
        ("payroll", "Outsourcing payroll to a provider costs a monthly fee per employee."),
        ("marketing", "Outsourcing marketing: agencies, freelancers and payroll of staff."),
    ]
)


def test_stems_match_word_forms() -> None:
    assert stem("freelancers") == stem("freelancer") == "freelanc"
    assert stem("payments") == stem("payment") == "payment"
    assert stem("cat") == "cat"  # too short to strip


def test_content_words_drop_stopwords_numbers_and_filler() -> None:
    assert content_words("How do I hire a VA for 20 hours, tbh?") == ["hire", "hours"]
    assert content_words("what's the weather in Lisbon") == ["weather", "Lisbon"]


def test_sizes_and_stuff_are_filler_not_subjects() -> None:
    # "tiny" is as empty of subject as "small"; "stuff" as "things".
    assert content_words("a tiny shop with a huge pile of stuff and large invoices") == ["shop", "pile", "invoices"]


def test_known_words_include_misspellings_of_known_ones() -> None:
    assert VOCABULARY.notes_of("freelancer") == {"freelancers", "marketing"}
    assert VOCABULARY.notes_of("freelnacers") == {"freelancers", "marketing"}  # a typo
    assert VOCABULARY.notes_of("payrol") == {"payroll", "marketing"}
    assert VOCABULARY.notes_of("franchise") == frozenset()


@pytest.mark.parametrize(
    "question, note, expected",
    [
        ("hire a franchise", "freelancers", ["hire", "franchise"]),
        ("outsourcing payroll for staff", "payroll", ["staff"]),  # used by one note, not this one
        ("outsourcing payroll for staff", "marketing", []),
        ("check freelnacers", "freelancers", []),
    ],
)
def test_ungrounded_words_are_the_rare_ones_the_note_does_not_use(
    question: str, note: str, expected: list[str]
) -> None:
    assert VOCABULARY.ungrounded(question, note, rare=1) == expected


def test_unknown_words_keep_the_askers_spelling() -> None:
    assert VOCABULARY.unknown("Buying a Franchise in Texas") == ["Buying", "Franchise", "Texas"]


def test_a_prefixed_word_is_grounded_by_the_word_it_builds_on() -> None:
    vocabulary = Vocabulary([("web", "A designer shapes the look of your site."), ("brand", "Your brand and logo.")])
    assert vocabulary.notes_of("redesign") == {"web"}  # "how do I scope a website redesign" is about design
    assert vocabulary.notes_of("rebranding") == {"brand"}
    assert vocabulary.ungrounded("website redesign", "web", 2) == ["website"]
    assert vocabulary.notes_of("redo") == frozenset()  # too little left after the prefix to be a word of its own
    assert vocabulary.notes_of("unicorn") == frozenset()  # "icorn" is no word of the notes


def test_over_and_under_prefix_a_word_only_with_a_hyphen() -> None:
    vocabulary = Vocabulary(
        [("writing", "A writer drafts and writes your text."), ("pay", "Fees charged by the hour.")]
    )
    assert vocabulary.notes_of("underwriting") == frozenset()  # insurance, not writing
    assert vocabulary.notes_of("overdraft") == frozenset()  # borrowing, not a draft
    assert vocabulary.notes_of("over-charged") == {"pay"}


def test_days_and_months_say_when_not_what() -> None:
    assert content_words("payroll takes me hours every Friday in December") == ["payroll", "hours"]


def test_a_word_form_finds_the_notes_other_forms() -> None:
    vocabulary = Vocabulary([("ads", "Advertising on social media."), ("phones", "Someone answers the phone.")])
    assert vocabulary.notes_of("advertise") == {"ads"}  # "advertising" stems to "advertis"
    assert vocabulary.notes_of("phones") == {"phones"}  # "phones" stems to "phon"
    assert vocabulary.notes_of("phone") == {"phones"}


def test_a_whole_word_gets_no_added_ending() -> None:
    vocabulary = Vocabulary([("care", "Customer care for your shop."), ("rates", "Hourly rate of a VA.")])
    assert vocabulary.notes_of("car") == frozenset()  # not "care"
    assert vocabulary.notes_of("rat") == frozenset()  # not "rate"
    assert vocabulary.notes_of("cares") == {"care"}


@pytest.mark.parametrize(
    "word, story",
    [
        ("photographer", True),
        ("translators", True),
        ("florist", True),
        ("electrician", True),
        ("disappeared", True),
        ("franchise", False),
        ("inventory", False),
        ("seed", False),  # too short to be a past tense
        ("supervisor", True),
        ("liquor", False),  # a doer in -or is a -tor or -sor
        ("weather", False),  # nor is an old word in -ther
    ],
)
def test_words_that_tell_who_works_or_what_happened(word: str, story: bool) -> None:
    assert tells_the_story(word) is story


def test_a_trade_or_a_past_tense_no_note_uses_is_no_missing_subject() -> None:
    assert VOCABULARY.ungrounded("check freelancers photographer disappeared franchise", "freelancers", 1) == [
        "franchise"
    ]


COMMON = frozenset({"garbage", "garage", "service", "business", "the", "my"})
SPELLING = Vocabulary(
    [
        ("accounting", "Outsourcing accounting: a bookkeeper keeps the accounting and the payroll."),
        ("web", "A garage sale page. Freelancer, freelancer, freelancer: who does the service."),
        ("quote", "A note quoting a freelnacer's typo once."),
    ],
    COMMON,
)


def test_misspellings_of_the_notes_words_are_respelled_their_way() -> None:
    assert SPELLING.respelled("payrol servise for my busness") == "payroll service for my busness"
    assert SPELLING.spelled("acounting") == "accounting"
    assert SPELLING.spelled("freelacer") == "freelancer"  # the most used close stem, not the quoted typo


def test_words_of_english_and_known_words_are_kept() -> None:
    assert SPELLING.spelled("garbage") is None  # a word of English, though close to "garage"
    assert SPELLING.spelled("payroll") is None and SPELLING.spelled("bookkeepers") is None  # the notes' own
    assert SPELLING.spelled("zzyzx") is None  # close to nothing
    assert SPELLING.respelled("W-8BEN and 3PL, don't") == "W-8BEN and 3PL, don't"
    assert Vocabulary([("a", "payroll")]).respelled("payrol") == "payrol"  # no list of English words: nothing


def _ranked(*scores: tuple[str, float]) -> list[Candidate]:
    return [Candidate(note, score, score, score, 0.0) for note, score in scores]


@pytest.mark.parametrize(
    ("question", "ranked", "first"),
    [
        # A near tie, and only the runner-up uses the question's rare word ("provider"): it leads.
        ("can a provider run my payroll", (("marketing", 0.50), ("payroll", 0.49)), "payroll"),
        # Not near enough: the ranking stands.
        ("can a provider run my payroll", (("marketing", 0.55), ("payroll", 0.49)), "marketing"),
        # A runner-up under the threshold never takes the lead (it would be declined).
        ("can a provider run my payroll", (("marketing", 0.41), ("payroll", 0.40)), "marketing"),
        # The first note uses the rare words too ("freelancers" and "payroll" are each in two notes, one the first).
        ("should freelancers be on payroll", (("marketing", 0.50), ("freelancers", 0.49)), "marketing"),
        # A long story: a rare word in it is a detail, not what is asked.
        (
            "we are a small bakery firm of nine staff in two towns, and my accountant says a provider could run payroll for us",
            (("marketing", 0.50), ("payroll", 0.49)),
            "marketing",
        ),
    ],
)
def test_a_near_tied_runner_up_naming_the_asked_subject_leads(
    question: str, ranked: tuple[tuple[str, float], ...], first: str
) -> None:
    led = lead_by_named_subject(_ranked(*ranked), question, VOCABULARY, 0.41)
    assert led[0].note_id == first
    assert sorted(c.note_id for c in led) == sorted(note for note, _ in ranked), "nothing lost or added"


def test_reflexive_pronouns_point_at_someone_and_name_no_subject() -> None:
    assert content_words("what if they get hacked themselves") == ["hacked"]
    assert content_words("can I do the books myself") == ["books"]


def test_irregular_verb_forms_stem_to_their_base_form() -> None:
    assert stem("lost") == stem("losing") == stem("lose")
    assert stem("paid") == stem("pay") and stem("stolen") == stem("steal")
    assert stem("built") != stem("builder"), "a website built is not a website builder"
    assert VOCABULARY.notes_of("paid") == VOCABULARY.notes_of("pay") == frozenset({"freelancers"})
