"""The bot's HTTP client for Bot API calls: aiohttp, a small keep-alive pool, the waiting done outside it.

python-telegram-bot's own client (`HTTPXRequest`: httpx on httpcore on anyio) cost the bot about 60% of
its event loop in the end-to-end benchmark, most of it in pure-Python layers per request: httpcore
re-scans its whole pool on every request and response (encode/httpcore#1035), anyio wraps every
read and write, h11 parses the response in Python. aiohttp, already installed, parses HTTP in C
and writes straight to the asyncio transport. `AiohttpRequest` plugs it in through PTB's
`BaseRequest`, so PTB still builds every call, parses every answer and raises its own errors.

At most `connections` requests are under way at once (and the pool keeps as many connections);
the rest wait in an `asyncio.Semaphore`, in arrival order, at no cost per waiter.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlencode, urlsplit

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

log = logging.getLogger(__name__)

CONNECTIONS = 8
"""Bot API requests under way at once (and so the pool's connections). To Telegram, with a round trip
of 0.1-0.3 s, 8 at once carry more than the 30 messages a second Telegram lets a bot send."""
FORM = "application/x-www-form-urlencoded"
POOL_TIMEOUT = (
    "Pool timeout: All connections in the connection pool are occupied. Request was *not* sent to Telegram. "
    "Consider adjusting the connection pool size or the pool timeout."
)
"""PTB's own words for a request that never left (`retry._maybe_delivered` reads its start)."""
Proxy = tuple[URL | None, aiohttp.BasicAuth | None]


class AiohttpRequest(BaseRequest):
    """Bot API requests through one aiohttp session, at most `connections` under way at once.

    Like PTB's `HTTPXRequest`: parameters are sent as a form (multipart when there are files), a
    proxy comes from HTTPS_PROXY/ALL_PROXY/NO_PROXY (read once per host, not per request), a
    timeout raises `TimedOut` (a wait for a place in the pool, "Pool timeout", never sent anything)
    and any other transport failure `NetworkError`.

    Args:
        connections: Requests under way at once; the pool keeps as many connections.
        read_timeout: Seconds to wait for each part of Telegram's answer.
        write_timeout: Seconds to wait while sending a request (the whole request and answer for uploads).
        connect_timeout: Seconds to wait for a new connection.
        pool_timeout: Seconds a request waits for a place before `TimedOut`.
    """

    def __init__(
        self,
        connections: int = CONNECTIONS,
        read_timeout: float | None = 20.0,
        write_timeout: float | None = 20.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 10.0,
    ) -> None:
        self.connections = connections
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._gate = asyncio.Semaphore(connections)
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], Proxy] = {}
        self._timeouts: dict[tuple[float | None, float | None, float | None], aiohttp.ClientTimeout] = {}

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds (PTB adds it to a long poll's own timeout)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (and its pool) on the running loop; again after a shutdown."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.connections, limit_per_host=self.connections)
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets no cookies
                headers={"User-Agent": self.USER_AGENT},
                # Proxies are read here, once per host: with trust_env aiohttp reads the environment in a
                # worker thread on every request.
                trust_env=False,
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _proxy(self, url: str) -> Proxy:
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            try:
                self._proxies[key] = get_env_proxy_for_url(URL(url))
            except LookupError:  # no proxy for this host, or NO_PROXY names it
                self._proxies[key] = (None, None)
        return self._proxies[key]

    def _timeout(self, read: float | None, connect: float | None, total: float | None) -> aiohttp.ClientTimeout:
        key = (read, connect, total)
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = self._timeouts[key] = aiohttp.ClientTimeout(
                total=total, connect=connect, sock_connect=connect, sock_read=read
            )
        return timeout

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make one request once fewer than `connections` are under way; the status and the body.

        Raises:
            RuntimeError: Before `initialize` or after `shutdown`.
            TimedOut: When a timeout passed.
            NetworkError: When the connection failed.
        """
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        data: aiohttp.FormData | bytes | None = None
        headers = None
        total = None
        if request_data is not None and request_data.contains_files:
            form = aiohttp.FormData(request_data.json_parameters)
            for name, (filename, content, mimetype) in request_data.multipart_data.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            data = form
            # aiohttp has no write timeout: an upload gets the write and read timeouts as one bound.
            write = self._write_timeout if isinstance(write_timeout, DefaultValue) else write_timeout
            total = None if write is None or read is None else write + read
        elif request_data is not None:
            data = urlencode(request_data.json_parameters).encode("ascii")
            headers = {"Content-Type": FORM}
        if self._gate.locked():
            try:
                async with asyncio.timeout(pool):
                    await self._gate.acquire()
            except TimeoutError:
                raise TimedOut(POOL_TIMEOUT) from None
        else:
            await self._gate.acquire()  # a free place: no timer to set up
        try:
            proxy, proxy_auth = self._proxy(url)
            async with session.request(
                method,
                url,
                data=data,
                headers=headers,
                proxy=proxy,
                proxy_auth=proxy_auth,
                timeout=self._timeout(read, connect, total),
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        finally:
            self._gate.release()
