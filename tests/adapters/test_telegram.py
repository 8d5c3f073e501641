"""End-to-end tests of the Telegram adapter.

The real python-telegram-bot `Application`, through its real HTTP stack (httpx), talks to a fake
Bot API server on 127.0.0.1 (`tests/adapters/fake_telegram.py`) that answers and rejects like
Telegram. Nothing reaches the internet. Every test is bounded by an asyncio timeout.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from adapters.redaction import REDACTED, install_redaction, remove_redaction
from adapters.telegram import working
from adapters.telegram.app import build_application, running
from adapters.telegram.callbacks import feedback_data, parse_press, resolve_topic, topic_data
from adapters.telegram.config import TelegramConfig, load_telegram_config
from adapters.telegram.handlers import TelegramApp
from adapters.telegram.render import MAX_MESSAGE_LENGTH, render_reply, telegram_length
from adapters.telegram.retry import RetryingRateLimiter
from bot.config import ConfigError
from bot.conversation.answers import expired_reply, refusal_reply
from bot.conversation.core import Core
from bot.messages import Message, Reply, ReplyKind, Suggestion
from bot.replies.blocks import Block, BlockKind
from tests.adapters.fake_telegram import (
    ANONYMOUS_ADMIN,
    BOT_USERNAME,
    TOKEN,
    FakeTelegram,
    bad_gateway,
    bot_blocked,
    cant_parse,
    parse_html,
    too_many_requests,
)
from tests.conftest import make_core, write_note

ADMIN = 4242
USER = 1001
NOTICE = "You're sending messages faster"
GROUP = -1001234567890
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def bounded(seconds: float) -> Callable[[F], F]:
    """Fail an async test that runs longer than `seconds` instead of hanging the suite."""

    def decorate(test: F) -> F:
        @functools.wraps(test)
        async def run(*args: Any, **kwargs: Any) -> Any:
            async with asyncio.timeout(seconds):
                return await test(*args, **kwargs)

        return run  # type: ignore[return-value]

    return decorate


# ----- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """A fresh fake Bot API server; the admin has a private chat with the bot."""
    server = await FakeTelegram().start()
    server.private_chat(ADMIN)
    yield server
    await server.close()


def config_for(fake: FakeTelegram, **overrides: Any) -> TelegramConfig:
    """Settings pointing the bot at the fake server."""
    values: dict[str, Any] = dict(token=TOKEN, api_url=fake.base_url, admin_ids=frozenset({ADMIN}))
    values.update(overrides)
    return TelegramConfig(**values)


class Sleeps:
    """The retry policy's sleep, for tests: records every wait and returns without waiting for the clock.

    Closed (`Sleeps(open=False)`), every wait lasts until the test calls `open()`: a pause
    that never ends on its own, whatever the machine's speed.
    """

    def __init__(self, open: bool = True) -> None:
        self.durations: list[float] = []
        self._gate = asyncio.Event()
        if open:
            self._gate.set()

    async def __call__(self, seconds: float) -> None:
        self.durations.append(seconds)
        await self._gate.wait()

    def open(self) -> None:
        """End the waits in progress; later ones return at once."""
        self._gate.set()

    async def until(self, count: int) -> None:
        """Wait until at least `count` waits have started."""
        while len(self.durations) < count:
            await asyncio.sleep(0.005)


def fast_limiter(sleeps: Sleeps | None = None) -> RetryingRateLimiter:
    """The production retry policy, with a recording sleep that does not wait, so tests stay quick."""
    return RetryingRateLimiter(max_retries=3, backoff=0.05, sleep=sleeps or Sleeps())


@pytest.fixture
def redaction() -> Iterator[None]:
    """Take the token filter back off the log handlers after the test."""
    yield
    remove_redaction(install_redaction([TOKEN]))


@asynccontextmanager
async def bot_running(
    core: Core, fake: FakeTelegram, sleeps: Sleeps | None = None, **overrides: Any
) -> AsyncIterator[TelegramApp]:
    """Run the bot over `core` against the fake for the duration of a `with` block (its waits go to `sleeps`)."""
    config = config_for(fake, **overrides)
    app = build_application(core, config, fast_limiter(sleeps))
    try:
        async with running(app, config):
            yield app
    finally:
        remove_redaction(install_redaction(config.secrets()))


@pytest.fixture
async def bot(core: Core, fake: FakeTelegram) -> AsyncIterator[TelegramApp]:
    """The bot over the tiny-knowledge core, long polling the fake."""
    async with bot_running(core, fake) as app:
        yield app


async def answers(fake: FakeTelegram, chat_id: int, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Wait until the bot has sent at least `count` messages to a chat and return them all."""
    return await fake.wait_for(lambda: (sent := fake.sent_to(chat_id)) and len(sent) >= count and sent, timeout)  # type: ignore[no-any-return]


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Every inline button under a message."""
    return [b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


def button(message: dict[str, Any], text: str) -> str:
    """The callback data of the button labelled `text`."""
    return str(next(b["callback_data"] for b in buttons(message) if b["text"] == text))


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ----- start-up and configuration ---------------------------------------------------------------


@bounded(20)
async def test_start_registers_commands_and_greets(bot: TelegramApp, fake: FakeTelegram) -> None:
    menus = {
        str((c.params.get("scope") or {}).get("type", "default")): c.params["commands"]
        for c in fake.calls_to("setMyCommands")
        if c.status == 200
    }
    assert [c["command"] for c in menus["default"]] == ["start", "help", "topics", "ask", "forget"]
    assert {"reload", "stats"} <= {c["command"] for c in menus["chat"]}

    fake.push_private(USER, "/start")
    greeting = (await answers(fake, USER))[0]
    assert greeting["parse_mode"] == "HTML"
    assert "I'm outsourcebot" in greeting["text"]
    assert "/topics" in greeting["text"] and "/forget" in greeting["text"]
    assert all(b["callback_data"].startswith("t:") for b in buttons(greeting)) and buttons(greeting)


@bounded(20)
async def test_rejected_token_stops_start_up_with_botfather_hint(
    core: Core, fake: FakeTelegram, redaction: None
) -> None:
    wrong = "123456789:not-the-right-token-at-all"
    config = config_for(fake, token=wrong)
    app = build_application(core, config, fast_limiter())
    with pytest.raises(ConfigError, match="@BotFather") as caught:
        async with running(app, config):
            pass
    assert wrong not in str(caught.value)
    assert [c.status for c in fake.calls_to("getMe")] == [401]


def test_config_requires_token_and_parses_the_rest() -> None:
    with pytest.raises(ConfigError, match="@BotFather"):
        load_telegram_config({})
    with pytest.raises(ConfigError, match="does not look like a bot token"):
        load_telegram_config({"TELEGRAM_BOT_TOKEN": "not a token"})
    with pytest.raises(ConfigError, match="TELEGRAM_ADMIN_IDS"):
        load_telegram_config({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_ADMIN_IDS": "12, alice"})
    with pytest.raises(ConfigError, match="https://"):
        load_telegram_config({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_URL": "http://example.com/hook"})
    for url in ("https://bot.example.com:8080/hook", "https://bot.example.com:99999/hook", "https:///hook"):
        with pytest.raises(ConfigError, match=r"TELEGRAM_WEBHOOK_URL=.*(443, 80, 88 or 8443|host)"):
            load_telegram_config({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_URL": url})
    for url in ("https://bot.example.com/hook", "https://bot.example.com:8443/hook", "https://bot.example.com:88/h"):
        assert load_telegram_config({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_URL": url}).webhook_url == url

    config = load_telegram_config(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": "http://localhost:8081/",
            "TELEGRAM_ADMIN_IDS": "12, 34",
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.com/telegram/hook",
            "TELEGRAM_WEBHOOK_PORT": "8080",
        }
    )
    assert config.api_url == "http://localhost:8081/bot"
    assert config.file_url == "http://localhost:8081/file/bot"
    assert config.admin_ids == frozenset({12, 34}) and config.is_admin(12) and not config.is_admin(99)
    assert config.mode == "webhook" and config.webhook_path == "telegram/hook" and config.webhook_port == 8080
    assert config.webhook_secret, "a webhook without a configured secret gets a random one"
    assert load_telegram_config({"TELEGRAM_BOT_TOKEN": TOKEN}).api_url == "https://api.telegram.org/bot"


@bounded(20)
async def test_token_never_appears_in_logs(core: Core, fake: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    config = config_for(fake)
    app = build_application(core, config, fast_limiter())
    assert logging.getLogger("httpx").level == logging.WARNING
    # Even when someone turns the HTTP client's request logging back on, the URL's token is hidden.
    caplog.set_level(logging.DEBUG, logger="httpx")
    fake.fail("sendMessage", bad_gateway())
    async with running(app, config):
        fake.push_private(USER, "/start")
        await answers(fake, USER)
    remove_redaction(install_redaction(config.secrets()))
    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert f"/bot{REDACTED}/" in logged, "the HTTP client's URLs were logged, redacted"
    assert TOKEN not in logged and TOKEN.split(":")[1] not in logged


# ----- answering ------------------------------------------------------------------------------------


@bounded(20)
async def test_a_quick_answer_comes_without_typing(bot: TelegramApp, fake: FakeTelegram) -> None:
    fake.push_private(USER, "how much does a freelancer cost?")
    assert (await answers(fake, USER))[0]["text"].startswith("Pricing and costs")
    assert fake.calls_to("sendChatAction") == [], "answered within TYPING_DELAY: no typing call"


@bounded(20)
async def test_private_question_is_answered_with_typing_and_buttons(
    bot: TelegramApp, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(working, "TYPING_DELAY", 0.0)  # as if the answer took longer than the delay
    fake.push_private(USER, "how much does a freelancer cost?")
    answer = (await answers(fake, USER))[0]
    assert answer["text"].startswith("Pricing and costs\n\nFreelancers charge hourly")
    assert "<b>Pricing and costs</b>" in answer["raw"] and "<b>Key points:</b>" in answer["raw"]
    assert [b["text"] for b in buttons(answer)] == ["Contracts", "👍", "👎"]
    assert button(answer, "Contracts") == "t:contracts"
    assert button(answer, "👍").startswith("fb:+:")

    methods = [(c.method, c.params.get("chat_id")) for c in fake.calls if c.method in ("sendChatAction", "sendMessage")]
    assert methods.index(("sendChatAction", USER)) < methods.index(("sendMessage", USER))
    assert fake.calls_to("sendChatAction")[0].params["action"] == "typing"


@bounded(25)
async def test_group_answers_mentions_replies_and_ask_and_ignores_chatter(
    bot: TelegramApp, fake: FakeTelegram, core: Core
) -> None:
    fake.push_group(USER, "morning all, anyone tried the new coffee place?")
    mention = fake.push_group(USER, f"@{BOT_USERNAME} what is the chasm")["message"]
    first = (await answers(fake, GROUP))[0]
    assert first["text"].startswith("Crossing the chasm")
    assert first["reply_to_message"]["message_id"] == mention["message_id"], "answers in groups reply to the question"

    reply = fake.push_group(USER, "do I need an NDA", reply_to=fake.messages[(GROUP, first["message_id"])])["message"]
    other_reply = fake.push_group(USER + 1, "do I need an NDA", reply_to=mention)["message"]  # replies to a person
    ask = fake.push_group(USER + 2, f"/ask@{BOT_USERNAME} how much does a freelancer cost")["message"]
    fake.push_group(USER + 2, "/ask@some_other_bot how much does a freelancer cost")
    plain_ask = fake.push_group(USER + 3, "/ask what is the chasm")["message"]
    fake.push_group(USER + 3, f"talking about @{BOT_USERNAME}s_cousin here, not the bot")

    sent = await answers(fake, GROUP, 4)
    await bot.stop()  # lets every handler finish, so an answer to ignored chatter would be here by now
    sent = fake.sent_to(GROUP)
    assert [m["reply_to_message"]["message_id"] for m in sent] == [
        mention["message_id"],
        reply["message_id"],
        ask["message_id"],
        plain_ask["message_id"],
    ]
    assert other_reply["message_id"] not in [m["reply_to_message"]["message_id"] for m in sent]
    assert [m["text"].split("\n")[0] for m in sent] == [
        "Crossing the chasm",
        "Contracts",
        "Pricing and costs",
        "Crossing the chasm",
    ]
    assert core.store.count("questions") == 4


@bounded(20)
async def test_empty_question_gets_the_help_with_the_commands(bot: TelegramApp, fake: FakeTelegram, core: Core) -> None:
    fake.push_private(USER, "/ask")
    fake.push_group(USER, f"@{BOT_USERNAME}")
    fake.push_group(USER, f"/ask@{BOT_USERNAME}   ")
    private = (await answers(fake, USER))[0]
    group = await answers(fake, GROUP, 2)
    for sent in [private, *group]:
        assert sent["text"].startswith("Hi! I'm outsourcebot")
        assert "/topics lists what I know" in sent["text"] and "/forget" in sent["text"], (
            "the help lists Telegram's commands"
        )
    assert core.store.count("questions") == 0


@bounded(20)
async def test_feedback_buttons_record_the_rating_and_acknowledge(
    bot: TelegramApp, fake: FakeTelegram, core: Core
) -> None:
    fake.push_private(USER, "what goes in a freelance contract")
    answer = (await answers(fake, USER))[0]
    fake.press(answer, button(answer, "👍"), USER)
    await fake.wait_for(lambda: fake.calls_to("editMessageReplyMarkup"))

    ack = fake.calls_to("answerCallbackQuery")[0]
    assert ack.status == 200 and "Thanks for the 👍" in ack.params["text"]
    rows = list(core.store.db.query("select rating, note_id from feedback"))
    assert rows == [{"rating": 1, "note_id": "contracts"}]
    edited = fake.messages[(USER, answer["message_id"])]
    assert [b["text"] for b in buttons(edited)] == ["Pricing and costs"], "the rating buttons go, the topics stay"


@bounded(20)
async def test_group_rating_buttons_stay_so_every_member_can_rate(
    bot: TelegramApp, fake: FakeTelegram, core: Core
) -> None:
    fake.push_group(USER, f"@{BOT_USERNAME} what goes in a freelance contract")
    answer = (await answers(fake, GROUP))[0]
    fake.press(answer, button(answer, "👍"), USER)
    fake.press(answer, button(answer, "👎"), USER + 1)
    fake.press(answer, button(answer, "👍"), USER + 2)
    await fake.wait_for(lambda: len(fake.calls_to("answerCallbackQuery")) >= 3)
    await bot.stop()  # lets every handler finish, so a removal of the buttons would be here by now

    assert not fake.calls_to("editMessageReplyMarkup"), "in a group the rating buttons stay"
    assert [b["text"] for b in buttons(fake.messages[(GROUP, answer["message_id"])])] == [
        "Pricing and costs",
        "👍",
        "👎",
    ]
    assert all(c.status == 200 and c.params["text"] for c in fake.calls_to("answerCallbackQuery")), (
        "each press is acknowledged"
    )
    assert sorted(r["rating"] for r in core.store.db.query("select rating from feedback")) == [-1, 1, 1]


@bounded(20)
async def test_feedback_on_a_no_confident_answer_reply(bot: TelegramApp, fake: FakeTelegram, core: Core) -> None:
    fake.push_private(USER, "zqx fnord 🤷")  # nothing close: the core declines
    fallback = (await answers(fake, USER))[0]
    assert "I don't have a confident answer" in fallback["text"]
    fake.press(fallback, button(fallback, "👎"), USER)
    await fake.wait_for(lambda: fake.calls_to("answerCallbackQuery"))
    assert list(core.store.db.query("select rating from feedback")) == [{"rating": -1}]
    thanks = fake.calls_to("answerCallbackQuery")[0].params["text"]
    assert "logged for the maintainers" in thanks and "glad it helped" not in thanks, "a decline is not 'helped'"


@bounded(20)
async def test_topics_list_and_topic_button(bot: TelegramApp, fake: FakeTelegram, core: Core) -> None:
    fake.push_private(USER, "/topics")
    topics = (await answers(fake, USER))[0]
    assert [b["text"] for b in buttons(topics)] == ["Contracts", "Crossing the chasm", "Pricing and costs"]
    fake.press(topics, button(topics, "Crossing the chasm"), USER)
    answer = (await answers(fake, USER, 2))[1]
    assert answer["text"].startswith("Crossing the chasm\n\nThe chasm is the gap")
    assert "👍" in [b["text"] for b in buttons(answer)]
    assert [r["question"] for r in core.store.db.query("select question from questions")] == [
        "[topic] Crossing the chasm"
    ]


@bounded(20)
async def test_expired_button_is_answered_politely(bot: TelegramApp, fake: FakeTelegram, core: Core) -> None:
    fake.push_private(USER, "/topics")
    topics = (await answers(fake, USER))[0]
    fake.press(topics, "t:a-note-that-was-deleted", USER)
    call = await fake.wait_for(lambda: fake.calls_to("answerCallbackQuery"))
    assert call[0].params["text"] == expired_reply().text, "the words come from the core's template"


@bounded(20)
async def test_forget_deletes_the_users_records(bot: TelegramApp, fake: FakeTelegram, core: Core) -> None:
    fake.push_private(USER, "what is the chasm")
    await answers(fake, USER)
    fake.push_private(USER + 1, "what is the chasm")
    await answers(fake, USER + 1)
    fake.push_private(USER, "/forget")
    confirmation = (await answers(fake, USER, 2))[1]
    assert confirmation["text"].startswith("Done: I deleted everything stored about you")
    assert core.store.count("questions") == 1, "only the other user's question is left"


@bounded(30)
async def test_reload_for_admins_only(bot: TelegramApp, fake: FakeTelegram, core: Core) -> None:
    folder = core.settings.knowledge_dir
    write_note(
        folder,
        "vat",
        "VAT on freelancer invoices",
        ["do freelancers charge vat", "vat reverse charge", "vat on invoices"],
        "Foreign freelancers usually invoice without VAT; you may owe it under the reverse charge.",
    )

    fake.push_private(USER, "/reload")
    refusal = (await answers(fake, USER))[0]
    assert refusal["text"] == refusal_reply("reload").text, "the refusal's words come from the core's template"
    assert "vat" not in core.kb.notes

    fake.push_private(ADMIN, "/reload")
    reloaded = (await answers(fake, ADMIN))[0]
    assert reloaded["text"].startswith("Knowledge reloaded")
    assert "vat" in core.kb.notes

    (folder / "broken.md").write_text("---\nid: broken\n---\nno title here\n", encoding="utf-8")
    fake.push_private(ADMIN, "/reload")
    refused = (await answers(fake, ADMIN, 2))[1]
    assert refused["text"].startswith("Reload refused") and "broken.md" in refused["text"]
    assert "vat" in core.kb.notes and "broken" not in core.kb.notes, "the previous index stays in service"

    fake.push_private(ADMIN, "do freelancers charge vat")
    assert (await answers(fake, ADMIN, 3))[2]["text"].startswith("VAT on freelancer invoices")


@bounded(20)
async def test_stats_for_admins_only(bot: TelegramApp, fake: FakeTelegram, core: Core) -> None:
    fake.push_private(USER, "/stats")
    assert (await answers(fake, USER))[0]["text"] == refusal_reply("stats").text
    fake.push_private(ADMIN, "/stats")
    assert (await answers(fake, ADMIN))[0]["text"].startswith("Questions: 0")


@bounded(30)
async def test_admin_output_asked_in_a_group_goes_to_the_admins_private_chat(fake: FakeTelegram, core: Core) -> None:
    """/stats quotes users' questions and /reload lists file paths: neither is posted to a group."""
    unstarted_admin = ADMIN + 1  # an admin who never opened a private chat with the bot
    async with bot_running(core, fake, admin_ids=frozenset({ADMIN, unstarted_admin})):
        fake.push_private(USER, "jane@example.com zqx fnord 🤷")
        await answers(fake, USER)
        fake.push_group(ADMIN, "/stats")
        [stats] = await answers(fake, ADMIN)
        [pointer] = await answers(fake, GROUP)
        fake.push_group(ADMIN, "/reload")
        reloaded = (await answers(fake, ADMIN, 2))[1]
        fake.push_group(unstarted_admin, "/stats")
        group = await answers(fake, GROUP, 3)
    assert stats["text"].startswith("Questions: 1") and "jane@example.com" in stats["text"]
    assert reloaded["text"].startswith("Knowledge reloaded")
    assert "private chat" in pointer["text"]
    assert "Start" in group[2]["text"] and f"@{BOT_USERNAME}" in group[2]["text"]
    for message in group:
        assert "Questions:" not in message["text"] and "jane" not in message["text"].lower()
        assert "Knowledge reloaded" not in message["text"] and ".md" not in message["text"]


