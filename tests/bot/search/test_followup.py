"""Follow-ups that follow the person: read against the chat's topic only when they depend on it.

The decision (`bot.search.followup`) with hand-made rankings and a small vocabulary first, then
whole conversations with the real model.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import pytest

from bot.conversation import continuing
from bot.conversation.core import Core
from bot.messages import Message, Reply
from bot.search import asks, followup
from bot.search.followup import TOPIC_FLOOR, follow_topic
from bot.search.followup_words import depends_on_topic
from bot.search.grounding import Vocabulary
from bot.search.index import LoadedIndex
from bot.search.queries import plan_queries
from bot.search.retrieval import Candidate

THRESHOLD = 0.41
TITLES = {
    "va": "Virtual assistants",
    "pricing": "Pricing and costs",
    "when": "When to outsource",
    "insurance": "Insurance and liability",
    "chasm": "Crossing the chasm",
    "moore": "Geoffrey Moore",
    "delivery": "Delivery and fulfilment",  # "Outsourcing" is in every real note: no subject
    "market": "Freelance marketplaces",
}
INDEX = cast(
    LoadedIndex,
    SimpleNamespace(
        vocabulary=Vocabulary(
            [
                ("va", "Virtual assistants handle email, calendars and bookings; check their references."),
                ("va", "What a VA costs: rates by region, the Philippines, Latin America, Eastern Europe."),
                (
                    "pricing",
                    "Pricing and costs: what it costs to outsource for a small business, hourly rates, paying.",
                ),
                ("va", "Paying a VA by the hour."),
                ("when", "When to outsource: when your time costs more than the help."),
                ("insurance", "Insurance and liability: professional indemnity cover for a small business."),
                ("chasm", "Crossing the chasm: from early adopters to the mainstream market."),
                ("moore", "Geoffrey Moore wrote Crossing the Chasm and Inside the Tornado."),
                ("market", "Freelance marketplaces: where to find freelancers, on Upwork or Fiverr."),
                (
                    "delivery",
                    "Outsourcing delivery and fulfilment: a 3PL stores, packs and ships your orders, and what it costs.",
                ),
            ]
        ),
        chunks=[SimpleNamespace(note_id=note, kind="title", text=title) for note, title in TITLES.items()],
        note_question_chunks={note: [i] for i, note in enumerate(TITLES)},
        passage_entries={},  # no passage answers an `Ask` here: the other rules decide (see ASKED below)
    ),
)


def cand(note: str, confidence: float, peak: float = 0.0, passages: tuple[tuple[str, float], ...] = ()) -> Candidate:
    return Candidate(note, confidence, confidence, confidence, 0.0, passages, peak=peak or confidence)


VA_IN_CONTEXT = cand("va", 0.9, passages=(("section:2", 0.62), ("answer", 0.55)))
"""The VA note ranked for a message read as "Virtual assistants: <message>" (its title lifts it)."""


def test_a_pointing_follow_up_goes_to_the_topic_over_a_confident_general_note() -> None:
    own = [cand("pricing", 0.53), cand("va", 0.32)]
    ranked, kept = follow_topic("how much does that cost?", "va", own, [VA_IN_CONTEXT], INDEX, THRESHOLD)
    assert kept and [c.note_id for c in ranked] == ["va", "pricing"]
    assert ranked[0].passage == "section:2" and ranked[0].confidence == 0.62, "scored by its best passage in context"


def test_a_confident_own_answer_the_context_confirms_keeps_the_message() -> None:
    # "how much does that cost?" after "when should I outsource?": pricing is as close as the topic in context.
    own = [cand("pricing", 0.47)]
    topic = cand("when", 0.82, passages=(("section:1", 0.69),))
    ranked, kept = follow_topic(
        "how much does that cost?", "when", own, [topic, cand("pricing", 0.80)], INDEX, THRESHOLD
    )
    assert not kept and ranked == own
    # Far behind the topic in context, the same own answer gives way to the topic.
    ranked, kept = follow_topic(
        "how much does that cost?", "when", own, [topic, cand("pricing", 0.60)], INDEX, THRESHOLD
    )
    assert kept and ranked[0].note_id == "when"


def test_a_confident_own_answer_silent_on_the_topics_subject_gives_way_to_the_topic() -> None:
    # "how much does it cost?" after fulfilment: pricing is close in context but never speaks of
    # delivery or fulfilment, so "it" is the topic.
    own = [cand("pricing", 0.58, peak=0.63)]
    topic = cand("delivery", 0.84, passages=(("answer", 0.42),))
    ranked, kept = follow_topic(
        "how much does it cost?", "delivery", own, [topic, cand("pricing", 0.70)], INDEX, THRESHOLD
    )
    assert kept and [c.note_id for c in ranked] == ["delivery", "pricing"]


def test_a_topic_first_on_the_message_alone_and_in_context_is_kept_though_unsure() -> None:
    # "how would I know if we've crossed it?" after the chasm: the chasm first alone (0.37), and in context.
    own = [cand("chasm", 0.37, passages=(("answer", 0.37),)), cand("moore", 0.26)]
    weak = cand("chasm", 0.79, passages=(("point:1", TOPIC_FLOOR - 0.05),))  # its best passage under the floor
    ranked, kept = follow_topic("how would I know if we've crossed it?", "chasm", own, [weak], INDEX, THRESHOLD)
    assert kept and ranked[0].note_id == "chasm" and ranked[0].passage == "point:1"
    # Not first in context: left to the rules that follow (here, the other note, better in context).
    context = [cand("moore", 0.8), weak]
    ranked, kept = follow_topic("how would I know if we've crossed it?", "chasm", own, context, INDEX, THRESHOLD)
    assert not kept and ranked[0].note_id == "moore"


def test_a_follow_up_whose_words_the_topic_never_uses_goes_to_the_note_they_reach() -> None:
    # "where do I find one?" after insurance: drawn to it by its title alone, while the note on
    # finding freelancers, unsure on the message alone, uses its words.
    own = [cand("market", 0.38)]
    topic = cand("insurance", 0.86, passages=(("point:5", 0.57),))
    ranked, kept = follow_topic("where do I find one?", "insurance", own, [topic], INDEX, THRESHOLD)
    assert kept and ranked[0].note_id == "market"
    # Too far from the message on its own words: the topic, as before.
    ranked, kept = follow_topic("where do I find one?", "insurance", [cand("market", 0.2)], [topic], INDEX, THRESHOLD)
    assert kept and ranked[0].note_id == "insurance"
    # A near tie on the message's own words ("where do i find one" alone: a manufacturer 0.373,
    # marketplaces 0.364) is no reason to leave the topic for a note nobody mentioned.
    tie = [cand("market", 0.38), cand("va", 0.36)]
    ranked, kept = follow_topic("where do I find one?", "insurance", tie, [topic], INDEX, THRESHOLD)
    assert kept and ranked[0].note_id == "insurance"
    clear = [cand("market", 0.38), cand("va", 0.31)]
    ranked, kept = follow_topic("where do I find one?", "insurance", clear, [topic], INDEX, THRESHOLD)
    assert kept and ranked[0].note_id == "market"


def test_a_short_continuation_on_the_topics_own_words_stays_on_the_topic() -> None:
    # "and on fiverr?" after a question on a marketplace: the same question about Fiverr, which the
    # topic's note speaks of, though another note is confident on "fiverr" alone and close in context.
    own = [cand("pricing", 0.56)]
    context = [cand("market", 0.6, passages=(("point:5", 0.39),)), cand("pricing", 0.59)]
    ranked, kept = follow_topic("and on fiverr?", "market", own, context, INDEX, THRESHOLD)
    assert kept and ranked[0].note_id == "market" and ranked[0].passage == "point:5"
    # A word the topic's note never uses: a question of its own.
    own = [cand("insurance", 0.6)]
    assert follow_topic("and insurance?", "market", own, context, INDEX, THRESHOLD) == (own, False)


def test_an_unsure_own_answer_that_beats_the_topic_in_context_answers() -> None:
    # "and paying them?" after hiring a freelancer: paying is unsure alone, but ahead of hiring in context.
    own = [cand("pricing", 0.40, passages=(("answer", 0.40),))]
    context = [cand("pricing", 0.82), cand("va", 0.79, passages=(("answer", 0.38),))]
    ranked, kept = follow_topic("and paying them?", "va", own, context, INDEX, THRESHOLD)
    assert not kept and ranked[0].note_id == "pricing" and ranked[0].confidence == 0.82
    assert ranked[0].passages == (("answer", 0.40),), "its passages are those of the message alone"


def test_an_elliptical_question_leans_on_the_topic() -> None:
    ranked, kept = follow_topic("how much?", "va", [cand("pricing", 0.30)], [VA_IN_CONTEXT], INDEX, THRESHOLD)
    assert kept and ranked[0].note_id == "va"


def test_a_topic_that_is_also_the_own_answer_gets_its_passages_for_the_context() -> None:
    own = [cand("va", 0.6, passages=(("answer", 0.6),)), cand("pricing", 0.4)]
    ranked, kept = follow_topic("where do I find one?", "va", own, [VA_IN_CONTEXT], INDEX, THRESHOLD)
    assert not kept, "confident on its own: no need to keep the topic"
    assert ranked[0].note_id == "va" and ranked[0].passage == "section:2" and ranked[0].peak == 0.0


def test_a_follow_up_naming_a_subject_another_note_covers_goes_there() -> None:
    own = [cand("insurance", 0.6, peak=0.62), cand("va", 0.3)]
    ranked, kept = follow_topic("do they need insurance?", "va", own, [VA_IN_CONTEXT], INDEX, THRESHOLD)
    assert not kept and ranked == own


def test_a_short_question_with_its_own_subject_stands_alone() -> None:
    own = [cand("chasm", 0.7)]
    assert follow_topic("what is the chasm", "va", own, [VA_IN_CONTEXT], INDEX, THRESHOLD) == (own, False)


@pytest.mark.parametrize("text", ["what time is it in Tokyo?", "whats the capital of australia", "pizza?"])
def test_off_topic_messages_are_read_as_if_asked_alone(text: str) -> None:
    own = [cand("pricing", 0.2)]
    assert follow_topic(text, "va", own, [VA_IN_CONTEXT], INDEX, THRESHOLD) == (own, False)


@pytest.mark.parametrize("text", ["what's 2+2", "whats 15% of 200", "what's 7 times 8"])
def test_sums_never_depend_on_the_topic(text: str) -> None:
    assert not depends_on_topic(text)


def test_the_topic_must_match_the_message_in_context_well_enough() -> None:
    weak = cand("va", 0.9, passages=(("answer", TOPIC_FLOOR - 0.01),))
    assert follow_topic("how would I check", "va", [], [weak], INDEX, THRESHOLD) == ([], False)
    assert follow_topic("how would I check", "va", [], [VA_IN_CONTEXT], INDEX, THRESHOLD)[1]


def test_the_contextual_text_is_built_once_with_abbreviations_spelled_out() -> None:
    plan = plan_queries("and for a VA?", previous_title="Hiring a freelancer")
    assert plan.contextual and plan.own == 2
    assert plan.texts == [
        "and for a VA?",
        "and for a virtual assistant?",
        "Hiring a freelancer: and for a virtual assistant?",
    ]
    standalone = plan_queries(
        "I run a bakery with four staff and want to know when outside help makes sense for us", "Hiring a freelancer"
    )
    assert not standalone.contextual and len(standalone.texts) == 1


def converse(core: Core, chat: str, *turns: str) -> list[Reply]:
    return [core.answer(Message(turn, chat, chat)) for turn in turns]


def paragraphs(reply: Reply) -> set[str]:
    return {p.strip() for p in reply.body.split("\n") if len(p.split()) > 6}


@pytest.mark.parametrize(
    ("text", "depends"),
    [
        ("how would I know if we're in one", True),
        ("what tools would they use", True),
        ("how would I check", True),
        ("and on fiverr?", True),
        ("how much?", True),
        ("I run a bakery with four staff and want to know when outside help makes sense for us", False),
        ("outsourcing accounting and bookkeeping", False),
    ],
)
def test_which_messages_depend_on_the_topic(text: str, depends: bool) -> None:
    assert depends_on_topic(text) is depends


def test_how_would_i_know_after_the_tornado_gets_its_if_it_happens_to_you_passage(real_core: Core) -> None:
    first, follow = converse(
        real_core, "fu-tornado", "what's the tornado he talks about", "how would I know if we're in one"
    )
    assert first.sources[0].id == follow.sources[0].id == "inside-the-tornado"
    assert follow.answered and "viral post" in follow.body, "the passage for a small business it happens to"
    assert not paragraphs(first) & paragraphs(follow), "nothing the person just read is sent again"


def test_how_do_i_know_if_im_stuck_in_it_after_the_chasm_stays_on_the_chasm(real_core: Core) -> None:
    first, follow = converse(real_core, "fu-chasm", "what is crossing the chasm", "how do I know if I'm stuck in it")
    assert follow.answered and follow.sources[0].id == "crossing-the-chasm"
    assert not paragraphs(first) & paragraphs(follow)


@pytest.mark.parametrize(
    ("topic", "note", "section"),
    [
        ("how do I get a website built for my shop", "outsourcing-web-and-design", "Rough costs"),
        ("should I hire a writer for my blog", "outsourcing-writing", "Rates"),
    ],
)
def test_how_much_after_a_topic_with_a_costs_part_leads_with_it(
    real_core: Core, topic: str, note: str, section: str
) -> None:
    _, follow = converse(real_core, f"fu-cost-{note}", topic, "how much?")
    assert follow.answered and follow.sources[0].id == note
    assert follow.answer.startswith(f"{section}:"), follow.answer[:80]


@pytest.mark.parametrize(
    "offtopic",
    ["what's 2+2", "what time is it in Tokyo?", "is it going to rain tomorrow", "what's 7 times 8", "whats 15% of 200"],
)
def test_off_topic_questions_mid_conversation_are_declined(real_core: Core, offtopic: str) -> None:
    first, reply = converse(real_core, f"fu-off-{offtopic}", "what's the tornado he talks about", offtopic)
    assert first.answered
    assert not reply.answered, reply.body[:120]


def test_a_question_that_names_its_own_subject_leaves_the_topic(real_core: Core) -> None:
    _, reply = converse(real_core, "fu-own", "what does a virtual assistant do", "do they need insurance?")
    assert reply.answered and reply.sources[0].id == "insurance-and-liability"


def test_what_does_that_mean_for_me_never_resends_what_was_shown(real_core: Core) -> None:
    replies = converse(
        real_core,
        "fu-for-me",
        "what is core vs context",
        "what does that mean for me?",
        "what does that mean for me?",
        "what does that mean for me?",
    )
    seen: set[str] = set()
    for reply in replies:
        assert reply.sources[0].id == "core-vs-context"
        assert not paragraphs(reply) & seen, "a paragraph came back"
        seen |= paragraphs(reply)
    assert "That's everything I have on Core versus context" in replies[-1].body


def test_a_note_the_chat_comes_back_to_is_not_resent_from_its_start(real_core: Core) -> None:
    first, other, again = converse(
        real_core,
        "fu-back",
        "what does a virtual assistant do",
        "what is crossing the chasm",
        "what does a virtual assistant do",
    )
    assert first.sources[0].id == again.sources[0].id == "virtual-assistants"
    assert other.sources[0].id == "crossing-the-chasm"
    assert again.body != first.body and not paragraphs(first) & paragraphs(again)


ASKED_CHUNKS = [
    ("va", "point:1", "Where to look: Upwork and Fiverr, or referrals from other owners."),
    ("va", "point:2", "Cost: budget for hourly rates of about $5-15 an hour offshore."),
    ("va", "section:3", "how much should I offer a VA"),  # a section's own question: no passage
    ("insurance", "answer", "Professional indemnity cover pays when a client says your advice cost them money."),
    ("market", "answer", "The main places to find freelancers are Upwork and Fiverr."),
    (
        "contracts-and-ip",
        "point:0",
        "IP: the freelancer assigns all rights once paid, so the business owns the work after.",
    ),
]
ASKED_INDEX = cast(
    LoadedIndex,
    SimpleNamespace(
        vocabulary=Vocabulary(
            [*((note, text) for note, _, text in ASKED_CHUNKS), *((n, t) for n, t in TITLES.items())]
        ),
        chunks=[SimpleNamespace(note_id=note, part=part, text=text) for note, part, text in ASKED_CHUNKS],
        note_question_chunks=INDEX.note_question_chunks,
        passage_entries={
            note: [(i, part, text.endswith("VA")) for i, (n, part, text) in enumerate(ASKED_CHUNKS) if n == note]
            for note, _, _ in ASKED_CHUNKS
        },
    ),
)
"""Notes whose passages answer what a follow-up asks (`bot.search.asks.ASKS`): the VA note has prices
and says where to look, the insurance note neither, the marketplaces note says where, the contracts note
who owns the work."""


@pytest.mark.parametrize(
    ("text", "ask"),
    [
        ("how much should I budget for it", "cost"),
        ("roughly what would an agency like that charge me", "cost"),
        ("where do i find one?", "where"),
        ("and who owns it after?", "ownership"),
        ("who owns the logo I paid for", "ownership"),  # ownership before cost
        ("and once we own it, then what?", None),  # owning a market is not a question of who owns the work
        ("how would I know if we're in one", None),
    ],
)
def test_what_a_follow_up_asks(text: str, ask: str | None) -> None:
    found = asks.what_is_asked(text)
    assert (found.name if found else None) == ask


def test_answering_parts_reads_the_passages_texts() -> None:
    assert asks.answering_parts(asks.COST, "va", ASKED_INDEX) == ["point:2"]
    assert asks.answering_parts(asks.WHERE, "va", ASKED_INDEX) == ["point:1"]
    assert asks.answering_parts(asks.COST, "insurance", ASKED_INDEX) == [], "'cost them money' is no price"


def test_a_cost_follow_up_stays_on_a_topic_with_prices_and_leads_with_them() -> None:
    topic = cand("va", 0.9, passages=(("answer", 0.6), ("point:0", 0.5), ("point:2", 0.3)))
    own = [cand("pricing", 0.7), cand("va", 0.3)]
    ranked, kept = follow_topic("how much should I budget for it", "va", own, [topic], ASKED_INDEX, THRESHOLD)
    assert kept and ranked[0].note_id == "va"
    assert ranked[0].passage == "point:2", "its prices lead"


def test_a_where_follow_up_on_a_topic_that_never_says_where_goes_to_the_note_that_does() -> None:
    topic = cand("insurance", 0.9, passages=(("answer", 0.6),))
    own = [cand("chasm", 0.3), cand("market", 0.25)]  # neither confident: the best with a "where" passage
    ranked, kept = follow_topic("where do i find one?", "insurance", own, [topic], ASKED_INDEX, THRESHOLD)
    assert kept and ranked[0].note_id == "market" and ranked[0].passage == "answer"
    stays = cand("va", 0.9, passages=(("answer", 0.6), ("point:1", 0.2)))
    ranked, kept = follow_topic("where do i find one?", "va", own, [stays], ASKED_INDEX, THRESHOLD)
    assert kept and ranked[0].note_id == "va" and ranked[0].passage == "point:1", "the topic's own 'where to look'"


def test_an_ownership_follow_up_reaching_no_note_goes_to_the_contracts_note() -> None:
    topic = cand("pricing", 0.9, passages=(("answer", 0.6),))
    own = [cand("chasm", 0.3)]
    ranked, kept = follow_topic("and who owns it after?", "pricing", own, [topic], ASKED_INDEX, THRESHOLD)
    assert kept and ranked[0].note_id == "contracts-and-ip" and ranked[0].passage == "point:0"


def test_a_follow_up_that_clearly_fits_the_last_close_calls_runner_up_switches_to_it() -> None:
    topic_reading = [cand("moore", 0.6, passages=(("answer", 0.31),))]
    rival_reading = [cand("chasm", 0.8, passages=(("point:1", 0.31 + followup.RIVAL_MARGIN + 0.01),))]
    assert followup.rival_topic("moore", topic_reading, "chasm", rival_reading) == ("chasm", rival_reading)
    close = [cand("chasm", 0.8, passages=(("point:1", 0.31 + followup.RIVAL_MARGIN - 0.01),))]
    assert followup.rival_topic("moore", topic_reading, "chasm", close) == ("moore", topic_reading), "not clearly"
    weak = [cand("chasm", 0.8, passages=(("point:1", TOPIC_FLOOR - 0.01),))]
    assert followup.rival_topic("moore", [], "chasm", weak) == ("moore", []), "too weak to follow at all"


def test_a_close_runner_up_is_read_in_context_too() -> None:
    plan = plan_queries("how would I know?", "The next new thing", rival_title="Crossing the chasm")
    assert plan.contextual and plan.rival
    assert plan.texts[plan.own :] == ["The next new thing: how would I know?", "Crossing the chasm: how would I know?"]
    standalone = plan_queries(
        "what is the tornado in Moore's books about", "The next new thing", rival_title="Crossing the chasm"
    )
    assert not standalone.contextual and not standalone.rival and len(standalone.texts) == 1


def test_the_chat_keeps_the_runner_up_of_a_close_call_until_its_next_answer(real_core: Core) -> None:
    unsure = real_core.answer(Message("how does escrow payment work with freelancers", "rival", "rival"))
    assert unsure.suggestion_label == "Did you mean"
    runner_up = real_core.memory.close_call("console", "rival")
    assert runner_up is not None and runner_up != unsure.sources[0].id
    assert runner_up in {s.id for s in unsure.suggestions}, "the first 'did you mean' note"
    sure = real_core.answer(Message("what should i outsource first", "rival", "rival"))
    assert sure.suggestion_label == "Related topics" and real_core.memory.close_call("console", "rival") is None


def test_a_price_follow_up_once_the_prices_were_shown_gets_them_again_briefly(real_core: Core) -> None:
    first, fresh, again = converse(
        real_core,
        "fu-cost-again",
        "what are VA rates in the philippines",
        "how much should I budget for it?",
        "so what would it cost me?",
    )
    assert {r.sources[0].id for r in (first, fresh, again)} == {"virtual-assistants"}
    assert "$5-15" in first.body
    assert fresh.answer.startswith("Paying a fair rate:"), "the note's other passage on price, not read yet"
    assert again.answer.startswith("Cost:"), "every price shown: the rates again, not whatever is left"
    assert "as above" in again.body and again.body != first.body, "said again, briefly, and marked as such"


def test_a_passage_that_sets_a_budget_aside_answers_how_much_to_budget() -> None:
    assert asks.COST.answer.search("Put a small, protected budget and your best people on the new idea.")
    assert asks.COST.answer.search("Spend about 10% of revenue on it.")
    assert not asks.COST.answer.search("When you budget, add platform fees."), "saying to budget names no amount"
    assert not asks.COST.answer.search("Start with one task and a fixed budget."), "nor does having a budget"
    assert asks.COST.answer.search("Get quotes that list every fee: receiving, storage and pick and pack.")


def test_the_words_that_ask_the_price_are_no_subject_of_their_own() -> None:
    # "charge" is used by the pricing note only: it is the question's ask, not a subject that leaves the topic.
    texts = [
        *TITLES.items(),
        ("va", "Most VAs usually bill by the hour."),
        ("pricing", "Freelancers charge by the hour."),
    ]
    index = cast(
        LoadedIndex,
        SimpleNamespace(
            vocabulary=Vocabulary(texts),
            chunks=INDEX.chunks,
            note_question_chunks=INDEX.note_question_chunks,
            passage_entries={},
        ),
    )
    assert followup._subject_notes("how do they usually charge", "va", index) == [frozenset({"pricing"})]
    assert followup._subject_notes("how do they usually charge", "va", index, asks.COST) == []
    assert followup._subject_notes("how much cheaper do they charge", "va", index, asks.COST) == []
    topic = cand("va", 0.9, passages=(("answer", 0.6),))
    own = [cand("pricing", 0.45), cand("va", 0.3)]
    ranked, kept = follow_topic("how do they usually charge", "va", own, [topic], index, THRESHOLD)
    assert kept and ranked[0].note_id == "va"


def test_a_follow_up_on_the_cost_of_payroll_gets_the_payroll_notes_prices(real_core: Core) -> None:
    _, follow = converse(
        real_core,
        "fu-payroll-cost",
        "we're thinking of outsourcing payroll for our 5 staff",
        "how much does that usually cost",
    )
    assert follow.answered and follow.sources[0].id == "outsourcing-hr-and-payroll"
    assert "$20-125 a month" in follow.answer, follow.answer[:200]


def test_a_follow_up_about_it_that_means_nothing_alone_stays_on_the_topic(real_core: Core) -> None:
    first, follow = converse(
        real_core, "fu-bad-work", "the designer I hired delivered rubbish", "how do I stop it happening next time"
    )
    assert first.sources[0].id == follow.sources[0].id == "quality-control"
    assert follow.answered


@pytest.mark.parametrize("offtopic", ["what day is it today", "how old is it", "what time is it"])
def test_a_question_about_it_that_says_nothing_of_the_topic_is_still_declined(real_core: Core, offtopic: str) -> None:
    first, reply = converse(real_core, f"fu-it-{offtopic}", "the designer I hired delivered rubbish", offtopic)
    assert first.answered and not reply.answered, reply.body[:120]


def test_a_question_naming_a_document_only_another_note_covers_goes_there(real_core: Core) -> None:
    (alone,) = converse(real_core, "fu-nda-alone", "can my VA sign an NDA")
    assert alone.sources[0].id == "contracts-and-ip"


def test_a_question_attributing_an_idea_to_moore_is_answered_by_that_idea(real_core: Core) -> None:
    (reply,) = converse(real_core, "fu-moore-frame", "what does moore say about picking one small market first")
    assert reply.answered and reply.sources[0].id == "beachhead-and-whole-product"


def test_a_continuation_after_a_chatty_opening_still_leans_on_the_topic() -> None:
    assert plan_queries("ok and what about returns", "Outsourcing delivery and fulfilment").contextual
    assert plan_queries("and what about returns", "Outsourcing delivery and fulfilment").contextual


def test_how_much_after_a_fulfilment_question_leads_with_the_fees_to_ask_about(real_core: Core) -> None:
    _, follow = converse(real_core, "fu-3pl-cost", "should i get a fulfilment company", "how much does that cost")
    assert follow.answered and follow.sources[0].id == "outsourcing-delivery"
    assert "every fee" in follow.answer, follow.answer[:120]


def test_who_owns_after_a_topic_with_an_ownership_passage_stays_on_it(real_core: Core) -> None:
    # "owns" asks the ownership question; it is no subject word pulling the reply to the web design note.
    _, follow = converse(
        real_core, "fu-ai-owns", "could i just use chatgpt for my blog posts", "who owns what it writes"
    )
    assert follow.answered and follow.sources[0].id == "ai-tools-vs-outsourcing"
    assert "copyright" in follow.answer.lower()


def test_a_worry_about_a_recipe_being_taken_gets_the_confidentiality_passage(real_core: Core) -> None:
    (reply,) = converse(real_core, "fu-recipes", "what if a freelancer runs off with my recipes")
    assert reply.answered and reply.sources[0].id == "contracts-and-ip"
    assert "secret" in reply.answer, reply.answer[:160]


def test_asking_which_book_an_idea_is_from_gets_the_notes_sources(real_core: Core) -> None:
    first, follow = converse(
        real_core, "fu-sources", "what's moore's idea about core and context", "is that in one of his books"
    )
    assert follow.sources[0].id == first.sources[0].id == "core-vs-context"
    assert "Living on the Fault Line" in follow.body and "Sources" in follow.body


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("is that in one of his books", True),
        ("what's the source for this", True),
        ("which of his books should I read first", False),  # about the books: a note answers it
        ("how much does it cost", False),
    ],
)
def test_which_follow_ups_ask_where_it_comes_from(text: str, asks: bool) -> None:
    assert continuing.asks_for_sources(text) is asks
