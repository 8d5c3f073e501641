"""A fake Telegram Bot API server on 127.0.0.1, for end-to-end tests of the Telegram adapter.

It answers the methods the bot uses with Telegram's response shapes (`{"ok": true, "result": ...}`)
and rejects what Telegram rejects, with Telegram's error texts:

- HTML that does not parse -> 400 "Bad Request: can't parse entities: ..."
- text over 4,096 characters (UTF-16 code units, after entity parsing) -> 400 "message is too long"
- empty text -> 400 "message text is empty"
- callback data over 64 bytes -> 400 "BUTTON_DATA_INVALID"
- a wrong token -> 401 "Unauthorized"; an unknown method -> 404 "Not Found"
- getUpdates while a webhook is set -> 409 Conflict

Tests script faults with `fail(method, Fault...)` (a 429 with `retry_after`, a 502, a parse error),
optionally for one chat only (`chat_id=`, as Telegram's per-chat flood limits are), and feed
updates with `push_*`; every call is recorded in `calls`. Starting, stopping and `wait_for`
come from `tests.adapters.fake_server.FakeServer`.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.adapters.fake_server import FakeServer

TOKEN = "123456789:TEST-token_ABCdefGHIjklMNOpqrSTUvwxYZ0"
BOT_ID = 123456789
BOT_USERNAME = "outsource_test_bot"
ANONYMOUS_ADMIN = 1087968824
"""Telegram's shared account (GroupAnonymousBot) behind every message an anonymous group admin sends."""
MAX_TEXT = 4096
MAX_CALLBACK_BYTES = 64

ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "span",
    "tg-spoiler",
    "blockquote",
    "tg-emoji",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:=(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")
# Parameters that PTB sends as raw strings; everything else is JSON-encoded.
_RAW_PARAMS = {"text", "parse_mode", "action", "callback_query_id", "url", "secret_token", "ip_address"}


class HtmlError(ValueError):
    """Telegram could not parse the HTML of a message."""


def utf16_len(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> str:
    """Parse Telegram HTML like the Bot API does and return the visible text.

    Raises:
        HtmlError: For an unsupported or unescaped tag, a stray end tag or an unclosed tag.
    """
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        offset = len(text[:i].encode("utf-8"))
        if ch == "<":
            match = _TAG.match(text, i)
            if not match:
                raise HtmlError(f'Unsupported start tag "{text[i + 1 : i + 8]}" at byte offset {offset}')
            closing, name = match.group(1), match.group(2).lower()
            if name not in ALLOWED_TAGS:
                raise HtmlError(f'Unsupported start tag "{name}" at byte offset {offset}')
            if closing:
                if not stack or stack[-1] != name:
                    raise HtmlError(
                        f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1] if stack else ""}>", found "</{name}>"'
                    )
                stack.pop()
            else:
                stack.append(name)
            i = match.end()
        elif ch == "&" and (entity := _ENTITY.match(text, i)):
            out.append(html.unescape(entity.group(0)))
            i = entity.end()
        else:
            # Like Telegram, a bare "&" or ">" is taken literally.
            out.append(ch)
            i += 1
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def entities_of(text: str) -> list[dict[str, Any]]:
    """The entities Telegram attaches to a user's text: a leading bot command and @mentions."""
    found = []
    if text.startswith("/"):
        command = text.split()[0] if text.split() else text
        found.append({"type": "bot_command", "offset": 0, "length": utf16_len(command)})
    for match in re.finditer(r"(?<![\w/])@[A-Za-z0-9_]{3,32}", text):
        found.append(
            {"type": "mention", "offset": utf16_len(text[: match.start()]), "length": utf16_len(match.group(0))}
        )
    return found


@dataclass
class Fault:
    """A scripted failure for the next call of a method."""

    status: int
    description: str
    parameters: dict[str, Any] | None = None

    def body(self) -> dict[str, Any]:
        """The error response, shaped like Telegram's."""
        data: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            data["parameters"] = self.parameters
        return data


def too_many_requests(retry_after: int = 1) -> Fault:
    """429 with `retry_after`, as Telegram sends it."""
    return Fault(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})


def bad_gateway() -> Fault:
    """502, as Telegram's front end sends it while the Bot API restarts."""
    return Fault(502, "Bad Gateway")


def cant_parse() -> Fault:
    """400 for HTML Telegram could not parse."""
    return Fault(400, 'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 0')


def bot_blocked() -> Fault:
    """403 for a user who blocked the bot."""
    return Fault(403, "Forbidden: bot was blocked by the user")


@dataclass
class Call:
    """One request the fake received."""

    method: str
    params: dict[str, Any]
    status: int = 200
    at: float = field(default_factory=time.monotonic)
    description: str = ""