PLATFORM_LOGGERS = ("telegram", "httpx", "httpcore", "discord", "aiohttp", "websockets", "apscheduler")


@pytest.fixture
def logger_levels() -> Iterator[None]:
    """Put the platform libraries' log levels back after a test that configures logging."""
    levels = {name: logging.getLogger(name).level for name in (*PLATFORM_LOGGERS, "")}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@bounded(30)
async def test_debug_logs_hold_no_raw_ids_no_user_text_and_no_platform_debug(
    tiny_knowledge: Path,
    tmp_path: Path,
    fake: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    logger_levels: None,
) -> None:
    """At OUTSOURCEBOT_LOG_LEVEL=DEBUG: salted hashes instead of ids, and the platform libraries stay at INFO."""
    from adapters.cli import setup_logging

    user = 7349215  # an id that cannot turn up in a log line by chance
    monkeypatch.setenv("OUTSOURCEBOT_LOG_LEVEL", "DEBUG")
    monkeypatch.delenv("OUTSOURCEBOT_PLATFORM_DEBUG", raising=False)
    setup_logging()
    caplog.set_level(logging.DEBUG)
    core = make_core(tiny_knowledge, tmp_path / "log-data", rate_limit=3, rate_window=60)
    fake.fail("sendMessage", cant_parse())
    async with bot_running(core, fake):
        fake.push_private(user, "jane@example.com zqx fnord 🤷")
        await answers(fake, user)
        fake.push_private(user, "/stats")
        fake.push_private(user, "what is the chasm")
        fake.push_private(user, "what is the chasm")
        fake.push_private(user, "what is the chasm")
        await answers(fake, user, 4)
        await fake.wait_for(lambda: "dropping a message" in caplog.text)
    assert "rejected the HTML" in caplog.text and "refused /stats" in caplog.text
    assert str(user) not in caplog.text, "no raw user or chat id"
    assert core.store.hash_id("telegram", str(user))[:12] in caplog.text, "a salted hash names the user instead"
    assert "jane@example.com" not in caplog.text and f"User{user}" not in caplog.text, "no user text or names"
    debug = [r for r in caplog.records if r.name.split(".")[0] in PLATFORM_LOGGERS and r.levelno < logging.INFO]
    assert debug == [], "the platform libraries log at INFO or above"
    monkeypatch.setenv("OUTSOURCEBOT_PLATFORM_DEBUG", "1")  # the separate, documented-as-unsafe setting
    setup_logging()
    assert logging.getLogger("telegram").getEffectiveLevel() == logging.DEBUG
    assert "OUTSOURCEBOT_PLATFORM_DEBUG is on" in caplog.text


