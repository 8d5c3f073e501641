"""The asker's own business, told in a question: who asks, not what is asked (bot.search.scene)."""

from __future__ import annotations

import pytest

from bot.conversation.core import Core
from bot.messages import Message
from bot.search.scene import asked_words, nameable, request_head, scene_words


@pytest.mark.parametrize(
    "question, scene",
    [
        ("I own a little flower shop, who should build my website?", {"little", "flower", "shop"}),
        ("I'm a plumber and need someone to post on instagram", {"plumber"}),
        ("we are a family-owned hardware store, how do we ship orders", {"family-owned", "hardware", "store"}),
        ("my tattoo parlour's computers keep crashing", {"tattoo", "parlour"}),
        ("thinking of hiring someone for SEO for my salon", {"salon"}),
        ("We sell candles. Our little brewery wants to ship orders", {"little", "brewery"}),
        ("should I incorporate my freelance web design business", {"freelance", "web", "design", "business"}),
        ("I have a question about loans", {"question"}),  # the scene stops where the question goes on
        ("I designed a dog lead and want a factory to make them", {"dog", "lead"}),  # what the asker makes
        ("we make a granola bar, who could pack it for us", {"granola", "bar"}),
        ("i run a small bakery, 2 vans, and i'm behind on admin", {"small", "bakery", "vans"}),  # its size, counted
        ("how do I ship 300 jars", set()),  # what is counted in a request is what is asked
        ("how do I get a bank loan", set()),
        ("how do I redo my website", set()),  # "my website" is what is asked, not who asks
    ],
)
def test_scene_words_are_the_askers_own_business(question: str, scene: set[str]) -> None:
    assert scene_words(question) == scene


def test_asked_words_leave_out_the_scene() -> None:
    assert asked_words("I own a little flower shop, who should build my website?") == ["build", "website"]


@pytest.mark.parametrize(
    "question, head",
    [
        # A long story: the request from its opener on, less places and amounts.
        (
            "I'm a plumber in Manchester with 3 vans, is it worth paying a virtual assistant to answer my phone calls?",
            "worth paying a virtual assistant to answer my phone calls?",
        ),
        (
            "Our print shop in Denver got a quote of $12,000 for a new website from an agency, is that a fair price?",
            "a fair price?",
        ),
        (
            "We sell knitted hats in Leeds, about 300lbs a month. How do I find a copywriter for 40 product pages?",
            "do I find a copywriter for product pages?",
        ),
        # A topic named before the request is part of it, and so is a story the request points back to.
        (
            "Franchise or independent, which is better for a first-time owner with some savings?",
            "Franchise or independent, which is better for a first-time owner with some savings?",
        ),
        (
            "I have 12 staff and want to set up a 401k for them all, is that something I can outsource?",
            "I have staff and want to set up a 401k for them all, is that something I can outsource?",
        ),
        # A request that names nothing asks about its story.
        (
            "My bank turned down my loan application last week after I waited a month, what can I do now?",
            "My bank turned down my loan application last week after I waited a month, what can I do now?",
        ),
        # A short message is its own head.
        ("how do I get a bank loan", "how do I get a bank loan"),
        ("website for my shop in Leeds", "website for my shop"),
        # Thousands and millions written short are amounts too ("k" was named as a missing subject).
        ("my developer wants 50% upfront for a $8k app, normal?", "my developer wants % upfront for a app, normal?"),
        ("we paid 2k for a logo, is that too much", "we paid for a logo, is that too much"),
        ("is a 401k plan something a PEO handles", "is a 401k plan something a PEO handles"),
    ],
)
def test_request_head_is_what_is_asked_not_the_story(question: str, head: str) -> None:
    assert request_head(question) == head


@pytest.mark.parametrize(
    "words, question, named",
    [
        (["refuses", "invoice"], "how do i deal with a customer who refuses to pay an invoice", ["invoice"]),
        (["flour", "negotiate"], "how to negotiate with my flour supplier for a better price", ["flour"]),
        (["rented", "flat"], "can i run my business from a rented flat", ["flat"]),
        (["drowning"], "hi, i'm drowning in admin", []),
        (["SBA", "loans"], "can i get SBA loans", ["SBA", "loans"]),
        (["CRM"], "which CRM should i use", ["CRM"]),
        (["manufacturing"], "we keep manufacturing in house, can I outsource manufacturing", ["manufacturing"]),
    ],
)
def test_a_decline_names_only_words_used_as_subjects(words: list[str], question: str, named: list[str]) -> None:
    assert nameable(words, question) == named


def test_a_decline_does_not_name_a_verb(real_core: Core) -> None:
    reply = real_core.answer(
        Message("how do i deal with a customer who refuses to pay an invoice after 90 days", "n", "n")
    )
    assert not reply.answered
    assert "note on refuses" not in reply.text, reply.text[:100]
    named = real_core.answer(Message("which POS system is best for a coffee shop", "n2", "n2"))
    assert not named.answered and "I don't have a note on" in named.text, "a noun is still named"


def test_the_counted_size_of_the_askers_business_is_its_introduction() -> None:
    # Not-covered subjects ("vans": leasing vehicles) named only in the introduction are who asks.
    assert "vans" in scene_words("I run a small bakery, 2 vans, and I'm behind on admin", introduction_only=True)
    assert not scene_words("I designed a dog lead and want a factory", introduction_only=True)
