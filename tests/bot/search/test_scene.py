"""The asker's own business, told in a question: who asks, not what is asked (bot.search.scene)."""

from __future__ import annotations

import pytest

from bot.search.scene import asked_words, scene_words


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
        ("how do I get a bank loan", set()),
        ("how do I redo my website", set()),  # "my website" is what is asked, not who asks
    ],
)
def test_scene_words_are_the_askers_own_business(question: str, scene: set[str]) -> None:
    assert scene_words(question) == scene


def test_asked_words_leave_out_the_scene() -> None:
    assert asked_words("I own a little flower shop, who should build my website?") == ["build", "website"]