# ----- rendering ------------------------------------------------------------------------------------


@pytest.fixture
def long_core(tiny_knowledge: Path, tmp_path: Path) -> Core:
    """A core whose knowledge has a note with a 60-character id, over Telegram's length limit once rendered.

    The core admits notes up to 4,096 characters; Telegram counts UTF-16 code units, in which
    every emoji here counts twice, so the reply still has to be split.
    """
    note_id = "statement-of-work-for-an-offshore-development-team-in-detail"
    # A focused reply shows the opening answer and up to two points within about 110 words; emoji
    # runs are one word each but two UTF-16 units per emoji, so this reply is still over Telegram's
    # 4,096 units and has to be split.
    points = "\n".join(f"- Point {i}: " + " ".join(["📄📝📦🚀🔍✅📅🎯📌🧾" * 10] * 9) for i in range(3))
    answer = " ".join(f"Sentence {i} 📄📝📦🚀🔍✅📅🎯📌🧾." for i in range(25))
    (tiny_knowledge / "sow.md").write_text(
        f"---\nid: {note_id}\ntitle: Statements of work\nquestions:\n  - how do I write a statement of work\n"
        f"  - what goes in a statement of work\n  - statement of work template\nrelated: [contracts]\n"
        f'sources: ["Test source"]\nupdated: 2026-11-27\n---\n{answer}\n\n## Key points\n\n{points}\n',
        encoding="utf-8",
    )
    write_note(
        tiny_knowledge,
        "contracts",
        "Contracts",
        ["what goes in a freelance contract", "do I need an NDA", "who owns the IP"],
        "A freelance contract covers scope, payment, IP and confidentiality.",
        related=note_id,
    )
    return make_core(tiny_knowledge, tmp_path / "long-data")


