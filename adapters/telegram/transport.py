"""The bot's HTTP client for Bot API calls: a small connection pool with the waiting done outside it.

httpcore (under httpx, under python-telegram-bot) re-scans its whole pool on every request
and every response: each connection, and for each idle one every other connection and a
`poll()` of its socket, then again for each request waiting for a connection (encode/httpcore#1035,
open). With the 128 connections the bot used before and a few hundred answers under way, that scan was the largest
cost on the event loop (38% of it in the end-to-end benchmark at 400 chats). Here at most
`connections` requests are ever inside the pool, so none waits there and each scan is short; the
rest wait in an `asyncio.Semaphore`, in arrival order, at no cost per waiter.
"""

from __future__ import annotations

import asyncio
import logging

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import HTTPXRequest, RequestData

log = logging.getLogger(__name__)

CONNECTIONS = 8
"""Bot API requests under way at once (and so the pool's connections). Each idle connection still costs
a `poll()` and a scan per request: in the end-to-end benchmark 8 cost the bot 10.5-12.7 ms of CPU per
answer, 16 cost 11.8-14.5 and 4 no less than 8. To Telegram, with a round trip of 0.1-0.3 s, 8 at once
still carry more than the 30 messages a second Telegram lets a bot send."""


class GatedHTTPXRequest(HTTPXRequest):
    """python-telegram-bot's HTTPX request with at most `connections` requests in its pool at once.

    Args:
        connections: Requests under way at once; the pool has as many connections.
        read_timeout: Seconds to wait for Telegram's answer.
        write_timeout: Seconds to wait while sending a request.
    """

    def __init__(self, connections: int = CONNECTIONS, read_timeout: float = 20.0, write_timeout: float = 20.0) -> None:
        # The pool never waits for a connection (the gate does), so its timeout only guards a bug.
        super().__init__(
            connection_pool_size=connections,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            pool_timeout=10.0,
        )
        self.connections = connections
        self._gate = asyncio.Semaphore(connections)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make the request once fewer than `connections` are under way (see the module docstring)."""
        async with self._gate:
            return await super().do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
            )
