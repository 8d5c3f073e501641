"""The fake Bot API (tests/adapters/fake_telegram.py) rejects what Telegram rejects."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from tests.adapters.fake_telegram import TOKEN, FakeTelegram
from tests.adapters.telegram.harness import USER, bounded


@bounded(20)
async def test_fake_rejects_what_telegram_rejects(fake: FakeTelegram) -> None:
    fake.private_chat(USER)
    async with Bot(TOKEN, base_url=fake.base_url) as bot:
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(USER, "1 < 2 <b>bold", parse_mode="HTML")
        with pytest.raises(BadRequest, match="too long"):
            await bot.send_message(USER, "x" * 4097)
        with pytest.raises(BadRequest, match="too long"):
            await bot.send_message(USER, "😀" * 2049)  # 4,098 UTF-16 code units
        with pytest.raises(BadRequest, match="text is empty"):
            await bot.send_message(USER, "<b> </b>", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
            await bot.send_message(
                USER, "hi", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="x" * 65)]])
            )
        ok = await bot.send_message(USER, "1 &lt; 2 &amp; <b>bold</b> & 3 > 2", parse_mode="HTML")
        assert ok.text == "1 < 2 & bold & 3 > 2"
    assert [c.status for c in fake.calls_to("sendMessage")] == [400, 400, 400, 400, 400, 200]
