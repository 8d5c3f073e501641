"""Which passage leads a reply: the note's own question gets its opening answer; a specific one never a bare "Yes."."""

from __future__ import annotations

from pathlib import Path

from bot.conversation import focus
from bot.conversation.core import Core
from bot.messages import Message
from bot.search.asks import WHERE
from bot.search.retrieval import Candidate
from tests.bot.conversation.test_focus import _note, va_folder  # noqa: F401  (fixture)


def test_the_notes_own_question_is_led_by_the_opening_answer(va_folder: Path) -> None:  # noqa: F811
    note = _note(va_folder)
    passages = (("point:1", 0.55), ("answer", 0.5))
    own_question = Candidate("va", 1, 1, 1, 0, passages, peak=0.55 + focus.QUESTION_LEAD_MARGIN + 0.05)
    assert focus.lead_passage(own_question, note) == "answer"
    specific = Candidate("va", 1, 1, 1, 0, passages, peak=0.55 + focus.QUESTION_LEAD_MARGIN / 2)
    assert focus.lead_passage(specific, note) == "point:1", "a passage matching nearly as well as the question leads"


def test_every_notes_first_question_gets_the_opening_answer_mostly(real_core: Core) -> None:
    # Before the rule the opening led for 34 of 49 notes' first questions; with it, 46.
    # A first question asking where to find someone gets the passage saying where, when the opening
    # does not say it (`focus._where_lead`: "how do i find a good lawyer" -> "Find one through referrals").
    led = answered = 0
    for note in real_core.kb.notes.values():
        reply = real_core.answer(Message(note.questions[0], f"own-{note.id}", f"own-{note.id}"))
        if not (reply.answered and reply.sources[0].id == note.id):
            continue
        if WHERE.question.search(note.questions[0]) and not WHERE.answer.search(note.answer):
            assert WHERE.answer.search(reply.answer) or not any(
                WHERE.answer.search(p) for p in (*note.key_points, *(t for _, t in note.sections))
            ), (note.id, reply.answer[:80])
            continue
        answered += 1
        led += reply.answer.startswith(note.answer[:40])
    assert answered >= 45 and led >= answered - 5, (led, answered)


def test_a_specific_question_never_opens_with_the_notes_yes(real_core: Core) -> None:
    note = real_core.kb.notes["outsourcing-customer-support"]
    assert note.answer.startswith("Yes.")  # the opening is written for "should I outsource support?"
    reply = real_core.answer(Message("what help desk should our outsourced support agent use", "yes", "yes"))
    assert reply.answered and reply.sources[0].id == note.id
    assert not reply.answer.startswith("Yes"), reply.answer[:80]
    general = real_core.answer(Message(note.questions[0], "yes-2", "yes-2"))
    assert general.answer.startswith("Yes."), "the general question keeps its direct answer"


def test_a_part_of_the_question_no_note_covers_is_named_above_the_answer(real_core: Core) -> None:
    # The VA note answers (the question asks about hiring a VA), but says nothing on legal structures.
    reply = real_core.answer(Message("should I set up an LLC before I hire a VA?", "llc", "llc"))
    assert reply.answered and reply.sources[0].id == "virtual-assistants"
    assert reply.body.startswith("I don't have a note on LLC, so I can't answer that part."), reply.body[:120]
    assert "accountant or a business lawyer" in reply.body, "with the not-covered list's pointer"
    plain = real_core.answer(Message("should I hire a VA?", "llc-2", "llc-2"))
    assert plain.answered and "I don't have a note" not in plain.body
    # A listed subject's words the answering note speaks of elsewhere: nothing to own up to.
    bank = real_core.answer(Message("should my bookkeeper get access to my bank account?", "llc-3", "llc-3"))
    assert bank.answered and bank.sources[0].id == "outsourcing-accounting"
    assert "I don't have a note" not in bank.body, bank.body[:120]
    # A listed subject in the asker's introduction is who asks, not a part of the question.
    intro = real_core.answer(Message("I have a franchise, what should I outsource first?", "llc-4", "llc-4"))
    assert intro.answered and intro.sources[0].id == "what-to-outsource"
    assert "I don't have a note" not in intro.body, intro.body[:120]


