"""`serve` runs several platforms on one core; the platform that failed first is the one reported."""

from __future__ import annotations

import asyncio

import pytest

from adapters.serve import PlatformFailed, serve_platforms
from bot.conversation.core import Core


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