@bounded(20)
async def test_long_reply_is_split_at_paragraphs(long_core: Core, fake: FakeTelegram) -> None:
    async with bot_running(long_core, fake):
        fake.push_private(USER, "how do I write a statement of work")
        await fake.wait_for(lambda: any(buttons(m) for m in fake.sent_to(USER)))
        parts = fake.sent_to(USER)
        assert len(parts) >= 2
        assert all(telegram_length(p["text"]) <= MAX_MESSAGE_LENGTH for p in parts)
        assert [bool(buttons(p)) for p in parts] == [False] * (len(parts) - 1) + [True]
        text = "\n\n".join(p["text"] for p in parts)
        assert text.startswith("Statements of work\n\nSentence 0 ")
        assert [text.index(f"Sentence {i} ") for i in range(25)] == sorted(
            text.index(f"Sentence {i} ") for i in range(25)
        )
        assert text.index("Sentence 24 ") < text.index("Point ")
        expected = long_core.answer(Message("how do I write a statement of work", "other", "other", "test"))
        assert text.split() == f"{expected.body}\n\n{expected.suggestion_label}:".split(), (
            "nothing lost, no word cut in two"
        )
        assert parts[0]["text"].startswith("Statements of work\n\nSentence 0 "), (
            "the title shares a message with the answer"
        )

        # The 60-character note id does not fit in callback data as it is; its button still works.
        fake.push_private(USER + 1, "do I need an NDA")
        contract = (await answers(fake, USER + 1))[0]
        data = button(contract, "Statements of work")
        assert len(data.encode()) <= 64
        fake.press(contract, data, USER + 1)
        assert (await answers(fake, USER + 1, 2))[1]["text"].startswith("Statements of work")


