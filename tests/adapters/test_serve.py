"""`serve` (adapters/serve.py) runs every platform with a token on one core.

The platform that failed first is the one reported, and never with its token. The Discord tests
here run the real client against the fake Discord, with its fixtures.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from adapters.discord.client import DiscordBot
from adapters.serve import PLATFORMS, PlatformFailed, configured, serve_platforms
from bot.conversation.core import Core
from tests.adapters.discord import conftest as discord_fixtures
from tests.adapters.discord.harness import PRICING_QUESTION, TEST_TIMEOUT, ask
from tests.adapters.fake_discord import TOKEN, FakeDiscord

fake = discord_fixtures.fake  # the fake Discord, shared with tests/adapters/discord/
offline = discord_fixtures.offline  # autouse: nothing reaches the internet


async def test_the_platform_that_failed_first_is_reported_with_its_error(core: Core) -> None:
    async def discord(shared: Core, stop: asyncio.Event) -> None:
        await asyncio.sleep(0.05)
        raise ConnectionError("Cannot connect to host discord.com:443")

    async def telegram(shared: Core, stop: asyncio.Event) -> None:
        await stop.wait()  # stopped because Discord failed; its own shutdown then fails too
        raise RuntimeError("telegram: network error while stopping")

    # Telegram is listed first, as `serve` orders them; Discord still failed first.
    with pytest.raises(PlatformFailed) as failed:
        async with asyncio.timeout(10):
            await serve_platforms(core, {"telegram": telegram, "discord": discord}, asyncio.Event())
    assert failed.value.platform == "discord"
    assert isinstance(failed.value.error, ConnectionError) and failed.value.__cause__ is failed.value.error
    message = str(failed.value)
    assert message.startswith("discord failed first: ConnectionError: Cannot connect to host discord.com:443")
    assert "then telegram stopped with RuntimeError: telegram: network error while stopping" in message


async def test_one_failing_platform_stops_the_others_and_is_reported(core: Core) -> None:
    stopped: list[str] = []

    async def healthy(shared: Core, stop: asyncio.Event) -> None:
        await stop.wait()
        stopped.append("telegram")

    async def broken(shared: Core, stop: asyncio.Event) -> None:
        raise PermissionError("token refused")

    with pytest.raises(PlatformFailed, match=r"^discord failed first: PermissionError: token refused$"):
        async with asyncio.timeout(10):
            await serve_platforms(core, {"telegram": healthy, "discord": broken}, asyncio.Event())
    assert stopped == ["telegram"]


def test_serve_runs_the_platforms_whose_token_is_set() -> None:
    assert [p.name for p in configured(PLATFORMS, {"DISCORD_BOT_TOKEN": "x"})] == ["discord"]
    assert [p.name for p in configured(PLATFORMS, {"DISCORD_BOT_TOKEN": "x", "TELEGRAM_BOT_TOKEN": "1:y"})] == [
        "telegram",
        "discord",
    ]
    assert configured(PLATFORMS, {"DISCORD_BOT_TOKEN": " "}) == []


async def test_serve_shares_one_core_and_stops_every_platform(
    core: Core, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DISCORD_API_URL", fake.api_url)
    discord_platform = next(p for p in PLATFORMS if p.name == "discord")
    seen: list[Core] = []

    async def other_platform(shared: Core, stop: asyncio.Event) -> None:
        seen.append(shared)
        await stop.wait()

    stop = asyncio.Event()
    async with asyncio.timeout(TEST_TIMEOUT):
        serving = asyncio.create_task(
            serve_platforms(core, {"discord": discord_platform.prepare(), "other": other_platform}, stop)
        )
        await fake.wait_for(
            lambda: bool(fake.identifies) and "global" in fake.commands, what="the Discord bot to connect"
        )
        [answer] = await ask(fake, PRICING_QUESTION)
        stop.set()
        await serving
    assert seen == [core]
    assert answer.payload["embeds"][0]["title"] == "Pricing and costs"
    assert core.store.count("questions") == 1


def test_serve_drives_telegram_through_its_public_entry_points() -> None:
    pytest.importorskip("telegram")
    import inspect

    from adapters.telegram import app

    assert list(inspect.signature(app.build_application).parameters)[:2] == ["core", "config"]
    assert list(inspect.signature(app.running).parameters) == ["app", "config"]


def test_serve_never_prints_a_token_from_a_failing_platform(
    core: Core, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from adapters.cli import main
    from adapters.discord import client

    caplog.set_level(logging.DEBUG)

    async def failing_run_bot(bot: DiscordBot) -> None:
        raise RuntimeError(f"could not connect to wss://gateway.example/?token={TOKEN}")

    monkeypatch.setenv("DISCORD_BOT_TOKEN", TOKEN)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setattr(client, "run_bot", failing_run_bot)  # the Discord platform's runner fails, quoting the token
    monkeypatch.setattr(Core, "start", classmethod(lambda cls, *args, **kwargs: core))
    monkeypatch.setattr("bot.config.load_settings", lambda: core.settings)
    assert main(["serve"]) == 1
    err = capsys.readouterr().err
    assert (
        "error: discord failed first: RuntimeError: could not connect to wss://gateway.example/?token=[REDACTED]" in err
    )
    assert TOKEN not in err and TOKEN not in caplog.text


async def test_serve_runs_telegram_and_discord_for_real_on_one_core(
    core: Core, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("telegram")
    from adapters.redaction import install_redaction, remove_redaction
    from tests.adapters.fake_telegram import TOKEN as TELEGRAM_TOKEN
    from tests.adapters.fake_telegram import FakeTelegram

    telegram_user = 1001
    telegram = await FakeTelegram().start()
    for name, value in {
        "DISCORD_BOT_TOKEN": TOKEN,
        "DISCORD_API_URL": fake.api_url,
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_API_URL": telegram.base_url,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    stop = asyncio.Event()
    try:
        runners = {p.name: p.prepare() for p in configured(PLATFORMS)}
        assert list(runners) == ["telegram", "discord"]
        async with asyncio.timeout(TEST_TIMEOUT):
            serving = asyncio.create_task(serve_platforms(core, runners, stop))
            await fake.wait_for(
                lambda: bool(fake.identifies) and "global" in fake.commands, what="the Discord bot to connect"
            )
            [answer] = await ask(fake, PRICING_QUESTION)
            telegram.push_private(telegram_user, "what is the chasm")
            [reply] = await telegram.wait_for(lambda: telegram.sent_to(telegram_user))
            stop.set()
            await serving
    finally:
        stop.set()
        remove_redaction(install_redaction([TELEGRAM_TOKEN]))
        await telegram.close()
    assert answer.payload["embeds"][0]["title"] == "Pricing and costs"
    assert "Crossing the chasm" in reply["text"]
    assert core.store.count("questions") == 2
    assert {row["platform"] for row in core.store.db["questions"].rows} == {"discord", "telegram"}
