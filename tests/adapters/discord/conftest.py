"""Fixtures of the Discord tests: nothing reaches the internet (for every test here), and a fresh fake Discord."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
import yarl

from tests.adapters.fake_discord import FakeDiscord


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches the internet: only 127.0.0.1 resolves, and the default gateway is a dead local port."""
    real_getaddrinfo = socket.getaddrinfo

    def local_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", "localhost", b"127.0.0.1", b"localhost"):
            raise OSError(f"test tried to reach {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)
    # run_bot points Route.BASE at the fake; monkeypatch restores discord.com afterwards.
    monkeypatch.setattr(discord.http.Route, "BASE", "http://127.0.0.1:9/api/v10")
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL("ws://127.0.0.1:9/"))


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A fresh fake Discord with one server."""
    async with FakeDiscord() as server:
        yield server
