"""What the bot does with each update (adapters/telegram/handlers.py): groups, commands, admins, the error boundary."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from telegram import Update
from telegram.error import TimedOut

from adapters.telegram.config import TelegramConfig
from adapters.telegram.handlers import TelegramApp, TelegramHandlers
from bot.conversation.answers import refusal_reply
from bot.conversation.core import Core
from tests.adapters.fake_telegram import ANONYMOUS_ADMIN, BOT_USERNAME, TOKEN, FakeTelegram, bot_blocked, cant_parse
from tests.adapters.telegram.harness import ADMIN, GROUP, USER, answers, bot_running, bounded, button, buttons
from tests.conftest import make_core, write_note


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


class RecordingBot:
    """Stands in for the bot in the error boundary: records what it would send."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send_message(self, *args: Any, **kwargs: Any) -> None:
        self.sent.append({"args": args, **kwargs})


async def test_a_timed_out_reply_gets_no_apology_after_it(core: Core) -> None:
    """A timed-out sendMessage may have arrived: an apology would follow the answer (load test, 10 of 1,000)."""
    handlers = TelegramHandlers(core, TelegramConfig(token=TOKEN, api_url="http://127.0.0.1:9/bot"))
    update = Update.de_json(
        {"update_id": 7, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "hi"}},
        None,
    )
    bot = RecordingBot()
    await handlers.on_error(update, SimpleNamespace(error=TimedOut(), bot=bot))  # type: ignore[arg-type]
    assert bot.sent == []
    await handlers.on_error(update, SimpleNamespace(error=RuntimeError("index exploded"), bot=bot))  # type: ignore[arg-type]
    assert len(bot.sent) == 1 and "Sorry, something went wrong" in str(bot.sent[0])


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