@bounded(20)
async def test_markup_characters_and_emoji_are_escaped(
    tiny_knowledge: Path, tmp_path: Path, fake: FakeTelegram
) -> None:
    write_note(
        tiny_knowledge,
        "tools",
        '"Tools <b>&</b> tips 🚀"',
        ["which tools for remote teams", "remote tools", "tools & tips"],
        "Use <Slack> & <Notion> for async work; 5 > 3 & 2 < 4 😀.",
        point="Try <script>alert('x')</script> &amp; more 🎉",
    )
    core = make_core(tiny_knowledge, tmp_path / "esc-data")
    question = "<b>which</b> tools for remote teams & <i>async</i>?? 🤔 &lt;"
    async with bot_running(core, fake):
        fake.push_private(USER, question)
        answer = (await answers(fake, USER))[0]
        assert answer["parse_mode"] == "HTML"
        # The fake decodes Telegram's HTML as Telegram would: what the person sees is the note's text as written.
        assert answer["text"].startswith("Tools <b>&</b> tips 🚀\n\n")
        assert "Try <script>alert('x')</script> &amp; more 🎉" in answer["text"]
        opening = "Use <Slack> & <Notion> for async work; 5 > 3 & 2 < 4 😀."
        if opening not in answer["text"]:  # a focused reply may leave the opening answer for "more"
            fake.push_private(USER, "more")
            answer = (await answers(fake, USER, 2))[1]
            assert answer["parse_mode"] == "HTML"
        assert opening in answer["text"]

        sent = len(fake.sent_to(USER))
        fake.push_private(USER, "qwv & ✨ plorf")  # nothing close: unanswered
        await answers(fake, USER, sent + 1)
        fake.push_private(ADMIN, "/stats")
        stats = (await answers(fake, ADMIN))[0]
        assert stats["parse_mode"] == "HTML" and "• qwv & ✨ plorf (1×)" in stats["text"]


