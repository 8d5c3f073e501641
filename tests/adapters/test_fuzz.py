"""Fuzz: arbitrary user text through the core and both platforms' renderers.

No exception anywhere; every Telegram message parses as HTML and fits 4,096 UTF-16 units with
callback data within 64 bytes; every Discord message passes the fake server's limit checks.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.discord.render import render_reply as render_discord
from adapters.discord.views import build_view
from adapters.telegram.render import MAX_MESSAGE_LENGTH, telegram_length
from adapters.telegram.render import render_reply as render_telegram
from bot.conversation.core import Core
from bot.messages import Message
from tests.adapters.fake_discord import message_errors
from tests.adapters.fake_telegram import parse_html

MARKUP = st.sampled_from(
    [
        "<b>",
        "</i>",
        "&amp;",
        "&",
        "<",
        ">",
        "*",
        "_",
        "`",
        "~~",
        "||",
        "@everyone",
        "<@123>",
        "\u202e",
        "\u200b",
        "\x00",
        "\n\n",
        "😀",
        "👍🏽",
        "ﷺ",
    ]
)
USER_TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(MARKUP, st.text(max_size=20)), max_size=40).map("".join),
    st.text(min_size=1000, max_size=5000),
)


def _check_telegram(reply: Any) -> None:
    rendered = render_telegram(reply)
    assert rendered.chunks
    for chunk in rendered.chunks:
        assert 0 < telegram_length(chunk.html) <= MAX_MESSAGE_LENGTH
        assert parse_html(chunk.html).strip(), "the HTML parses and shows some text"
    if rendered.keyboard is not None:
        for row in rendered.keyboard.inline_keyboard:
            for button in row:
                assert button.callback_data is None or len(str(button.callback_data).encode()) <= 64


def _check_discord(reply: Any) -> None:
    parts = render_discord(reply)
    view = build_view(reply)
    assert parts
    for number, part in enumerate(parts, 1):
        payload: dict[str, Any] = {"content": part.content, "embeds": [part.embed.to_dict()] if part.embed else []}
        if view is not None and number == len(parts):
            payload["components"] = view.to_components()
        assert message_errors(payload) == {}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=USER_TEXT)
def test_any_text_gets_a_reply_both_platforms_can_send(core: Core, text: str) -> None:
    core.pacing.limiter.limit = 0
    reply = core.answer(Message(text, "fuzz", "fuzz", "telegram"))
    assert reply.kind in ("answer", "fallback", "help", "thanks", "acknowledgement")
    assert reply.text.strip()
    _check_telegram(reply)
    _check_discord(reply)
