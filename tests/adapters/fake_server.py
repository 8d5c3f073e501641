"""What every local fake of a platform's servers shares: an aiohttp server on 127.0.0.1 and waiting on it.

`FakeTelegram` and `FakeDiscord` subclass `FakeServer`, which

- listens on a random port of 127.0.0.1: `await fake.start()` ... `await fake.close()`, or
  `async with Fake() as fake:`;
- records every HTTP request it receives as `(method, path)` in `requests`;
- lets a test wait for what the requests make true: `await fake.wait_for(predicate)` re-checks
  `predicate()` after every request (and whenever a subclass calls `_notify`), returns its
  truthy value, and fails with `WaitTimedOut` saying what it waited for.

A subclass adds its routes in `add_routes`, its own middlewares in `middlewares`, and closes
whatever it holds open (websockets) in `disconnect`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Self

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

log = logging.getLogger(__name__)

__all__ = ["FakeServer", "Middleware", "WaitTimedOut"]


class WaitTimedOut(TimeoutError, AssertionError):
    """`wait_for` gave up: a `TimeoutError` that reads as a failed assertion, naming what was awaited."""


class FakeServer:
    """The shared plumbing of the fake servers (see the module docstring).

    Attributes:
        wait_timeout: Seconds `wait_for` waits when no timeout is given.
        shutdown_timeout: Seconds `close` gives requests still running before it drops them.
    """

    wait_timeout: float = 10.0
    shutdown_timeout: float = 60.0

    def __init__(self) -> None:
        self.port = 0
        self.requests: list[tuple[str, str]] = []
        self.closing = False
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # ----- what a subclass provides ------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """Add the platform's routes to the server's application."""
        raise NotImplementedError

    def middlewares(self) -> list[Middleware]:
        """The platform's own middlewares, run inside the one that records and notifies."""
        return []

    async def disconnect(self) -> None:
        """Close what the platform holds open (websockets) before the server stops."""

    # ----- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> Self:
        """Listen on a random port of 127.0.0.1 and return the server."""
        middlewares: list[Middleware] = [self._record_request, *self.middlewares()]
        app = web.Application(middlewares=middlewares)
        self.add_routes(app)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=self.shutdown_timeout)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        log.debug("%s listening on 127.0.0.1:%d", type(self).__name__, self.port)
        return self

    async def close(self) -> None:
        """Stop listening; waits in progress (long polls, `wait_for`) see `closing` at once."""
        self.closing = True
        await self.disconnect()
        await self._notify()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def url(self) -> str:
        """The server's root URL, `http://127.0.0.1:<port>`."""
        return f"http://127.0.0.1:{self.port}"

    # ----- recording and waiting ---------------------------------------------------------------

    @web.middleware
    async def _record_request(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        try:
            return await handler(request)
        finally:
            await self._notify()

    async def _notify(self) -> None:
        """Wake every `wait_for` to re-check its predicate."""
        async with self._changed:
            self._changed.notify_all()

    def _notify_soon(self) -> None:
        """`_notify` from code that cannot await (a test queuing an event)."""
        task = asyncio.get_running_loop().create_task(self._notify())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float | None = None, what: str = "the condition"
    ) -> Any:
        """Wait until `predicate()` is truthy and return its value.

        Args:
            predicate: Re-checked after every request and every `_notify`.
            timeout: Seconds to wait; `wait_timeout` when not given.
            what: What is awaited, for the failure message.

        Returns:
            The truthy value `predicate()` returned.

        Raises:
            WaitTimedOut: When `predicate()` stayed falsy for `timeout` seconds.
        """
        limit = self.wait_timeout if timeout is None else timeout

        async def check() -> Any:
            async with self._changed:
                while not (result := predicate()):
                    await self._changed.wait()
                return result

        try:
            return await asyncio.wait_for(check(), limit)
        except TimeoutError:
            raise WaitTimedOut(f"timed out after {limit}s waiting for {what}") from None