class FakeTelegram(FakeServer):
    """The fake Bot API server. Start with `await start()`, stop with `await close()`.

    Args:
        token: The only token the server accepts.
    """

    shutdown_timeout = 0.5

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.bot_user = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Outsource Test",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.sent: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.faults: dict[str, list[Fault]] = {}
        self.chat_faults: dict[tuple[str, str], list[Fault]] = {}
        self.webhook: dict[str, Any] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.callback_queries: set[str] = set()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._query_ids = itertools.count(1)

    # ----- server --------------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """Every Bot API method, at `/bot<token>/<method>`."""
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)

    @property
    def base_url(self) -> str:
        """The `base_url` to give python-telegram-bot (the token is appended)."""
        return f"{self.url}/bot"

    async def _dispatch(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        method = request.match_info["method"]
        call = Call(method, params)
        self.calls.append(call)
        if request.match_info["token"] != self.token:
            return self._error(call, Fault(401, "Unauthorized"))
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return self._error(call, Fault(404, "Not Found"))
        queued = self.chat_faults.get((method, str(params.get("chat_id")))) or self.faults.get(method)
        if queued:
            return self._error(call, queued.pop(0))
        try:
            result = await handler(params)
        except Rejected as exc:
            return self._error(call, exc.fault)
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(call: Call, fault: Fault) -> web.Response:
        call.status, call.description = fault.status, fault.description
        return web.json_response(fault.body(), status=fault.status)

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
            return params
        if request.can_read_body:
            for key, value in (await request.post()).items():
                if not isinstance(value, str) or key in _RAW_PARAMS:
                    params[key] = value
                    continue
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    params[key] = value
        return params

    # ----- scripting -----------------------------------------------------------------------------

    def fail(self, method: str, *faults: Fault, chat_id: int | None = None) -> None:
        """Answer the next calls of `method` (to `chat_id` only, when given) with these faults, in order."""
        if chat_id is None:
            self.faults.setdefault(method, []).extend(faults)
        else:
            self.chat_faults.setdefault((method, str(chat_id)), []).extend(faults)

    def calls_to(self, method: str) -> list[Call]:
        """Every call of one method, rejected ones included."""
        return [c for c in self.calls if c.method == method]

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages the bot sent successfully to one chat, in order."""
        return [m for m in self.sent if m["chat"]["id"] == chat_id]

    @staticmethod
    def user(user_id: int, name: str = "") -> dict[str, Any]:
        """A user object."""
        return {"id": user_id, "is_bot": False, "first_name": name or f"User{user_id}", "language_code": "en"}

    def private_chat(self, user_id: int) -> dict[str, Any]:
        """The private chat with a user (registered as known)."""
        chat = {"id": user_id, "type": "private", "first_name": f"User{user_id}"}
        self.chats[user_id] = chat
        return chat

    def group_chat(self, chat_id: int = -1001234567890, kind: str = "supergroup") -> dict[str, Any]:
        """A group or supergroup (registered as known)."""
        chat = {"id": chat_id, "type": kind, "title": "Founders"}
        self.chats[chat_id] = chat
        return chat

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (the id is assigned here) and return it."""
        update = {"update_id": next(self._update_ids), **update}
        self.updates.append(update)
        self._notify_soon()
        return update

    def message(
        self, chat: dict[str, Any], user_id: int, text: str, reply_to: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A user's text message, with the entities Telegram would attach."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self.user(user_id),
            "text": text,
        }
        entities = entities_of(text)
        if entities:
            message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    def push_private(self, user_id: int, text: str) -> dict[str, Any]:
        """Queue a private-chat message from a user."""
        return self.push({"message": self.message(self.private_chat(user_id), user_id, text)})

    def push_group(
        self, user_id: int, text: str, chat_id: int = -1001234567890, reply_to: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Queue a group message from a user."""
        return self.push({"message": self.message(self.group_chat(chat_id), user_id, text, reply_to)})

    def push_anonymous_admin(self, text: str, chat_id: int = -1001234567890) -> dict[str, Any]:
        """Queue a group message from an anonymous admin: from Telegram's shared account, `sender_chat` the group."""
        chat = self.group_chat(chat_id)
        message = self.message(chat, ANONYMOUS_ADMIN, text)
        message["from"] = {
            "id": ANONYMOUS_ADMIN,
            "is_bot": True,
            "first_name": "Group",
            "username": "GroupAnonymousBot",
        }
        message["sender_chat"] = chat
        return self.push({"message": message})

    def press(self, message: dict[str, Any], data: str, user_id: int) -> dict[str, Any]:
        """Queue a callback query: `user_id` pressed the button with `data` under the bot's `message`."""
        query_id = str(next(self._query_ids))
        self.callback_queries.add(query_id)
        current = self.messages[(message["chat"]["id"], message["message_id"])]
        return self.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user(user_id),
                    "message": current,
                    "chat_instance": "42",
                    "data": data,
                }
            }
        )

    # ----- methods -------------------------------------------------------------------------------

    def _chat(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            chat_id = int(params.get("chat_id", ""))
        except (TypeError, ValueError):
            raise Rejected(Fault(400, "Bad Request: chat not found")) from None
        if chat_id not in self.chats:
            if chat_id > 0:  # a user who never started a chat with the bot
                raise Rejected(Fault(403, "Forbidden: bot can't initiate conversation with a user"))
            raise Rejected(Fault(400, "Bad Request: chat not found"))
        return self.chats[chat_id]

    @staticmethod
    def _check_markup(markup: Any) -> None:
        if markup is None:
            return
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise Rejected(Fault(400, "Bad Request: BUTTON_TEXT_EMPTY"))
                data = button.get("callback_data")
                if data is not None and not 0 < len(str(data).encode("utf-8")) <= MAX_CALLBACK_BYTES:
                    raise Rejected(Fault(400, "Bad Request: BUTTON_DATA_INVALID"))

    @staticmethod
    def _visible(params: dict[str, Any]) -> str:
        text = str(params.get("text", ""))
        if params.get("parse_mode", "").upper() == "HTML":
            try:
                text = parse_html(text)
            except HtmlError as exc:
                raise Rejected(Fault(400, f"Bad Request: can't parse entities: {exc}")) from None
        if not text.strip():
            raise Rejected(Fault(400, "Bad Request: message text is empty"))
        if utf16_len(text) > MAX_TEXT:
            raise Rejected(Fault(400, "Bad Request: message is too long"))
        return text

    async def _m_getme(self, params: dict[str, Any]) -> Any:
        return self.bot_user

    async def _m_getupdates(self, params: dict[str, Any]) -> Any:
        if self.webhook.get("url"):
            raise Rejected(
                Fault(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
                )
            )
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if offset:
            # Asking from `offset` confirms every earlier update, as in the real API.
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not self.updates and not self.closing and (remaining := deadline - time.monotonic()) > 0:
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    break
        return self.updates[:limit]

    async def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params)
        visible = self._visible(params)
        markup = params.get("reply_markup")
        self._check_markup(markup)
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
            "text": visible,
        }
        if markup:
            message["reply_markup"] = markup
        reply = params.get("reply_parameters") or {}
        if reply.get("message_id") and (chat["id"], reply["message_id"]) in self.messages:
            message["reply_to_message"] = self.messages[(chat["id"], reply["message_id"])]
        self.messages[(chat["id"], message["message_id"])] = message
        self.sent.append({**message, "raw": params.get("text"), "parse_mode": params.get("parse_mode")})
        return message

    def _find(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        message = self.messages.get((chat["id"], int(params.get("message_id") or 0)))
        if message is None or message["from"]["id"] != BOT_ID:
            raise Rejected(Fault(400, "Bad Request: message to edit not found"))
        return message

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> Any:
        message = self._find(params)
        markup = params.get("reply_markup")
        self._check_markup(markup)
        if (markup or None) == message.get("reply_markup"):
            raise Rejected(
                Fault(
                    400,
                    "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
                )
            )
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    async def _m_editmessagetext(self, params: dict[str, Any]) -> Any:
        message = self._find(params)
        visible = self._visible(params)
        self._check_markup(params.get("reply_markup"))
        message["text"] = visible
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> Any:
        if str(params.get("callback_query_id")) not in self.callback_queries:
            raise Rejected(
                Fault(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
            )
        if len(str(params.get("text") or "")) > 200:
            raise Rejected(Fault(400, "Bad Request: MESSAGE_TOO_LONG"))
        return True

    async def _m_setmycommands(self, params: dict[str, Any]) -> Any:
        scope = params.get("scope") or {"type": "default"}
        if scope.get("type") == "chat" and int(scope.get("chat_id", 0)) not in self.chats:
            raise Rejected(Fault(400, "Bad Request: chat not found"))
        for command in params.get("commands", []):
            if (
                not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", ""))
                or not 0 < len(command.get("description", "")) <= 256
            ):
                raise Rejected(Fault(400, "Bad Request: BOT_COMMAND_INVALID"))
        return True

    async def _m_deletewebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = {}
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    async def _m_setwebhook(self, params: dict[str, Any]) -> Any:
        url = str(params.get("url", ""))
        if url and not url.startswith("https://"):
            raise Rejected(Fault(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"))
        self.webhook = {
            "url": url,
            "secret_token": params.get("secret_token"),
            "allowed_updates": params.get("allowed_updates"),
        }
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> Any:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0 if self.webhook else len(self.updates),
        }

    async def _m_sendchataction(self, params: dict[str, Any]) -> Any:
        self._chat(params)
        if params.get("action") not in (
            "typing",
            "upload_photo",
            "record_video",
            "upload_video",
            "record_voice",
            "upload_voice",
            "upload_document",
            "choose_sticker",
            "find_location",
            "record_video_note",
            "upload_video_note",
        ):
            raise Rejected(Fault(400, "Bad Request: wrong parameter action in request"))
        return True


class Rejected(Exception):
    """Raised inside a method handler to answer with a Telegram error."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.description)
        self.fault = fault