def test_a_section_of_warnings_leads_only_a_question_that_asks_for_warnings(va_folder: Path) -> None:  # noqa: F811
    note = _note(va_folder)
    warnings_first = Candidate("va", 1, 1, 1, 0, (("section:1", 0.55), ("point:2", 0.5), ("answer", 0.45)))
    assert note.sections[1][0] == "Red flags"
    assert focus.lead_passage(warnings_first, note, "should I get a VA to help?") == "point:2"
    assert focus.lead_passage(warnings_first, note, "any red flags when hiring a VA?") == "section:1"
    assert focus.lead_passage(warnings_first, note, "what should I watch out for") == "section:1"


def test_a_passage_naming_the_questions_rare_term_leads(real_core: Core) -> None:
    # The note's own question "do i need an NDA with a freelancer" sent these to the opening,
    # which never names an NDA or work made for hire; the points that do lead now.
    note = real_core.kb.notes["contracts-and-ip"]
    assert "NDA" not in note.answer and "hire" not in note.answer
    nda = real_core.answer(Message("what is an NDA for when I hire a freelancer", "rare", "rare"))
    assert nda.answered and nda.sources[0].id == note.id
    assert "NDA" in " ".join(nda.answer.split()[:60]), nda.answer[:200]
    hire = real_core.answer(Message("what is a work for hire clause", "rare-2", "rare-2"))
    assert hire.answered and "work made for hire" in " ".join(hire.answer.split()[:80]), hire.answer[:200]


def test_a_rare_term_does_not_lift_a_clearly_worse_passage(real_core: Core) -> None:
    note = real_core.kb.notes["virtual-assistants"]
    # "booking" is in one point only, but that point matched far worse than the opening.
    far = Candidate(note.id, 1, 1, 1, 0, (("answer", 0.6), ("point:0", 0.6 - focus.RARE_MARGIN - 0.05)))
    assert focus.lead_passage(far, note, "how do I train my VA on our booking system") == "answer"
    near = Candidate(note.id, 1, 1, 1, 0, (("answer", 0.6), ("point:0", 0.6 - focus.RARE_MARGIN / 2)))
    assert focus.lead_passage(near, note, "how do I train my VA on our booking system") == "point:0"
    # A word of the note's title is its subject, not a rare term.
    assert focus.lead_passage(near, note, "virtual assistant for booking?") == "point:0"
    assert focus.lead_passage(near, note, "how do I find a virtual assistant") == "answer"


def test_asking_where_to_find_one_is_led_by_the_passage_saying_where(real_core: Core) -> None:
    # The VA note's opening says what a VA is; its "Where to look" point answers the question.
    reply = real_core.answer(Message("how do I find a good virtual assistant?", "where", "where"))
    assert reply.answered and reply.sources[0].id == "virtual-assistants"
    assert reply.answer.startswith("Where to look:"), reply.answer[:80]
    what = real_core.answer(Message("what does a virtual assistant do", "where-2", "where-2"))
    assert not what.answer.startswith("Where to look:"), "a question not asking where keeps its lead"


def test_a_price_question_sees_the_passage_with_the_prices(real_core: Core) -> None:
    # The VA note's section on paying a fair rate matches "cost" questions best but names one rate in
    # passing; the point with the rates by region is what the person asked for.
    rates = "$5-15 in the Philippines"
    note = real_core.kb.notes["virtual-assistants"]
    assert any(rates in point for point in note.key_points)
    for question in ("how much does a VA cost per hour", "what do VAs charge"):
        reply = real_core.answer(Message(question, f"price-{question}", f"price-{question}"))
        assert reply.answered and reply.sources[0].id == note.id
        assert rates in " ".join(reply.text.split()[:100]), (question, reply.text[:160])
    # A question that does not ask a price is not pushed to the rates.
    reply = real_core.answer(Message("what jobs can a VA do for me", "price-none", "price-none"))
    assert reply.answered and rates not in reply.text


def test_a_price_question_is_led_by_price_ranges_rather_than_fees(real_core: Core) -> None:
    reply = real_core.answer(Message("how much is a bookkeeper per month", "price-books", "price-books"))
    assert reply.answered and reply.sources[0].id == "pricing-and-costs"
    assert reply.answer.startswith("Rough 2026 ranges"), reply.answer[:80]