@given(
    paragraphs=st.lists(
        st.text(alphabet=st.sampled_from("ab <>&\n💥é\"'"), min_size=1, max_size=300), min_size=1, max_size=8
    )
)
@settings(max_examples=150, deadline=None)
def test_rendered_chunks_always_parse_fit_and_keep_the_text(paragraphs: list[str]) -> None:
    body = "\n\n".join(paragraphs)
    blocks = [Block(BlockKind.HEADING, paragraphs[0].strip())] + [Block(BlockKind.PARAGRAPH, p) for p in paragraphs[1:]]
    reply = Reply(
        ReplyKind.ANSWER,
        [*blocks, Block(BlockKind.SUGGESTIONS, label="Related topics")],
        suggestions=[Suggestion("x", "X")],
    )
    rendered = render_reply(reply, limit=120)
    for chunk in rendered.chunks:
        assert telegram_length(chunk.html) <= 120
        assert parse_html(chunk.html) == chunk.plain, "the HTML shows exactly the plain text"
    shown = "".join("".join(c.plain.split()) for c in rendered.chunks)
    assert shown == "".join(body.split()) + "Relatedtopics:"


def test_callback_data_fits_in_64_bytes() -> None:
    assert feedback_data("0123456789abcdef", 1) == "fb:+:0123456789abcdef"
    assert parse_press("fb:-:0123456789abcdef") is not None and parse_press("fb:-:0123456789abcdef").rating == -1  # type: ignore[union-attr]
    long_id = "a-topic/with-a-very-long-identifier-that-is-more-than-sixty-one-bytes-é"
    data = topic_data(long_id)
    assert len(data.encode()) <= 64
    press = parse_press(data)
    assert press is not None and resolve_topic(press, ["other", long_id]) == long_id
    assert resolve_topic(parse_press("t:gone"), ["other"]) is None  # type: ignore[arg-type]
    assert parse_press("something else") is None and feedback_data("x" * 60, 1) is None


# ----- faults ---------------------------------------------------------------------------------------


@bounded(20)
async def test_429_waits_retry_after_then_succeeds(core: Core, fake: FakeTelegram) -> None:
    sleeps = Sleeps()
    fake.fail("sendMessage", too_many_requests(retry_after=7))
    async with bot_running(core, fake, sleeps):
        fake.push_private(USER, "what is the chasm")
        answer = (await answers(fake, USER))[0]
    assert answer["text"].startswith("Crossing the chasm")
    first, second = fake.calls_to("sendMessage")
    assert (first.status, second.status) == (429, 200)
    assert sleeps.durations == [pytest.approx(7, abs=0.5)], "the retry waited Telegram's retry_after"


@bounded(20)
async def test_network_errors_are_retried_with_backoff(core: Core, fake: FakeTelegram) -> None:
    sleeps = Sleeps()
    fake.fail("sendMessage", bad_gateway(), bad_gateway())
    async with bot_running(core, fake, sleeps):
        fake.push_private(USER, "what is the chasm")
        await answers(fake, USER)
    assert [c.status for c in fake.calls_to("sendMessage")] == [502, 502, 200]
    first, second = sleeps.durations
    assert 0.04 <= first <= 0.06 and 0.08 <= second <= 0.12, "backoff 0.05 s, doubled, with ±20 % jitter"


@bounded(20)
async def test_429_in_one_chat_pauses_only_that_chat(core: Core, fake: FakeTelegram) -> None:
    sleeps = Sleeps(open=False)  # the paused chat stays paused until the test says otherwise
    fake.fail("sendMessage", too_many_requests(retry_after=30), chat_id=USER)
    async with bot_running(core, fake, sleeps):
        fake.push_private(USER, "what is the chasm")
        await fake.wait_for(lambda: [c for c in fake.calls_to("sendMessage") if c.status == 429])
        fake.push_private(USER + 1, "do I need an NDA")
        assert (await answers(fake, USER + 1))[0]["text"].startswith("Contracts"), (
            "another chat is answered during the pause"
        )
        assert not fake.sent_to(USER)
        sleeps.open()
        assert (await answers(fake, USER))[0]["text"].startswith("Crossing the chasm")
    assert sleeps.durations and all(25 < d <= 30 for d in sleeps.durations)


@bounded(20)
async def test_429_without_a_chat_pauses_every_chat(core: Core, fake: FakeTelegram) -> None:
    sleeps = Sleeps(open=False)
    async with bot_running(core, fake, sleeps):
        fake.push_private(USER, "what is the chasm")
        answer = (await answers(fake, USER))[0]
        fake.fail("answerCallbackQuery", too_many_requests(retry_after=30))  # no chat_id: a limit on the whole bot
        fake.press(answer, button(answer, "👍"), USER)
        await fake.wait_for(lambda: fake.calls_to("answerCallbackQuery"))
        fake.push_private(USER + 1, "do I need an NDA")
        await sleeps.until(2)  # the retried acknowledgement and the other chat's first call both wait
        assert not fake.sent_to(USER + 1)
        sleeps.open()
        assert (await answers(fake, USER + 1))[0]["text"].startswith("Contracts")
    assert [c.status for c in fake.calls_to("answerCallbackQuery")] == [429, 200]


@bounded(20)
async def test_rejected_html_is_resent_as_plain_text(bot: TelegramApp, fake: FakeTelegram) -> None:
    fake.fail("sendMessage", cant_parse())
    fake.push_private(USER, "what is the chasm")
    answer = (await answers(fake, USER))[0]
    first, second = fake.calls_to("sendMessage")
    assert first.status == 400 and first.params["parse_mode"] == "HTML"
    assert "parse_mode" not in second.params and "<b>" not in second.params["text"]
    assert answer["text"].startswith("Crossing the chasm\n\nThe chasm is the gap")
    assert buttons(answer), "the buttons survive the fallback"


@bounded(20)
async def test_one_failing_update_does_not_stop_the_bot(
    bot: TelegramApp, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("sendMessage", bot_blocked())
    failing = fake.push_private(USER, "what is the chasm")
    apology = (await answers(fake, USER))[0]
    assert apology["text"].startswith("Sorry, something went wrong")
    assert f"update {failing['update_id']} failed: Forbidden" in caplog.text

    fake.push_private(USER + 1, "what is the chasm")
    assert (await answers(fake, USER + 1))[0]["text"].startswith("Crossing the chasm")


@bounded(20)
async def test_rate_limited_user_gets_a_polite_reply(tiny_knowledge: Path, tmp_path: Path, fake: FakeTelegram) -> None:
    core = make_core(tiny_knowledge, tmp_path / "rl-data", rate_limit=2, rate_window=60)
    async with bot_running(core, fake):
        for _ in range(3):
            fake.push_private(USER, "what is the chasm")
        sent = await answers(fake, USER, 3)
        assert [m["text"].split("\n")[0][:30] for m in sent] == ["Crossing the chasm"] * 2 + [
            "You're sending messages faster"
        ]


@bounded(30)
async def test_a_flooding_user_gets_one_notice_and_stalls_nobody(
    tiny_knowledge: Path,
    tmp_path: Path,
    fake: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.conversation.pacing")
    monkeypatch.setattr(working, "TYPING_DELAY", 0.0)  # every admitted question shows typing at once
    core = make_core(tiny_knowledge, tmp_path / "flood-data", rate_limit=3, rate_window=60)
    sleeps = Sleeps(open=False)
    # Telegram's flood control on the flooder's chat: its first answer gets a 429 that lasts until the test ends it.
    fake.fail("sendMessage", too_many_requests(retry_after=30), chat_id=USER)
    async with bot_running(core, fake, sleeps) as app:
        for _ in range(60):
            fake.push_private(USER, "what is the chasm")
        await fake.wait_for(lambda: [c for c in fake.calls_to("sendMessage") if c.status == 429])
        fake.push_private(USER + 1, "do I need an NDA")
        other = (await answers(fake, USER + 1))[0]
        assert other["text"].startswith("Contracts"), "another user is answered while the flooder's chat waits"
        sleeps.open()
        await answers(fake, USER, 4)
        await app.stop()  # lets every handler finish: a second notice would be here by now
    sent = [m["text"] for m in fake.sent_to(USER)]
    assert [t.split("\n")[0] for t in sent[:3]] == ["Crossing the chasm"] * 3
    assert len(sent) == 4 and sent[3].startswith(NOTICE), "exactly one notice, after the answers"
    assert (
        len(
            [
                c
                for c in fake.calls_to("sendChatAction")
                if c.params["chat_id"] == str(USER) or c.params["chat_id"] == USER
            ]
        )
        == 3
    ), "no typing for dropped messages"
    assert caplog.text.count("dropping a message from rate-limited user") == 56
    assert core.store.count("questions") == 4


@bounded(20)
async def test_topic_buttons_are_rate_limited_like_questions(
    tiny_knowledge: Path, tmp_path: Path, fake: FakeTelegram
) -> None:
    core = make_core(tiny_knowledge, tmp_path / "rl-topic-data", rate_limit=2, rate_window=60)
    async with bot_running(core, fake) as app:
        fake.push_private(USER, "/topics")
        topics = (await answers(fake, USER))[0]
        presses = [
            fake.press(topics, button(topics, title), USER)["callback_query"]["id"]
            for title in ("Contracts", "Crossing the chasm", "Pricing and costs")
        ]
        await fake.wait_for(lambda: len(fake.calls_to("answerCallbackQuery")) >= 3)
        await app.stop()
    assert [m["text"].split("\n")[0] for m in fake.sent_to(USER)][1:] == ["Contracts"]
    acks = {c.params["callback_query_id"]: c.params.get("text") for c in fake.calls_to("answerCallbackQuery")}
    assert len(acks) == 3, "every press is answered once"
    first, second, third = (acks[p] for p in presses)
    assert first is None and str(second).startswith(NOTICE) and third is None, "one notice, then silence"


@bounded(30)
async def test_anonymous_admins_of_two_groups_are_two_people(
    tiny_knowledge: Path, tmp_path: Path, fake: FakeTelegram
) -> None:
    """Anonymous admins all write as one shared account; each is keyed by its `sender_chat`, the group."""
    core = make_core(tiny_knowledge, tmp_path / "anon-data", rate_limit=2, rate_window=60)
    other_group = GROUP - 1
    async with bot_running(core, fake):
        fake.push_anonymous_admin(f"@{BOT_USERNAME} what is the chasm", GROUP)
        await answers(fake, GROUP)
        fake.push_anonymous_admin(f"@{BOT_USERNAME} do I need an NDA", other_group)
        fake.push_anonymous_admin(f"@{BOT_USERNAME} what goes in a freelance contract", other_group)
        theirs = await answers(fake, other_group, 2)
        assert [m["text"].split("\n")[0] for m in theirs] == ["Contracts"] * 2, "one rate-limit bucket per group"
        fake.push_anonymous_admin("/forget", GROUP)
        assert (await answers(fake, GROUP, 2))[1]["text"].startswith("Done: I deleted everything stored about you")
    questions = sorted(r["question"] for r in core.store.db.query("select question from questions"))
    assert questions == ["do I need an NDA", "what goes in a freelance contract"], "/forget in one group only"
    assert core.store.hash_id("telegram", str(ANONYMOUS_ADMIN)) not in {
        r["user_hash"] for r in core.store.db.query("select user_hash from questions")
    }


@bounded(30)
async def test_rating_presses_and_forget_are_rate_limited_like_questions(
    tiny_knowledge: Path, tmp_path: Path, fake: FakeTelegram
) -> None:
    """Every kind of event passes the core's one pacing gate: 20 👍/👎 presses, then 10 /forget."""
    core = make_core(tiny_knowledge, tmp_path / "rl-press-data", rate_limit=3, rate_window=60)
    async with bot_running(core, fake) as app:
        fake.push_private(USER, "what goes in a freelance contract")
        answer = (await answers(fake, USER))[0]
        presses = [fake.press(answer, button(answer, "👍" if i % 2 else "👎"), USER) for i in range(20)]
        await fake.wait_for(lambda: len(fake.calls_to("answerCallbackQuery")) >= len(presses))
        for _ in range(10):
            fake.push_private(USER + 1, "/forget")
        await answers(fake, USER + 1, 3)
        await app.stop()  # lets every handler finish: more replies would be here by now
    acks = [c.params.get("text") or "" for c in fake.calls_to("answerCallbackQuery")]
    assert len(acks) == 20, "every press is answered once (or its button keeps spinning)"
    assert sum(t.startswith("Thanks") for t in acks) == 2 and sum(t.startswith(NOTICE) for t in acks) == 1
    forgets = [m["text"] for m in fake.sent_to(USER + 1)]
    assert len(forgets) == 4 and forgets[3].startswith(NOTICE), "three /forget, one notice, then silence"


@bounded(20)
async def test_database_work_never_runs_on_the_event_loop(
    bot: TelegramApp, fake: FakeTelegram, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_loop: list[str] = []
    for name in ("record_question", "record_feedback", "set_last_note", "forget_user", "stats"):
        method = getattr(core.store, name)

        def checked(*args: Any, _name: str = name, _method: Any = method, **kwargs: Any) -> Any:
            try:
                asyncio.get_running_loop()
                on_loop.append(_name)
            except RuntimeError:  # a worker thread: where database work belongs
                pass
            return _method(*args, **kwargs)

        monkeypatch.setattr(core.store, name, checked)
    fake.push_private(ADMIN, "/topics")
    topics = (await answers(fake, ADMIN))[0]
    fake.press(topics, button(topics, "Contracts"), ADMIN)
    answer = (await answers(fake, ADMIN, 2))[1]
    fake.press(answer, button(answer, "👍"), ADMIN)
    await fake.wait_for(lambda: len(fake.calls_to("answerCallbackQuery")) >= 2)
    for command in ("what is the chasm", "/stats", "/forget"):
        fake.push_private(ADMIN, command)
    sent = await answers(fake, ADMIN, 5)
    assert on_loop == [], f"called on the event loop: {on_loop}"
    assert sent[3]["text"].startswith("Questions: 2") and sent[4]["text"].startswith("Done"), (
        "in order, one chat at a time"
    )


# ----- modes and load -------------------------------------------------------------------------------


@bounded(25)
async def test_webhook_mode_receives_an_update(core: Core, fake: FakeTelegram) -> None:
    port = free_port()
    overrides: dict[str, Any] = dict(
        webhook_url="https://bot.example.invalid/telegram/hook",
        webhook_listen="127.0.0.1",
        webhook_port=port,
        webhook_secret="s3cret-Token_1",
    )
    async with bot_running(core, fake, **overrides):
        assert fake.webhook["url"] == "https://bot.example.invalid/telegram/hook"
        assert fake.webhook["secret_token"] == "s3cret-Token_1"
        update = {"update_id": 500, "message": fake.message(fake.private_chat(USER), USER, "what is the chasm")}
        url = f"http://127.0.0.1:{port}/telegram/hook"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as refused:
                assert refused.status == 403
            async with http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"}
            ) as accepted:
                assert accepted.status == 200
        answer = (await answers(fake, USER))[0]
        assert answer["text"].startswith("Crossing the chasm")
    assert not fake.calls_to("getUpdates")
    assert len(fake.sent_to(USER)) == 1, "the update with the wrong secret was not processed"


@bounded(90)
async def test_200_messages_from_50_users_each_answered_exactly_once(core: Core, fake: FakeTelegram) -> None:
    questions = {
        "how much does a freelancer cost": "Pricing and costs",
        "what is the chasm": "Crossing the chasm",
        "do I need an NDA": "Contracts",
        "visionaries and pragmatists": "Crossing the chasm",
    }
    asked = list(questions)
    users = [20_000 + i for i in range(50)]
    async with bot_running(core, fake) as app:
        for round_ in range(4):
            for n, user in enumerate(users):
                fake.push_private(user, asked[(n + round_) % 4])
        await fake.wait_for(lambda: len(fake.sent) >= 200, timeout=60)
        await app.stop()  # waits for every handler: a duplicate answer would be sent by now
    assert len(fake.sent) == 200
    for n, user in enumerate(users):
        titles = [m["text"].split("\n")[0] for m in fake.sent_to(user)]
        assert titles == [questions[asked[(n + r) % 4]] for r in range(4)], f"user {user}"
    assert core.store.count("questions") == 200
    assert all(c.status == 200 for c in fake.calls)


# ----- the fake rejects what Telegram rejects -------------------------------------------------------


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
